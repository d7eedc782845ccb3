using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Jpeg.Pixels;
using SkiaSharp;

namespace Microsoft.ML.Pcr.Imaging;

/// <summary>
/// Decodes encoded image bytes to BGRA, routing each image to one of two decoders with the same output: a JPEG goes to
/// our own pixel decoder (<see cref="JpegPixelDecoder"/>, one per thread, buffers reused, pixels equal to SkiaSharp's
/// libjpeg-turbo decode at every DCT scale); PNG, GIF, BMP, WebP and any JPEG our decoder refuses (damaged, truncated,
/// over its pixel limit, or a kind it does not read) go to <see cref="SkiaImageDecoder"/>, which then decodes it or
/// reports why not, so errors read as they always have.
/// </summary>
internal static class ImageDecoder
{
    [ThreadStatic]
    private static JpegPixelDecoder? t_decoder;

    /// <summary>
    /// Decodes <paramref name="encoded"/> to BGRA (premultiplied alpha, no colour-space conversion, as <c>SKBitmap.Decode</c>
    /// does), at the smallest reduced scale whose size is still at least <paramref name="minWidth"/> x <paramref name="minHeight"/>
    /// when the format supports scaled decoding.
    /// </summary>
    /// <param name="encoded">The encoded image; read in place, never copied.</param>
    /// <param name="minWidth">The smallest acceptable width, or <see langword="null"/> for no constraint on the width.</param>
    /// <param name="minHeight">The smallest acceptable height, or <see langword="null"/> for no constraint on the height.</param>
    /// <returns>The pixels; dispose them after use, before this thread decodes again.</returns>
    /// <exception cref="ImageDecodeFailure">The bytes are not a decodable image; the message says why.</exception>
    public static BgraPixels DecodeBgra(ReadOnlySpan<byte> encoded, int? minWidth, int? minHeight)
    {
        if (TryDecodeJpeg(encoded, minWidth, minHeight, out ReadOnlySpan<byte> jpegPixels, out int width, out int height))
            return new BgraPixels(jpegPixels, width, height, rented: null);

        byte[] pixels = SkiaImageDecoder.DecodePixels(encoded, SKColorType.Bgra8888, SKAlphaType.Premul, minWidth, minHeight, out SKSizeI size);
        return new BgraPixels(pixels.AsSpan(0, size.Width * size.Height * 4), size.Width, size.Height, pixels);
    }

    /// <summary>
    /// Decodes <paramref name="encoded"/> with this thread's <see cref="JpegPixelDecoder"/> at the scale
    /// <see cref="SkiaImageDecoder.ChooseSize"/> would pick, when it is a JPEG that decoder reads; false otherwise (not a
    /// JPEG, or refused), and the caller falls back to SkiaSharp.
    /// </summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="minWidth">The smallest acceptable width, or <see langword="null"/>.</param>
    /// <param name="minHeight">The smallest acceptable height, or <see langword="null"/>.</param>
    /// <param name="pixels">The BGRA pixels (alpha 255, rows packed) in the thread's decoder: valid until this thread decodes again.</param>
    /// <param name="width">The decoded width.</param>
    /// <param name="height">The decoded height.</param>
    internal static bool TryDecodeJpeg(ReadOnlySpan<byte> encoded, int? minWidth, int? minHeight, out ReadOnlySpan<byte> pixels, out int width, out int height)
    {
        pixels = default;
        width = height = 0;
        if (encoded.Length < 4 || encoded[0] != JpegMarkers.Prefix || encoded[1] != JpegMarkers.SOI || encoded[2] != JpegMarkers.Prefix)
            return false;
        try
        {
            var decoder = t_decoder ??= new JpegPixelDecoder();
            pixels = decoder.DecodeToBgra(encoded, minWidth, minHeight, out width, out height);
            return true;
        }
        catch (PcrFormatException)
        {
            return false;
        }
    }
}
