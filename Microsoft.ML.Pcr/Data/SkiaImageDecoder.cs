using System.Buffers;
using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// Decodes encoded image bytes (JPEG, PNG, WebP, GIF, BMP, ... whatever SkiaSharp reads) into a BGRA32
/// <see cref="MLImage"/>, optionally at a reduced JPEG DCT scale.
/// </summary>
internal static class SkiaImageDecoder
{
    // The scales libjpeg-turbo decodes with its reduced-size inverse DCTs, largest first. (SkiaSharp 2.88 also
    // offers 3/8, 5/8, 3/4 and 7/8; we keep to the powers of two, the fast paths.)
    private static readonly float[] ReducedScales = [0.5f, 0.25f, 0.125f];

    /// <summary>
    /// Decodes <paramref name="encoded"/>, at the smallest reduced scale whose size is still at least
    /// <paramref name="minWidth"/> x <paramref name="minHeight"/> when the codec supports scaled decoding.
    /// </summary>
    /// <param name="encoded">The encoded image; read in place (pinned), never copied.</param>
    /// <param name="minWidth">The smallest acceptable width, or <see langword="null"/> for no constraint on the width.</param>
    /// <param name="minHeight">The smallest acceptable height, or <see langword="null"/> for no constraint on the height.</param>
    /// <returns>The decoded image; the caller owns it.</returns>
    /// <exception cref="ImageDecodeFailure">The bytes are not a decodable image; the message says why.</exception>
    public static MLImage Decode(ReadOnlySpan<byte> encoded, int? minWidth, int? minHeight)
    {
        // As SKBitmap.Decode does: BGRA, premultiplied alpha, no colour-space conversion.
        byte[] pixels = DecodePixels(encoded, SKColorType.Bgra8888, SKAlphaType.Premul, minWidth, minHeight, out SKSizeI size);
        try
        {
            return MLImage.CreateFromPixels(size.Width, size.Height, MLPixelFormat.Bgra32, pixels.AsSpan(0, size.Width * size.Height * 4));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pixels);
        }
    }

    /// <summary>
    /// Decodes <paramref name="encoded"/> to 32-bit pixels (rows packed) in an array rented from
    /// <see cref="ArrayPool{T}.Shared"/>, which the caller returns; sizes as <see cref="Decode"/>.
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
}

/// <summary>Raised by <see cref="SkiaImageDecoder"/> for bytes that are not a decodable image; the caller adds the row and column.</summary>
internal sealed class ImageDecodeFailure(string cause) : Exception(cause);
