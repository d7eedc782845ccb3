using System.Buffers;
using Microsoft.ML.Pcr.Imaging;

namespace Microsoft.ML.Pcr.Quality;

/// <summary>
/// An image decoded to 32-bit pixels (four bytes a pixel, rows packed with no padding) in a pooled
/// buffer, as the fidelity measures of <see cref="ImageFidelity"/> take it. Dispose it to return the buffer.
/// </summary>
public sealed class DecodedImage : IDisposable
{
    private byte[]? _pixels;

    private DecodedImage(byte[] pixels, int width, int height, ImagePixelFormat pixelFormat)
    {
        _pixels = pixels;
        Width = width;
        Height = height;
        PixelFormat = pixelFormat;
    }

    /// <summary>Gets the width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gets the byte order of a pixel: <see cref="ImagePixelFormat.Bgra32"/> or <see cref="ImagePixelFormat.Rgba32"/>.</summary>
    public ImagePixelFormat PixelFormat { get; }

    /// <summary>Gets the pixels: <see cref="Height"/> rows of <see cref="Width"/> x 4 bytes.</summary>
    public ReadOnlySpan<byte> Pixels => (_pixels ?? throw new ObjectDisposedException(nameof(DecodedImage))).AsSpan(0, Width * Height * 4);

    /// <summary>
    /// Decodes <paramref name="encoded"/> (a JPEG, including one truncated after any scan of a progressive JPEG and
    /// closed with an EOI marker, or any other format SkiaSharp reads) to opaque 32-bit pixels.
    /// </summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="pixelFormat">The byte order of the decoded pixels: <see cref="ImagePixelFormat.Bgra32"/> (default) or <see cref="ImagePixelFormat.Rgba32"/>.</param>
    /// <param name="sourceName">Where the bytes came from, for error messages.</param>
    /// <param name="minSize">
    /// Null (default) for full size; otherwise a JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8) that is still
    /// at least <paramref name="minSize"/> in both dimensions, as <c>DecodeImages</c> does for that size.
    /// </param>
    /// <returns>The decoded image; dispose it.</returns>
    /// <exception cref="PcrFormatException">The bytes are not an image SkiaSharp can decode completely.</exception>
    public static DecodedImage Decode(ReadOnlySpan<byte> encoded, ImagePixelFormat pixelFormat = ImagePixelFormat.Bgra32, string? sourceName = null, int? minSize = null)
    {
        if (pixelFormat is not (ImagePixelFormat.Bgra32 or ImagePixelFormat.Rgba32))
            throw new ArgumentOutOfRangeException(nameof(pixelFormat), pixelFormat, "The pixel format must be Bgra32 or Rgba32.");
        try
        {
            byte[] pixels = SkiaImageDecoder.DecodeUnpremultiplied(encoded, pixelFormat, minWidth: minSize, minHeight: minSize, out int width, out int height);
            return new DecodedImage(pixels, width, height, pixelFormat);
        }
        catch (ImageDecodeFailure failure)
        {
            throw new PcrFormatException(failure.Message, sourceName);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_pixels is { } p) ArrayPool<byte>.Shared.Return(p);
        _pixels = null;
    }
}
