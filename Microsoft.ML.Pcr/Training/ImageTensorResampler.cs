using System.Runtime.CompilerServices;
using Microsoft.ML.Pcr.Imaging;
using Microsoft.ML.Pcr.Jpeg.Pixels;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// The last step of every <see cref="IImageTensorDecoder"/>: a bilinear resample of a crop of decoded 32-bit pixels into
/// the network's normalized CHW input, the same arithmetic whichever decoder produced the pixels, so that equal pixels
/// give bit-identical tensors; eight output pixels a step through <see cref="BilinearRow"/> where it runs, with the
/// scalar loop's float operations in the same order (subtracting the bias is adding its negation, exactly).
/// </summary>
[SkipLocalsInit]
internal static class ImageTensorResampler
{
    // ImageNet's per-channel statistics (R, G, B), as torchvision's Normalize uses them.
    public static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <summary>Bilinear resample of the crop of a 32-bit image (rows packed, RGBA or BGRA) into normalized CHW planes (R, G, B).</summary>
    /// <param name="pixels">The decoded pixels, <paramref name="width"/> x <paramref name="height"/>.</param>
    /// <param name="pixelFormat">RGBA or BGRA.</param>
    /// <param name="width">Decoded width.</param>
    /// <param name="height">Decoded height.</param>
    /// <param name="size">The tensor's side.</param>
    /// <param name="crop">The crop, as fractions of the image, and whether to mirror it.</param>
    /// <param name="chw">The target, at least 3 x size x size floats.</param>
    /// <param name="vectors">Whether to use the eight-pixel steps where they run (tests compare both).</param>
    public static void Resample(ReadOnlySpan<byte> pixels, ImagePixelFormat pixelFormat, int width, int height, int size, ImageCrop crop, Span<float> chw, bool vectors = true)
    {
        int plane = size * size;
        // Byte offsets of red and blue in a pixel; green is at 1 in both orders.
        int red = pixelFormat == ImagePixelFormat.Bgra32 ? 2 : 0, blue = 2 - red;
        if (chw.Length < 3 * plane) throw new ArgumentException($"The target holds {chw.Length} floats; 3x{size}x{size} were expected.", nameof(chw));
        float x0 = crop.X * width, y0 = crop.Y * height;
        float sx = crop.Width * width / size, sy = crop.Height * height / size;
        var scale = (R: 1f / (255f * Std[0]), G: 1f / (255f * Std[1]), B: 1f / (255f * Std[2]));
        var bias = (R: Mean[0] / Std[0], G: Mean[1] / Std[1], B: Mean[2] / Std[2]);

        // The source columns and weights of every output column, the same for every row.
        Span<int> left = size <= 1024 ? stackalloc int[size] : new int[size];
        Span<int> right = size <= 1024 ? stackalloc int[size] : new int[size];
        Span<float> weight = size <= 1024 ? stackalloc float[size] : new float[size];
        for (int ox = 0; ox < size; ox++)
        {
            int tx = crop.Flip ? size - 1 - ox : ox;
            float fx = Math.Clamp(x0 + (tx + 0.5f) * sx - 0.5f, 0, width - 1);
            int ix = (int)fx;
            left[ox] = ix;
            right[ox] = Math.Min(ix + 1, width - 1);
            weight[ox] = fx - ix;
        }

        int stride = width * 4;
        for (int oy = 0; oy < size; oy++)
        {
            float fy = Math.Clamp(y0 + (oy + 0.5f) * sy - 0.5f, 0, height - 1);
            int iy = (int)fy;
            int iy1 = Math.Min(iy + 1, height - 1);
            float wy = fy - iy;
            var top = pixels.Slice(iy * stride, stride);
            var bottom = pixels.Slice(iy1 * stride, stride);
            int row = oy * size;
            int ox = 0;
            if (vectors)
                ox = BilinearRow.Sample(top, bottom, left, right, weight, wy, (red * 8, 8, blue * 8), scale, (-bias.R, -bias.G, -bias.B), chw.Slice(row), plane);

            for (; ox < size; ox++)
            {
                int a = left[ox] * 4, b = right[ox] * 4;
                float wx = weight[ox];
                float w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
                int o = row + ox;
                chw[o] = (top[a + red] * w00 + top[b + red] * w01 + bottom[a + red] * w10 + bottom[b + red] * w11) * scale.R - bias.R;
                chw[plane + o] = (top[a + 1] * w00 + top[b + 1] * w01 + bottom[a + 1] * w10 + bottom[b + 1] * w11) * scale.G - bias.G;
                chw[2 * plane + o] = (top[a + blue] * w00 + top[b + blue] * w01 + bottom[a + blue] * w10 + bottom[b + blue] * w11) * scale.B - bias.B;
            }
        }
    }
}
