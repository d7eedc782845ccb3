using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// Bilinear resampling of a crop of a BGRA image into a normalised CHW float tensor (R, G, B planes); eight output
/// pixels a step where AVX2 is available (their four neighbours gathered as whole pixels), with the same float
/// operations in the same order as the scalar loop, so both give identical tensors.
/// </summary>
[SkipLocalsInit]
internal static class TensorSampler
{
    /// <summary>Fills <paramref name="chw"/> from <paramref name="bgra"/>.</summary>
    /// <param name="bgra">The decoded pixels, <paramref name="width"/> x <paramref name="height"/>.</param>
    /// <param name="width">Decoded width.</param>
    /// <param name="height">Decoded height.</param>
    /// <param name="scaleX">Decoded width over full width.</param>
    /// <param name="scaleY">Decoded height over full height.</param>
    /// <param name="cropX">Crop left edge in full-size pixels.</param>
    /// <param name="cropY">Crop top edge in full-size pixels.</param>
    /// <param name="cropWidth">Crop width in full-size pixels.</param>
    /// <param name="cropHeight">Crop height in full-size pixels.</param>
    /// <param name="chw">The tensor.</param>
    /// <param name="o">Size, flip and normalisation.</param>
    /// <param name="vectors">Whether to use the eight-pixel steps where they run (tests compare both).</param>
    public static void Sample(ReadOnlySpan<byte> bgra, int width, int height, double scaleX, double scaleY,
        int cropX, int cropY, int cropWidth, int cropHeight, Span<float> chw, in TensorDecodeOptions o, bool vectors = true)
    {
        int tw = o.Width, th = o.Height, plane = tw * th;
        double stepX = cropWidth * scaleX / tw, stepY = cropHeight * scaleY / th;
        double originX = cropX * scaleX, originY = cropY * scaleY;
        float scaleR = 1f / (255f * o.StdDev.R), scaleG = 1f / (255f * o.StdDev.G), scaleB = 1f / (255f * o.StdDev.B);
        float biasR = -o.Mean.R / o.StdDev.R, biasG = -o.Mean.G / o.StdDev.G, biasB = -o.Mean.B / o.StdDev.B;

        Span<int> x0 = tw <= 1024 ? stackalloc int[tw] : new int[tw];
        Span<float> fx = tw <= 1024 ? stackalloc float[tw] : new float[tw];
        for (int u = 0; u < tw; u++)
        {
            int source = o.FlipHorizontal ? tw - 1 - u : u;
            double x = Math.Clamp(originX + ((source + 0.5) * stepX) - 0.5, 0, width - 1);
            int xi = Math.Min((int)x, width - 2 < 0 ? 0 : width - 2);
            x0[u] = xi;
            fx[u] = (float)(x - xi);
        }

        int stride = width * 4;
        int dx = width > 1 ? 4 : 0;
        for (int v = 0; v < th; v++)
        {
            double y = Math.Clamp(originY + ((v + 0.5) * stepY) - 0.5, 0, height - 1);
            int yi = Math.Min((int)y, height - 2 < 0 ? 0 : height - 2);
            float fy = (float)(y - yi);
            var top = bgra.Slice(yi * stride);
            var bottom = height > 1 ? bgra.Slice((yi + 1) * stride) : top;
            int outRow = v * tw;
            int u = 0;
            if (Avx2.IsSupported && vectors)
            {
                u = SampleRow(top, bottom, dx / 4, x0, fx, fy, chw.Slice(outRow), plane, (scaleR, scaleG, scaleB), (biasR, biasG, biasB));
            }

            for (; u < tw; u++)
            {
                int p = x0[u] * 4;
                float a = fx[u];
                float w00 = (1 - a) * (1 - fy), w01 = a * (1 - fy), w10 = (1 - a) * fy, w11 = a * fy;
                float b = (top[p] * w00) + (top[p + dx] * w01) + (bottom[p] * w10) + (bottom[p + dx] * w11);
                float g = (top[p + 1] * w00) + (top[p + dx + 1] * w01) + (bottom[p + 1] * w10) + (bottom[p + dx + 1] * w11);
                float r = (top[p + 2] * w00) + (top[p + dx + 2] * w01) + (bottom[p + 2] * w10) + (bottom[p + dx + 2] * w11);
                chw[outRow + u] = (r * scaleR) + biasR;
                chw[plane + outRow + u] = (g * scaleG) + biasG;
                chw[(2 * plane) + outRow + u] = (b * scaleB) + biasB;
            }
        }
    }

    // Output pixels 0 to a multiple of eight of one tensor row (returns how many): the four neighbours of eight outputs
    // gathered as 32-bit pixels, each channel weighted as the scalar loop weights it.
    private static unsafe int SampleRow(ReadOnlySpan<byte> top, ReadOnlySpan<byte> bottom, int dx, ReadOnlySpan<int> x0, ReadOnlySpan<float> fx,
        float fy, Span<float> output, int plane, (float R, float G, float B) scale, (float R, float G, float B) bias)
    {
        int count = x0.Length & ~7;
        var one = Vector256.Create(1f);
        var wy = Vector256.Create(fy);
        var wy1 = one - wy;
        var bytes = Vector256.Create(0xFF);
        fixed (byte* t = top)
        fixed (byte* b = bottom)
        {
            ref float o = ref MemoryMarshal.GetReference(output);
            for (int u = 0; u < count; u += 8)
            {
                var index = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(x0), (nuint)u);
                var a = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(fx), (nuint)u);
                var a1 = one - a;
                var w00 = a1 * wy1;
                var w01 = a * wy1;
                var w10 = a1 * wy;
                var w11 = a * wy;
                var next = index + Vector256.Create(dx);
                var p00 = Avx2.GatherVector256((int*)t, index, 4);
                var p01 = Avx2.GatherVector256((int*)t, next, 4);
                var p10 = Avx2.GatherVector256((int*)b, index, 4);
                var p11 = Avx2.GatherVector256((int*)b, next, 4);
                for (int c = 0; c < 3; c++)
                {
                    int shift = c * 8;
                    var s00 = Avx.ConvertToVector256Single(Vector256.ShiftRightLogical(p00, shift) & bytes);
                    var s01 = Avx.ConvertToVector256Single(Vector256.ShiftRightLogical(p01, shift) & bytes);
                    var s10 = Avx.ConvertToVector256Single(Vector256.ShiftRightLogical(p10, shift) & bytes);
                    var s11 = Avx.ConvertToVector256Single(Vector256.ShiftRightLogical(p11, shift) & bytes);
                    var value = (s00 * w00) + (s01 * w01) + (s10 * w10) + (s11 * w11);

                    // Channel c is B, G, R in memory; the planes are R, G, B.
                    var (k, bk, target) = c switch { 0 => (scale.B, bias.B, 2), 1 => (scale.G, bias.G, 1), _ => (scale.R, bias.R, 0) };
                    ((value * Vector256.Create(k)) + Vector256.Create(bk)).StoreUnsafe(ref o, (nuint)((target * plane) + u));
                }
            }
        }

        return count;
    }
}
