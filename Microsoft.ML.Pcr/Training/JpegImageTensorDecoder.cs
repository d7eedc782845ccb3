using Microsoft.ML.Pcr.Imaging;
using Microsoft.ML.Pcr.Jpeg.Pixels;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// The trainer's <see cref="IImageTensorDecoder"/>: a JPEG goes to this thread's <see cref="JpegPixelDecoder"/> (buffers
/// reused, so a batch decodes without allocating once each decoding thread has seen its largest image), at the DCT scale
/// SkiaSharp would pick (<see cref="SkiaImageDecoder.ChooseSize"/>), and is resampled from the decoder's buffer straight
/// into the tensor (<see cref="ImageTensorResampler.Resample"/>). The decoder's pixels equal SkiaSharp's and the resample
/// is the same arithmetic, so the tensor is bit for bit what <see cref="SkiaImageTensorDecoder"/> writes. PNG, GIF, BMP,
/// WebP and any JPEG our decoder refuses (damaged, truncated, a kind it does not read) go to
/// <see cref="SkiaImageTensorDecoder"/>, which decodes them or raises <see cref="ImageDecodeFailure"/> as before.
/// </summary>
internal sealed class JpegImageTensorDecoder : IImageTensorDecoder
{
    /// <summary>The one instance (the per-thread decoders are thread-static).</summary>
    public static readonly JpegImageTensorDecoder Instance = new();

    /// <inheritdoc/>
    public void Decode(ReadOnlySpan<byte> encoded, int size, ImageCrop crop, Span<float> chw)
    {
        if (ImageDecoder.TryDecodeJpeg(encoded, size, size, out ReadOnlySpan<byte> pixels, out int width, out int height))
            ImageTensorResampler.Resample(pixels, ImagePixelFormat.Bgra32, width, height, size, crop, chw);
        else
            SkiaImageTensorDecoder.Instance.Decode(encoded, size, crop, chw);
    }
}
