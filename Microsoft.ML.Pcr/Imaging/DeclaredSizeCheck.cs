using System.Buffers.Binary;
using SkiaSharp;

namespace Microsoft.ML.Pcr.Imaging;

/// <summary>
/// Says, from the header alone, whether an image file's bytes can possibly hold the pixels its header declares, so
/// that a forged or truncated header is refused before a bitmap of the declared size is allocated (SkiaSharp sizes the
/// bitmap from the header and fills what the data does not reach).
/// </summary>
/// <remarks>
/// Each bound is what the format's densest coding can reach, so no complete file is refused:
/// <list type="bullet">
/// <item>BMP, uncompressed: exact, the rows the header implies must be in the file (the last one may lack its padding).</item>
/// <item>BMP, RLE: a coded run of 2 bytes covers at most 255 pixels. Escapes that skip pixels (delta, end of line or
/// bitmap) leave them transparent; a bitmap made mostly of skipped pixels is not a photo, so RLE files are held to
/// what their runs can cover.</item>
/// <item>PNG: deflate compresses at most 1032:1 (258-byte matches coded in about 2 bits), so the file must hold at
/// least 1/1032 of the filtered rows (a filter byte and the packed pixels per row).</item>
/// <item>GIF: an LZW code of w bits stands for at most 2^w pixels (the longest dictionary string), so 12-bit codes give
/// at most 4096 pixels per 12 bits; the logical screen must be coverable (a small frame on a huge screen is refused).</item>
/// <item>WebP: lossless VP8L can code a flat image in almost no bits, so no ratio holds; the RIFF container must be
/// whole (its declared size within the file), and the decode writes into zeroed memory that Skia is told not to
/// fill again, so the pages the data does not reach are never touched.</item>
/// </list>
/// </remarks>
internal static class DeclaredSizeCheck
{
    /// <summary>Deflate's largest compression ratio.</summary>
    private const long DeflateMaxRatio = 1032;

    /// <summary>Returns why <paramref name="input"/> cannot hold a <paramref name="width"/> x <paramref name="height"/> image, or null.</summary>
    public static string? Refuse(ReadOnlySpan<byte> input, SKEncodedImageFormat format, int width, int height)
    {
        long pixels = (long)width * height;
        switch (format)
        {
            case SKEncodedImageFormat.Bmp:
                return RefuseBmp(input, width, height);
            case SKEncodedImageFormat.Png:
                return RefusePng(input, width, height);
            case SKEncodedImageFormat.Gif:
                // 4096 pixels per 12 bits at most: 8192 / 3 pixels per byte.
                long gifMax = input.Length * 8192L / 3;
                return pixels > gifMax ? TooFew("GIF", width, height, input.Length, $"LZW can describe at most {gifMax:N0} pixels in it") : null;
            case SKEncodedImageFormat.Webp:
                if (input.Length >= 12)
                {
                    long riff = BinaryPrimitives.ReadUInt32LittleEndian(input[4..]) + 8L;
                    if (riff > input.Length)
                    {
                        return $"truncated WebP file: its RIFF header declares {riff:N0} bytes, the file holds {input.Length:N0}";
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static string? RefuseBmp(ReadOnlySpan<byte> input, int width, int height)
    {
        if (input.Length < 30 || input[0] != 'B' || input[1] != 'M')
        {
            return null; // an ICO-embedded or odd BMP: Skia reads the rest
        }

        long dataOffset = BinaryPrimitives.ReadUInt32LittleEndian(input[10..]);
        int headerSize = BinaryPrimitives.ReadInt32LittleEndian(input[14..]);
        int bitsPerPixel = headerSize == 12 ? BinaryPrimitives.ReadUInt16LittleEndian(input[24..]) : BinaryPrimitives.ReadUInt16LittleEndian(input[28..]);
        int compression = headerSize >= 40 && input.Length >= 34 ? BinaryPrimitives.ReadInt32LittleEndian(input[30..]) : 0;
        long available = Math.Max(0, input.Length - dataOffset);
        switch (compression)
        {
            case 0 or 3 or 6: // BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS
                long rowBytes = (((long)width * bitsPerPixel) + 7) / 8;
                long stride = (((long)width * bitsPerPixel) + 31) / 32 * 4;
                long needed = (stride * (height - 1)) + rowBytes;
                return available < needed ? TooFew("BMP", width, height, available, $"its rows need {needed:N0}") : null;
            case 1 or 2: // BI_RLE8, BI_RLE4
                long rleMax = available / 2 * 255;
                return (long)width * height > rleMax ? TooFew("BMP", width, height, available, $"RLE runs can cover at most {rleMax:N0} pixels") : null;
            default:
                return null;
        }
    }

    private static string? RefusePng(ReadOnlySpan<byte> input, int width, int height)
    {
        if (input.Length < 33)
        {
            return null;
        }

        // IHDR follows the 8-byte signature and the chunk's length and type: width, height, bit depth, colour type.
        int bitDepth = input[24];
        int channels = input[25] switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };
        long filtered = height * (1 + ((((long)width * channels * bitDepth) + 7) / 8));
        long needed = filtered / DeflateMaxRatio;
        return input.Length < needed
            ? TooFew("PNG", width, height, input.Length, $"its {filtered:N0} bytes of rows need at least {needed:N0} at deflate's best ratio")
            : null;
    }

    private static string TooFew(string format, int width, int height, long bytes, string why) =>
        $"{format} header declares {width}x{height} pixels, but the file holds only {bytes:N0} bytes of image data and {why}";
}
