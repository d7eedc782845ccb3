using Microsoft.ML.Pcr.Imaging;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// The last step of every <see cref="IImageTensorDecoder"/>: a bilinear resample of a crop of decoded 32-bit pixels into
/// the network's normalized CHW input, the same arithmetic whichever decoder produced the pixels, so that equal pixels
/// give bit-identical tensors.
/// </summary>
internal static class ImageTensorResampler
{
    // ImageNet's per-channel statistics (R, G, B), as torchvision's Normalize uses them.
    public static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <summary>Bilinear resample of the crop of a 32-bit image (rows packed, RGBA or BGRA) into normalized CHW planes (R, G, B).</summary>
    public static void Resample(ReadOnlySpan<byte> pixels, ImagePixelFormat pixelFormat, int width, int height, int size, ImageCrop crop, Span<float> chw)
    {
        int plane = size * size;
        // Byte offsets of red and blue in a pixel; green is at 1 in both orders.
        int red = pixelFormat == ImagePixelFormat.Bgra32 ? 2 : 0, blue = 2 - red;
        if (chw.Length < 3 * plane) throw new ArgumentException($"The target holds {chw.Length} floats; 3x{size}x{size} were expected.", nameof(chw));
        float x0 = crop.X * width, y0 = crop.Y * height;
        float sx = crop.Width * width / size, sy = crop.Height * height / size;
        float r0 = 1f / (255f * Std[0]), r1 = 1f / (255f * Std[1]), r2 = 1f / (255f * Std[2]);
        float m0 = Mean[0] / Std[0], m1 = Mean[1] / Std[1], m2 = Mean[2] / Std[2];
        for (int oy = 0; oy < size; oy++)
        {
            float fy = Math.Clamp(y0 + (oy + 0.5f) * sy - 0.5f, 0, height - 1);
            int iy = (int)fy;
            int iy1 = Math.Min(iy + 1, height - 1);
            float wy = fy - iy;
            for (int ox = 0; ox < size; ox++)
            {
                int tx = crop.Flip ? size - 1 - ox : ox;
                float fx = Math.Clamp(x0 + (tx + 0.5f) * sx - 0.5f, 0, width - 1);
                int ix = (int)fx;
                int ix1 = Math.Min(ix + 1, width - 1);
                float wx = fx - ix;
                int a = (iy * width + ix) * 4, b = (iy * width + ix1) * 4, c = (iy1 * width + ix) * 4, d = (iy1 * width + ix1) * 4;
                float w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
                int o = oy * size + ox;
                chw[o] = (pixels[a + red] * w00 + pixels[b + red] * w01 + pixels[c + red] * w10 + pixels[d + red] * w11) * r0 - m0;
                chw[plane + o] = (pixels[a + 1] * w00 + pixels[b + 1] * w01 + pixels[c + 1] * w10 + pixels[d + 1] * w11) * r1 - m1;
                chw[2 * plane + o] = (pixels[a + blue] * w00 + pixels[b + blue] * w01 + pixels[c + blue] * w10 + pixels[d + blue] * w11) * r2 - m2;
            }
        }
    }
}
