using System.Runtime.InteropServices;
using Microsoft.ML.Pcr.Jpeg;
using SkiaSharp;

namespace Microsoft.ML.Pcr.Conversion;

/// <summary>
/// Turns one input file's bytes into a progressive JPEG: JPEGs are transcoded losslessly; other formats
/// SkiaSharp decodes (PNG, BMP, GIF, WebP, ...) are flattened onto white, encoded as JPEG at the stated
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

    private unsafe string? EncodeWithSkia(ReadOnlySpan<byte> input, PooledBufferWriter jpegOut)
    {
        fixed (byte* p = input)
        {
            using var data = SKData.Create((IntPtr)p, input.Length);
            using var codec = SKCodec.Create(data);
            if (codec is null) return "not an image (no JPEG, PNG, BMP, GIF or WebP signature)";
            SKImageInfo source = codec.Info;
            if (source.Width <= 0 || source.Height <= 0) return "image has no pixels";
            if ((long)source.Width * source.Height > _transcoder.MaxPixels)
                return $"image of {source.Width}x{source.Height} pixels exceeds the limit of {_transcoder.MaxPixels}";
            string? forged = DeclaredSizeCheck.Refuse(input, codec.EncodedFormat, source.Width, source.Height);
            if (forged is not null) return forged;

            bool gray = source.ColorType == SKColorType.Gray8;
            var info = new SKImageInfo(source.Width, source.Height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, gray ? SKAlphaType.Opaque : SKAlphaType.Premul);
            using var bitmap = new SKBitmap(info);
            // A new bitmap's pixels are zeroed (calloc); telling the codec so stops it filling the rows the data does not
            // reach, so their pages are never touched and a header that overstates the data costs no memory for them.
            SKCodecResult decoded = codec.GetPixels(info, bitmap.GetPixels(), new SKCodecOptions(SKZeroInitialized.Yes));
            if (decoded != SKCodecResult.Success)
                return decoded == SKCodecResult.IncompleteInput ? $"truncated {codec.EncodedFormat} file" : $"unreadable {codec.EncodedFormat} file ({decoded})";

            using SKBitmap? flattened = gray || source.AlphaType == SKAlphaType.Opaque ? null : FlattenOntoWhite(bitmap);
            using SKPixmap pixmap = (flattened ?? bitmap).PeekPixels();
            using SKData? jpeg = pixmap.Encode(new SKJpegEncoderOptions(_quality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore));
            if (jpeg is null) return $"SkiaSharp could not encode the {codec.EncodedFormat} image as JPEG";
            jpeg.AsSpan().CopyTo(jpegOut.GetSpan((int)jpeg.Size));
            jpegOut.Advance((int)jpeg.Size);
            return null;
        }
    }

    private static SKBitmap FlattenOntoWhite(SKBitmap bitmap)
    {
        var flat = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(flat);
        canvas.Clear(SKColors.White);
        canvas.DrawBitmap(bitmap, 0, 0);
        return flat;
    }

    private static Outcome Skip(string reason) => new(default, false, reason);
}
