namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>Bilinear resampling of a crop of a BGRA image into a normalised CHW float tensor (R, G, B planes).</summary>
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
    public static void Sample(ReadOnlySpan<byte> bgra, int width, int height, double scaleX, double scaleY,
        int cropX, int cropY, int cropWidth, int cropHeight, Span<float> chw, in TensorDecodeOptions o)
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
            for (int u = 0; u < tw; u++)
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
}
