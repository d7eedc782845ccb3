using Microsoft.ML.Pcr.Imaging;
using Microsoft.ML.Pcr.Data;
using SkiaSharp;
using System.Buffers;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// <see cref="IImageTensorDecoder"/> on SkiaSharp: a DCT-scaled decode (1/2, 1/4, 1/8 while the image stays at least
/// the input size, see <see cref="SkiaImageDecoder.ChooseSize"/>), then <see cref="ImageTensorResampler.Resample"/>: a
/// bilinear resample of the crop straight into the tensor's CHW planes with ImageNet's mean and standard deviation.
/// </summary>
internal sealed class SkiaImageTensorDecoder : IImageTensorDecoder
{
    /// <summary>The one instance (the decoder holds no state).</summary>
    public static readonly SkiaImageTensorDecoder Instance = new();

    /// <inheritdoc/>
    public void Decode(ReadOnlySpan<byte> encoded, int size, ImageCrop crop, Span<float> chw)
    {
        byte[] pixels = SkiaImageDecoder.DecodePixels(encoded, SKColorType.Rgba8888, SKAlphaType.Unpremul, size, size, out SKSizeI decoded);
        try
        {
            ImageTensorResampler.Resample(pixels, ImagePixelFormat.Rgba32, decoded.Width, decoded.Height, size, crop, chw);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pixels);
        }
    }
}
