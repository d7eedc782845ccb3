# Independent reference for ImageFidelityTests.MsSsimMatchesAnIndependentDirectImplementation: the same
# definition (luma MS-SSIM, Wang et al. 2003) with a direct 2D window, in plain Python (no numpy). Run: python3 msssim_reference.py
import math
W, H = 45, 38
def ref_px(x, y):
    return ((x * x + 3 * y + 17) % 256, (5 * x + 2 * y * y) % 256, (x * y + 40) % 256)
def dist_px(x, y):
    r = ref_px(x, y)
    return tuple(min(255, max(0, v + ((x * 31 + y * 17 + c * 7) % 81) - 40)) for c, v in enumerate(r))
def luma(f):
    return [[0.299 * f(x, y)[0] + 0.587 * f(x, y)[1] + 0.114 * f(x, y)[2] for x in range(W)] for y in range(H)]
X, Y = luma(ref_px), luma(dist_px)
# PSNR by the definition
se = sum((a - b) ** 2 for y in range(H) for x in range(W) for a, b in zip(ref_px(x, y), dist_px(x, y)))
print("psnr", repr(10 * math.log10(255 * 255 * 3 * W * H / se)))
C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
def ssim(X, Y):
    h, w = len(X), len(X[0])
    win = min(11, w, h); sigma = 1.5 * win / 11; c = (win - 1) / 2
    g = [[math.exp(-((i - c) ** 2 + (j - c) ** 2) / (2 * sigma * sigma)) for j in range(win)] for i in range(win)]
    tot = sum(map(sum, g)); g = [[v / tot for v in row] for row in g]
    S = CS = 0; n = 0
    for r in range(h - win + 1):
        for q in range(w - win + 1):
            mx = my = sxx = syy = sxy = 0
            for i in range(win):
                for j in range(win):
                    k = g[i][j]; a = X[r + i][q + j]; b = Y[r + i][q + j]
                    mx += k * a; my += k * b; sxx += k * a * a; syy += k * b * b; sxy += k * a * b
            vx, vy, cov = sxx - mx * mx, syy - my * my, sxy - mx * my
            cs = (2 * cov + C2) / (vx + vy + C2)
            S += (2 * mx * my + C1) / (mx * mx + my * my + C1) * cs; CS += cs; n += 1
    return S / n, CS / n
def down(X):
    h, w = len(X), len(X[0])
    return [[(X[2*i][2*j] + X[2*i][min(2*j+1, w-1)] + X[min(2*i+1, h-1)][2*j] + X[min(2*i+1, h-1)][min(2*j+1, w-1)]) / 4 for j in range((w + 1) // 2)] for i in range((h + 1) // 2)]
weights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]
res = 1
for s, wt in enumerate(weights):
    S, CS = ssim(X, Y)
    res *= max(S if s == 4 else CS, 0) ** wt
    print("scale", s, len(X[0]), "x", len(X), "ssim", S, "cs", CS)
    X, Y = down(X), down(Y)
print("msssim", repr(res))
