using System.Buffers;

namespace Microsoft.ML.Pcr.Quality;

/// <summary>
/// MS-SSIM on luma (Wang, Simoncelli, Bovik 2003), in pooled float buffers: a separable Gaussian filter without
/// padding ("valid"), 2x2 averaging between scales. See <see cref="ImageFidelity.MultiScaleSsim(ReadOnlySpan{byte}, ReadOnlySpan{byte}, int, int, Imaging.ImagePixelFormat)"/>.
/// </summary>
internal static class MultiScaleSsimCalculator
{
    public const int WindowSize = 11;
    public const double WindowSigma = 1.5;
    public const double K1 = 0.01, K2 = 0.03;
    public static ReadOnlySpan<double> Weights => [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

    private const double C1 = K1 * ImageFidelity.PeakValue * (K1 * ImageFidelity.PeakValue);
    private const double C2 = K2 * ImageFidelity.PeakValue * (K2 * ImageFidelity.PeakValue);

    public static double Compute(ReadOnlySpan<byte> reference, ReadOnlySpan<byte> distorted, int width, int height, bool bgra)
    {
        int n = width * height;
        float[] x = ArrayPool<float>.Shared.Rent(n), y = ArrayPool<float>.Shared.Rent(n);
        float[] planes = ArrayPool<float>.Shared.Rent(5 * n);
        double[] rows = ArrayPool<double>.Shared.Rent(5 * width);
        try
        {
            ToLuma(reference, x, n, bgra);
            ToLuma(distorted, y, n, bgra);
            ReadOnlySpan<double> weights = Weights;
            double result = 1;
            int w = width, h = height;
            for (int scale = 0; scale < weights.Length; scale++)
            {
                (double ssim, double cs) = Ssim(x, y, w, h, planes, rows);
                bool last = scale == weights.Length - 1;
                result *= Math.Pow(Math.Max(last ? ssim : cs, 0), weights[scale]);
                if (last) break;
                Downsample(x, w, h);
                Downsample(y, w, h);
                w = (w + 1) / 2;
                h = (h + 1) / 2;
            }
            return result;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(x);
            ArrayPool<float>.Shared.Return(y);
            ArrayPool<float>.Shared.Return(planes);
            ArrayPool<double>.Shared.Return(rows);
        }
    }

    private static void ToLuma(ReadOnlySpan<byte> pixels, Span<float> luma, int n, bool bgra)
    {
        int r = bgra ? 2 : 0, b = bgra ? 0 : 2;
        for (int i = 0, p = 0; i < n; i++, p += 4)
            luma[i] = 0.299f * pixels[p + r] + 0.587f * pixels[p + 1] + 0.114f * pixels[p + b];
    }

    /// <summary>Halves the plane in place (rounding up); an odd last row or column is averaged with itself.</summary>
    private static void Downsample(Span<float> plane, int w, int h)
    {
        int w2 = (w + 1) / 2, h2 = (h + 1) / 2;
        for (int i = 0; i < h2; i++)
        {
            int r0 = 2 * i * w, r1 = Math.Min(2 * i + 1, h - 1) * w;
            for (int j = 0; j < w2; j++)
            {
                int c0 = 2 * j, c1 = Math.Min(2 * j + 1, w - 1);
                // Every source lies at or after the destination, so writing in row order never reads a written value.
                plane[i * w2 + j] = 0.25f * (plane[r0 + c0] + plane[r0 + c1] + plane[r1 + c0] + plane[r1 + c1]);
            }
        }
    }

    /// <summary>Mean SSIM and mean contrast-structure term of one scale.</summary>
    private static (double Ssim, double Cs) Ssim(float[] x, float[] y, int w, int h, float[] planes, double[] rows)
    {
        int win = Math.Min(WindowSize, Math.Min(w, h));
        Span<double> g = stackalloc double[WindowSize];
        g = g[..win];
        double sigma = WindowSigma * win / WindowSize, centre = (win - 1) / 2.0, total = 0;
        for (int t = 0; t < win; t++) total += g[t] = Math.Exp(-(t - centre) * (t - centre) / (2 * sigma * sigma));
        for (int t = 0; t < win; t++) g[t] /= total;

        int outW = w - win + 1, outH = h - win + 1, plane = h * outW;
        Span<float> mx = planes.AsSpan(0, plane), my = planes.AsSpan(plane, plane), xx = planes.AsSpan(2 * plane, plane),
            yy = planes.AsSpan(3 * plane, plane), xy = planes.AsSpan(4 * plane, plane);

        // Horizontal pass: every row, valid columns only.
        for (int r = 0; r < h; r++)
        {
            ReadOnlySpan<float> xr = x.AsSpan(r * w, w), yr = y.AsSpan(r * w, w);
            int o = r * outW;
            for (int c = 0; c < outW; c++)
            {
                double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
                for (int t = 0; t < win; t++)
                {
                    double a = xr[c + t], b = yr[c + t], k = g[t];
                    sx += k * a;
                    sy += k * b;
                    sxx += k * a * a;
                    syy += k * b * b;
                    sxy += k * a * b;
                }
                mx[o + c] = (float)sx;
                my[o + c] = (float)sy;
                xx[o + c] = (float)sxx;
                yy[o + c] = (float)syy;
                xy[o + c] = (float)sxy;
            }
        }

        // Vertical pass, row by row into double accumulators, then the SSIM terms.
        Span<double> amx = rows.AsSpan(0, outW), amy = rows.AsSpan(outW, outW), axx = rows.AsSpan(2 * outW, outW),
            ayy = rows.AsSpan(3 * outW, outW), axy = rows.AsSpan(4 * outW, outW);
        double ssimSum = 0, csSum = 0;
        for (int r = 0; r < outH; r++)
        {
            rows.AsSpan(0, 5 * outW).Clear();
            for (int t = 0; t < win; t++)
            {
                double k = g[t];
                int o = (r + t) * outW;
                for (int c = 0; c < outW; c++)
                {
                    amx[c] += k * mx[o + c];
                    amy[c] += k * my[o + c];
                    axx[c] += k * xx[o + c];
                    ayy[c] += k * yy[o + c];
                    axy[c] += k * xy[o + c];
                }
            }
            for (int c = 0; c < outW; c++)
            {
                double ux = amx[c], uy = amy[c];
                double vx = axx[c] - ux * ux, vy = ayy[c] - uy * uy, cov = axy[c] - ux * uy;
                double cs = (2 * cov + C2) / (vx + vy + C2);
                csSum += cs;
                ssimSum += (2 * ux * uy + C1) / (ux * ux + uy * uy + C1) * cs;
            }
        }
        double count = (double)outW * outH;
        return (ssimSum / count, csSum / count);
    }
}
