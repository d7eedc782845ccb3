using Microsoft.ML.Pcr.Imaging;
using Microsoft.ML.Pcr.Data;
using SkiaSharp;
using System.Buffers;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// <see cref="IImageTensorDecoder"/> on SkiaSharp: a DCT-scaled decode (1/2, 1/4, 1/8 while the image stays at least
/// the input size, see <see cref="SkiaImageDecoder.ChooseSize"/>), then a bilinear resample of the crop straight into
/// the tensor's CHW planes with ImageNet's mean and standard deviation.
/// </summary>
internal sealed class SkiaImageTensorDecoder : IImageTensorDecoder
{
    /// <summary>The one instance (the decoder holds no state).</summary>
    public static readonly SkiaImageTensorDecoder Instance = new();

    // ImageNet's per-channel statistics (R, G, B), as torchvision's Normalize uses them.
    internal static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    internal static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <inheritdoc/>
    public void Decode(ReadOnlySpan<byte> encoded, int size, ImageCrop crop, Span<float> chw)
    {
        byte[] pixels = SkiaImageDecoder.DecodePixels(encoded, SKColorType.Rgba8888, SKAlphaType.Unpremul, size, size, out SKSizeI decoded);
        try
        {
            Resample(pixels, decoded.Width, decoded.Height, size, crop, chw);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pixels);
        }
    }

    /// <summary>Bilinear resample of the crop of an RGBA image (rows packed) into normalized CHW planes.</summary>
    internal static void Resample(ReadOnlySpan<byte> rgba, int width, int height, int size, ImageCrop crop, Span<float> chw)
    {
        int plane = size * size;
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
                chw[o] = (rgba[a] * w00 + rgba[b] * w01 + rgba[c] * w10 + rgba[d] * w11) * r0 - m0;
                chw[plane + o] = (rgba[a + 1] * w00 + rgba[b + 1] * w01 + rgba[c + 1] * w10 + rgba[d + 1] * w11) * r1 - m1;
                chw[2 * plane + o] = (rgba[a + 2] * w00 + rgba[b + 2] * w01 + rgba[c + 2] * w10 + rgba[d + 2] * w11) * r2 - m2;
            }
        }
    }
}
