using System.Runtime.CompilerServices;

namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// Bilinear resampling of a crop of a BGRA image into a normalised CHW float tensor (R, G, B planes); eight output
/// pixels a step through <see cref="BilinearRow"/> where it runs, with the scalar loop's float operations in the same
/// order, so both give identical tensors.
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
        Span<int> x1 = tw <= 1024 ? stackalloc int[tw] : new int[tw];
        Span<float> fx = tw <= 1024 ? stackalloc float[tw] : new float[tw];
        for (int u = 0; u < tw; u++)
        {
            int source = o.FlipHorizontal ? tw - 1 - u : u;
            double x = Math.Clamp(originX + ((source + 0.5) * stepX) - 0.5, 0, width - 1);
            int xi = Math.Min((int)x, width - 2 < 0 ? 0 : width - 2);
            x0[u] = xi;
            x1[u] = width > 1 ? xi + 1 : xi;
            fx[u] = (float)(x - xi);
        }

        int stride = width * 4;
        for (int v = 0; v < th; v++)
        {
            double y = Math.Clamp(originY + ((v + 0.5) * stepY) - 0.5, 0, height - 1);
            int yi = Math.Min((int)y, height - 2 < 0 ? 0 : height - 2);
            float fy = (float)(y - yi);
            var top = bgra.Slice(yi * stride);
            var bottom = height > 1 ? bgra.Slice((yi + 1) * stride) : top;
            int outRow = v * tw;
            int u = 0;
            if (vectors)
            {
                u = BilinearRow.Sample(top, bottom, x0, x1, fx, fy, (16, 8, 0), (scaleR, scaleG, scaleB), (biasR, biasG, biasB), chw.Slice(outRow), plane);
            }

            for (; u < tw; u++)
            {
                int p = x0[u] * 4, q = x1[u] * 4;
                float a = fx[u];
                float w00 = (1 - a) * (1 - fy), w01 = a * (1 - fy), w10 = (1 - a) * fy, w11 = a * fy;
                float b = (top[p] * w00) + (top[q] * w01) + (bottom[p] * w10) + (bottom[q] * w11);
                float g = (top[p + 1] * w00) + (top[q + 1] * w01) + (bottom[p + 1] * w10) + (bottom[q + 1] * w11);
                float r = (top[p + 2] * w00) + (top[q + 2] * w01) + (bottom[p + 2] * w10) + (bottom[q + 2] * w11);
                chw[outRow + u] = (r * scaleR) + biasR;
                chw[plane + outRow + u] = (g * scaleG) + biasG;
                chw[(2 * plane) + outRow + u] = (b * scaleB) + biasB;
            }
        }
    }
}
