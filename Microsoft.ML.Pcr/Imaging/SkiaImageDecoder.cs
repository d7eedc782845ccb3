using System.Buffers;
using SkiaSharp;

namespace Microsoft.ML.Pcr.Imaging;

/// <summary>
/// Decodes encoded image bytes (JPEG, PNG, WebP, GIF, BMP, ... whatever SkiaSharp reads) to 32-bit pixels, optionally at
/// a reduced JPEG DCT scale, or at full size into a bitmap for re-encoding, refusing headers that declare more pixels
/// than the file can hold. The one place the library calls SkiaSharp's decoders.
/// </summary>
internal static class SkiaImageDecoder
{
    // The scales libjpeg-turbo decodes with its reduced-size inverse DCTs, largest first. (SkiaSharp 2.88 also
    // offers 3/8, 5/8, 3/4 and 7/8; we keep to the powers of two, the fast paths.)
    private static readonly float[] ReducedScales = [0.5f, 0.25f, 0.125f];

    /// <summary>
    /// Decodes <paramref name="encoded"/> to 32-bit pixels in <paramref name="pixelFormat"/> order, alpha not
    /// premultiplied, as <see cref="DecodePixels(ReadOnlySpan{byte}, SKColorType, SKAlphaType, int?, int?, out SKSizeI)"/>.
    /// </summary>
    /// <param name="encoded">The encoded image; read in place (pinned), never copied.</param>
    /// <param name="pixelFormat">The byte order of the decoded pixels.</param>
    /// <param name="minWidth">The smallest acceptable width, or <see langword="null"/>.</param>
    /// <param name="minHeight">The smallest acceptable height, or <see langword="null"/>.</param>
    /// <param name="width">The width decoded at.</param>
    /// <param name="height">The height decoded at.</param>
    /// <returns>The pixels in an array rented from <see cref="ArrayPool{T}.Shared"/>, which the caller returns.</returns>
    /// <exception cref="ImageDecodeFailure">The bytes are not a decodable image; the message says why.</exception>
    public static byte[] DecodeUnpremultiplied(ReadOnlySpan<byte> encoded, ImagePixelFormat pixelFormat, int? minWidth, int? minHeight, out int width, out int height)
    {
        SKColorType colorType = pixelFormat == ImagePixelFormat.Rgba32 ? SKColorType.Rgba8888 : SKColorType.Bgra8888;
        byte[] pixels = DecodePixels(encoded, colorType, SKAlphaType.Unpremul, minWidth, minHeight, out SKSizeI size);
        width = size.Width;
        height = size.Height;
        return pixels;
    }

    /// <summary>
    /// Decodes <paramref name="encoded"/> to 32-bit pixels (rows packed) in an array rented from
    /// <see cref="ArrayPool{T}.Shared"/>, which the caller returns, at the smallest reduced scale whose size is still at
    /// least <paramref name="minWidth"/> x <paramref name="minHeight"/> when the codec supports scaled decoding.
    /// </summary>
    /// <param name="encoded">The encoded image; read in place (pinned), never copied.</param>
    /// <param name="colorType">Bgra8888 or Rgba8888.</param>
    /// <param name="translucentAlpha">How the pixels of an image with transparency are stored (premultiplied or not); opaque images are opaque either way.</param>
    /// <param name="minWidth">The smallest acceptable width, or <see langword="null"/>.</param>
    /// <param name="minHeight">The smallest acceptable height, or <see langword="null"/>.</param>
    /// <param name="size">The size decoded at.</param>
    /// <exception cref="ImageDecodeFailure">The bytes are not a decodable image; the message says why.</exception>
    public static unsafe byte[] DecodePixels(ReadOnlySpan<byte> encoded, SKColorType colorType, SKAlphaType translucentAlpha, int? minWidth, int? minHeight, out SKSizeI size)
    {
        if (encoded.IsEmpty)
            throw new ImageDecodeFailure("the byte vector is empty");

        fixed (byte* source = encoded)
        {
            // SKData over the pinned bytes (no copy); both it and the codec are disposed before the bytes are unpinned.
            using SKData data = SKData.Create((IntPtr)source, encoded.Length);
            using SKCodec? codec = SKCodec.Create(data);
            if (codec is null)
                throw new ImageDecodeFailure($"SkiaSharp recognises no image format in the {encoded.Length} bytes");

            size = ChooseSize(codec, minWidth, minHeight);
            SKAlphaType alpha = codec.Info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : translucentAlpha;
            if (TryDecode(codec, size, colorType, alpha, out byte[]? pixels, out SKCodecResult result))
                return pixels;
            if (result == SKCodecResult.InvalidScale && size != codec.Info.Size)
            {
                size = codec.Info.Size;
                if (TryDecode(codec, size, colorType, alpha, out pixels, out result))
                    return pixels;
            }
            throw new ImageDecodeFailure(result == SKCodecResult.IncompleteInput
                ? $"the {codec.EncodedFormat} image of {codec.Info.Width}x{codec.Info.Height} is truncated"
                : $"SkiaSharp could not decode the {codec.EncodedFormat} image of {codec.Info.Width}x{codec.Info.Height} ({result})");
        }
    }

    /// <summary>
    /// Decodes <paramref name="input"/> at full size to an opaque bitmap for re-encoding as JPEG: grayscale stays
    /// grayscale, an image with transparency is flattened onto white. Refuses, with the reason, bytes that are no image,
    /// an image of more than <paramref name="maxPixels"/> pixels, a header that declares more pixels than the file can
    /// hold (<see cref="DeclaredSizeCheck"/>) and data that does not decode completely.
    /// </summary>
    /// <param name="input">The encoded image; read in place (pinned), never copied.</param>
    /// <param name="maxPixels">The largest width x height accepted.</param>
    /// <param name="bitmap">The decoded bitmap, which the caller disposes; null when refused.</param>
    /// <param name="format">The format SkiaSharp recognised, for messages.</param>
    /// <returns>Null when decoded; otherwise why the bytes cannot be decoded.</returns>
    public static unsafe string? DecodeOpaque(ReadOnlySpan<byte> input, long maxPixels, out SKBitmap? bitmap, out SKEncodedImageFormat format)
    {
        bitmap = null;
        format = default;
        fixed (byte* p = input)
        {
            using var data = SKData.Create((IntPtr)p, input.Length);
            using var codec = SKCodec.Create(data);
            if (codec is null) return "not an image (no JPEG, PNG, BMP, GIF or WebP signature)";
            format = codec.EncodedFormat;
            SKImageInfo source = codec.Info;
            if (source.Width <= 0 || source.Height <= 0) return "image has no pixels";
            if ((long)source.Width * source.Height > maxPixels)
                return $"image of {source.Width}x{source.Height} pixels exceeds the limit of {maxPixels}";
            string? forged = DeclaredSizeCheck.Refuse(input, codec.EncodedFormat, source.Width, source.Height);
            if (forged is not null) return forged;

            bool gray = source.ColorType == SKColorType.Gray8;
            var info = new SKImageInfo(source.Width, source.Height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, gray ? SKAlphaType.Opaque : SKAlphaType.Premul);
            var decoded = new SKBitmap(info);
            // A new bitmap's pixels are zeroed (calloc); telling the codec so stops it filling the rows the data does not
            // reach, so their pages are never touched and a header that overstates the data costs no memory for them.
            SKCodecResult result = codec.GetPixels(info, decoded.GetPixels(), new SKCodecOptions(SKZeroInitialized.Yes));
            if (result != SKCodecResult.Success)
            {
                decoded.Dispose();
                return result == SKCodecResult.IncompleteInput ? $"truncated {codec.EncodedFormat} file" : $"unreadable {codec.EncodedFormat} file ({result})";
            }

            if (gray || source.AlphaType == SKAlphaType.Opaque)
            {
                bitmap = decoded;
            }
            else
            {
                using (decoded)
                    bitmap = FlattenOntoWhite(decoded);
            }

            return null;
        }
    }

    /// <summary>
    /// The size to decode at: the smallest scale the codec supports (of 1/2, 1/4, 1/8) that is at least the requested
    /// size in both dimensions; the full size when none is, when nothing is requested, or when the codec does not scale.
    /// </summary>
    internal static SKSizeI ChooseSize(SKCodec codec, int? minWidth, int? minHeight)
    {
        SKSizeI best = codec.Info.Size;
        if (minWidth is null && minHeight is null)
            return best;
        foreach (float scale in ReducedScales)
        {
            SKSizeI scaled = codec.GetScaledDimensions(scale);
            if (scaled.Width < (minWidth ?? 1) || scaled.Height < (minHeight ?? 1))
                break;
            if ((long)scaled.Width * scaled.Height < (long)best.Width * best.Height)
                best = scaled;
        }
        return best;
    }

    private static unsafe bool TryDecode(SKCodec codec, SKSizeI size, SKColorType colorType, SKAlphaType alpha,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? pixels, out SKCodecResult result)
    {
        var info = new SKImageInfo(size.Width, size.Height, colorType, alpha);
        long byteCount = info.BytesSize64;
        if (size.Width <= 0 || size.Height <= 0 || byteCount > Array.MaxLength)
            throw new ImageDecodeFailure($"the image is {size.Width}x{size.Height} pixels, too large for one pixel buffer");

        pixels = ArrayPool<byte>.Shared.Rent((int)byteCount);
        fixed (byte* target = pixels)
            result = codec.GetPixels(info, (IntPtr)target);
        // IncompleteInput is a truncated file, which SkiaSharp would fill with gray: that is damaged data, not an image.
        // (A PCR prefix is not truncated: it ends with EOI and decodes with Success.)
        if (result == SKCodecResult.Success)
            return true;
        ArrayPool<byte>.Shared.Return(pixels);
        pixels = null;
        return false;
    }

    private static SKBitmap FlattenOntoWhite(SKBitmap bitmap)
    {
        var flat = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(flat);
        canvas.Clear(SKColors.White);
        canvas.DrawBitmap(bitmap, 0, 0);
        return flat;
    }
}
