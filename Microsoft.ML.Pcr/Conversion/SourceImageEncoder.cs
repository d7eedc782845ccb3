using Microsoft.ML.Pcr.Imaging;
using Microsoft.ML.Pcr.Jpeg;
using SkiaSharp;

namespace Microsoft.ML.Pcr.Conversion;

/// <summary>
/// Turns one input file's bytes into a progressive JPEG: JPEGs are transcoded losslessly; other formats
/// SkiaSharp decodes (PNG, BMP, GIF, WebP, ...) are decoded by <see cref="SkiaImageDecoder.DecodeOpaque"/> (flattened onto white), encoded as JPEG at the stated
/// quality, then transcoded. Input bytes are only read.
/// </summary>
internal sealed class SourceImageEncoder
{
    private readonly JpegTranscoder _transcoder;
    private readonly int _quality;

    public SourceImageEncoder(JpegTranscoder transcoder, int quality)
    {
        _transcoder = transcoder;
        _quality = quality;
    }

    /// <summary>The outcome of encoding one input.</summary>
    public readonly record struct Outcome(ReadOnlyMemory<int> ScanEnds, bool Reencoded, string? SkipReason);

    /// <summary>Encodes <paramref name="input"/> into <paramref name="output"/>, or says why it cannot be converted.</summary>
    public Outcome Encode(ReadOnlySpan<byte> input, string relativePath, PooledBufferWriter output)
    {
        if (input.IsEmpty) return Skip("empty file (0 bytes)");
        bool isJpeg = input.Length >= 3 && input[0] == JpegMarkers.Prefix && input[1] == JpegMarkers.SOI && input[2] == JpegMarkers.Prefix;
        try
        {
            if (isJpeg) return Transcode(input, relativePath, output, reencoded: false);

            using PooledBufferWriter baseline = new(input.Length);
            string? reason = EncodeWithSkia(input, baseline);
            return reason is not null ? Skip(reason) : Transcode(baseline.WrittenSpan, relativePath, output, reencoded: true);
        }
        catch (PcrFormatException e)
        {
            output.Clear();
            return Skip(e.Reason);
        }
    }

    private Outcome Transcode(ReadOnlySpan<byte> jpeg, string relativePath, PooledBufferWriter output, bool reencoded)
    {
        output.Clear();
        // libjpeg fills a truncated or damaged scan with zeros and only warns; a damaged photo is not training data, so
        // reading stops at the first damage (a PcrFormatException "damaged JPEG: ..."), before a forged header's size is
        // ever allocated or walked.
        JpegTranscodeResult result = _transcoder.Transcode(jpeg, output, relativePath, refuseDataLoss: true);
        return new Outcome(result.ScanEnds, reencoded, null);
    }

    private string? EncodeWithSkia(ReadOnlySpan<byte> input, PooledBufferWriter jpegOut)
    {
        string? refusal = SkiaImageDecoder.DecodeOpaque(input, _transcoder.MaxPixels, out SKBitmap? bitmap, out SKEncodedImageFormat format);
        if (refusal is not null) return refusal;

        using (bitmap)
        {
            using SKPixmap pixmap = bitmap!.PeekPixels();
            using SKData? jpeg = pixmap.Encode(new SKJpegEncoderOptions(_quality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore));
            if (jpeg is null) return $"SkiaSharp could not encode the {format} image as JPEG";
            jpeg.AsSpan().CopyTo(jpegOut.GetSpan((int)jpeg.Size));
            jpegOut.Advance((int)jpeg.Size);
            return null;
        }
    }

    private static Outcome Skip(string reason) => new(default, false, reason);
}
