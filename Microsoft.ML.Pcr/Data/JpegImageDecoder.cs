using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Jpeg.Pixels;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// The JPEG branch of image decoding: our own pixel decoder (its output equals SkiaSharp's libjpeg-turbo decode), one per
/// thread, used where it is the faster of the two: decodes at 1/8 scale, where it Huffman-decodes only what the DC-only
/// output needs (benchmarks table 8; at 1/4, 1/2 and full size SkiaSharp is faster today, because our coefficient reader
/// decodes every scan and SkiaSharp's libjpeg-turbo is SIMD throughout). Anything else goes to SkiaSharp, which then
/// decodes it or reports why not exactly as before.
/// </summary>
internal static class JpegImageDecoder
{
    [ThreadStatic]
    private static JpegPixelDecoder? t_decoder;

    /// <summary>Decodes <paramref name="encoded"/> when it is a JPEG our decoder reads; null otherwise (the caller falls back to SkiaSharp).</summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="minWidth">The smallest acceptable width, or null.</param>
    /// <param name="minHeight">The smallest acceptable height, or null.</param>
    public static MLImage? TryDecode(ReadOnlySpan<byte> encoded, int? minWidth, int? minHeight)
    {
        if (encoded.Length < 4 || encoded[0] != 0xFF || encoded[1] != 0xD8 || encoded[2] != 0xFF)
            return null;
        try
        {
            var decoder = t_decoder ??= new JpegPixelDecoder();
            if (decoder.ChooseScaleDenominator(encoded, minWidth, minHeight) != 8)
                return null;
            var pixels = decoder.DecodeToBgra(encoded, minWidth, minHeight, out int width, out int height);
            return MLImage.CreateFromPixels(width, height, MLPixelFormat.Bgra32, pixels);
        }
        catch (PcrFormatException)
        {
            return null;
        }
    }
}
