using System.Buffers.Binary;
using Microsoft.ML.Pcr.Jpeg;
using SkiaSharp;

namespace Microsoft.ML.Pcr.Tests.Conversion;

/// <summary>
/// Forged and truncated image files whose headers declare far more pixels than their bytes hold: small real images
/// with the declared size patched to up to 16384 x 16384, cut short, or followed by hundreds of empty scans. Shared by
/// the reliability tests and the benchmarks' hostile-inputs table (linked there), so both meet the same files.
/// </summary>
internal static class HostileImages
{
    /// <summary>The kinds made, in the order <see cref="Make"/> cycles through them.</summary>
    public static readonly string[] Kinds =
    [
        "baseline-gray", "baseline-color", "progressive-gray", "progressive-color", "baseline-cut", "progressive-cut",
        "empty-scans", "bmp", "png", "gif", "webp-lossless", "webp-lossy",
    ];

    /// <summary>
    /// Makes file number <paramref name="index"/>: kind <c>Kinds[index % Kinds.Length]</c>, or one of
    /// <paramref name="extraJpegSeeds"/> (for example arithmetic-coded files) forged the same way when given.
    /// </summary>
    /// <returns>The file's extension (".jpg", ".bmp", ...) and bytes.</returns>
    public static (string Extension, byte[] Bytes) Make(int index, IReadOnlyList<byte[]>? extraJpegSeeds = null)
    {
        var random = new Random(index);
        int kinds = Kinds.Length + (extraJpegSeeds?.Count ?? 0);
        int k = index % kinds;
        // Declared sizes at and just under the default limit of 2^28 pixels.
        (int w, int h) = (index / kinds % 3) switch { 0 => (16384, 16384), 1 => (16000, 16384), _ => (12000, 16384) };
        if (k >= Kinds.Length) return (".jpg", PatchJpegSize(extraJpegSeeds![k - Kinds.Length], w, h));
        bool color = random.Next(2) == 0;
        switch (Kinds[k])
        {
            case "baseline-gray": return (".jpg", PatchJpegSize(SeedJpeg(random, gray: true, progressive: false), w, h));
            case "baseline-color": return (".jpg", PatchJpegSize(SeedJpeg(random, gray: false, progressive: false), w, h));
            case "progressive-gray": return (".jpg", PatchJpegSize(SeedJpeg(random, gray: true, progressive: true), w, h));
            case "progressive-color": return (".jpg", PatchJpegSize(SeedJpeg(random, gray: false, progressive: true), w, h));
            case "baseline-cut": return (".jpg", CutAfterFirstScanHeader(PatchJpegSize(SeedJpeg(random, !color, false), w, h), random.Next(0, 64)));
            case "progressive-cut": return (".jpg", CutAfterFirstScanHeader(PatchJpegSize(SeedJpeg(random, !color, true), w, h), random.Next(0, 64)));
            case "empty-scans": return (".jpg", EmptyScans(SeedJpeg(random, !color, false), w, h, 999));
            case "bmp": return (".bmp", Bmp(w, h, 1024));
            case "png": return (".png", PatchPngSize(Encode(SeedBitmap(random, 64, 48, gray: false), SKEncodedImageFormat.Png), w, h));
            case "gif": return (".gif", Gif(w, h, 1024, random));
            case "webp-lossless": return (".webp", PatchWebpSize(EncodeWebp(SeedBitmap(random, 64, 48, false), lossless: true), Math.Min(w, 16383), Math.Min(h, 16383)));
            default: return (".webp", PatchWebpSize(EncodeWebp(SeedBitmap(random, 64, 48, false), lossless: false), Math.Min(w, 16383), Math.Min(h, 16383)));
        }
    }

    /// <summary>Writes <paramref name="count"/> hostile files into <paramref name="folder"/>/forged (one class).</summary>
    public static void WriteFolder(string folder, int count, IReadOnlyList<byte[]>? extraJpegSeeds = null)
    {
        string classDir = Directory.CreateDirectory(Path.Combine(folder, "forged")).FullName;
        for (int i = 0; i < count; i++)
        {
            var (extension, bytes) = Make(i, extraJpegSeeds);
            File.WriteAllBytes(Path.Combine(classDir, $"hostile{i:D4}{extension}"), bytes);
        }
    }

    /// <summary>A small real JPEG (noise, 64 x 48) that SkiaSharp encodes, made progressive by the transcoder when asked.</summary>
    public static byte[] SeedJpeg(Random random, bool gray, bool progressive)
    {
        using SKBitmap bitmap = SeedBitmap(random, 64, 48, gray);
        byte[] baseline = Encode(bitmap, SKEncodedImageFormat.Jpeg);
        return progressive ? new JpegTranscoder().Transcode(baseline, out _) : baseline;
    }

    /// <summary>Sets the frame header's height and width.</summary>
    public static byte[] PatchJpegSize(byte[] jpeg, int width, int height)
    {
        byte[] bytes = (byte[])jpeg.Clone();
        int sof = FindMarker(bytes, m => m is 0xC0 or 0xC1 or 0xC2 or 0xC9 or 0xCA);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 7), (ushort)width);
        return bytes;
    }

    /// <summary>Keeps the headers, the first scan header and <paramref name="dataBytes"/> bytes of its data; no EOI.</summary>
    public static byte[] CutAfterFirstScanHeader(byte[] jpeg, int dataBytes)
    {
        int sos = FindMarker(jpeg, m => m == 0xDA);
        int dataStart = sos + 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(sos + 2));
        return jpeg[..Math.Min(jpeg.Length, dataStart + dataBytes)];
    }

    /// <summary>The headers of <paramref name="jpeg"/> with its size patched, then <paramref name="scans"/> scan headers with no data, then EOI.</summary>
    public static byte[] EmptyScans(byte[] jpeg, int width, int height, int scans)
    {
        byte[] patched = PatchJpegSize(jpeg, width, height);
        int sos = FindMarker(patched, m => m == 0xDA);
        int sosEnd = sos + 2 + BinaryPrimitives.ReadUInt16BigEndian(patched.AsSpan(sos + 2));
        var output = new MemoryStream();
        output.Write(patched, 0, sos);
        for (int i = 0; i < scans; i++) output.Write(patched, sos, sosEnd - sos);
        output.Write([0xFF, 0xD9]);
        return output.ToArray();
    }

    /// <summary>A 24-bit BMP header declaring <paramref name="width"/> x <paramref name="height"/>, then <paramref name="dataBytes"/> bytes of pixels.</summary>
    public static byte[] Bmp(int width, int height, int dataBytes)
    {
        byte[] bytes = new byte[54 + dataBytes];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        long stride = ((width * 24L) + 31) / 32 * 4;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(2), (uint)Math.Min(uint.MaxValue, 54 + (stride * height)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(28), 24);
        for (int i = 54; i < bytes.Length; i++) bytes[i] = (byte)(i * 7);
        return bytes;
    }

    /// <summary>Sets a PNG's IHDR width and height (and the chunk's CRC, so the header itself reads as valid).</summary>
    public static byte[] PatchPngSize(byte[] png, int width, int height)
    {
        byte[] bytes = (byte[])png.Clone();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32(bytes.AsSpan(12, 17)));
        return bytes;
    }

    /// <summary>A GIF whose logical screen and only frame are <paramref name="width"/> x <paramref name="height"/>, with a few LZW bytes.</summary>
    public static byte[] Gif(int width, int height, int dataBytes, Random random)
    {
        var output = new MemoryStream();
        output.Write("GIF89a"u8);
        void Word(int v) { output.WriteByte((byte)v); output.WriteByte((byte)(v >> 8)); }
        Word(width);
        Word(height);
        output.Write([0x80, 0, 0, 0, 0, 0, 255, 255, 255]); // a 2-colour global table
        output.WriteByte(0x2C);
        Word(0);
        Word(0);
        Word(width);
        Word(height);
        output.WriteByte(0);
        output.WriteByte(2); // LZW minimum code size
        for (int left = dataBytes; left > 0; left -= 255)
        {
            int n = Math.Min(255, left);
            output.WriteByte((byte)n);
            for (int i = 0; i < n; i++) output.WriteByte((byte)random.Next(256));
        }
        output.Write([0, 0x3B]);
        return output.ToArray();
    }

    /// <summary>Sets the size in a simple WebP's VP8L or VP8 bitstream header (the RIFF sizes stay consistent).</summary>
    public static byte[] PatchWebpSize(byte[] webp, int width, int height)
    {
        byte[] bytes = (byte[])webp.Clone();
        var chunk = bytes.AsSpan(12, 4);
        if (chunk.SequenceEqual("VP8L"u8))
        {
            // After the 0x2F signature: 14 bits width - 1, 14 bits height - 1, alpha flag, version.
            uint header = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(21));
            header = (header & 0xF000_0000u) | (uint)(width - 1) | ((uint)(height - 1) << 14);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(21), header);
        }
        else if (chunk.SequenceEqual("VP8 "u8))
        {
            // Key frame: 3 bytes frame tag, start code 9D 01 2A, then 14-bit width and height (2 scale bits each).
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(26), (ushort)width);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(28), (ushort)height);
        }
        else
        {
            throw new InvalidOperationException($"unexpected WebP chunk {System.Text.Encoding.ASCII.GetString(chunk)}");
        }
        return bytes;
    }

    private static SKBitmap SeedBitmap(Random random, int width, int height, bool gray)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte v = (byte)random.Next(256);
                bitmap.SetPixel(x, y, gray ? new SKColor(v, v, v) : new SKColor(v, (byte)(x * 4), (byte)(y * 5)));
            }
        }
        return bitmap;
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format)
    {
        using SKData data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    private static byte[] EncodeWebp(SKBitmap bitmap, bool lossless)
    {
        using SKPixmap pixmap = bitmap.PeekPixels();
        using SKData data = pixmap.Encode(new SKWebpEncoderOptions(lossless ? SKWebpEncoderCompression.Lossless : SKWebpEncoderCompression.Lossy, 75));
        return data.ToArray();
    }

    private static int FindMarker(byte[] jpeg, Func<int, bool> wanted)
    {
        int p = 2;
        while (p + 4 <= jpeg.Length)
        {
            int marker = jpeg[p + 1];
            if (wanted(marker)) return p;
            p += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(p + 2));
        }
        throw new InvalidOperationException("marker not found");
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        // PNG's CRC-32 (reflected 0xEDB88320), bit by bit: only a 17-byte chunk is ever hashed here.
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
        }
        return ~crc;
    }
}
