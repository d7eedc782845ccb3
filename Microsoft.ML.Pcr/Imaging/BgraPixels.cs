using System.Buffers;

namespace Microsoft.ML.Pcr.Imaging;

/// <summary>
/// Decoded BGRA pixels (rows packed) from <see cref="ImageDecoder.DecodeBgra"/>: either in a buffer rented from
/// <see cref="ArrayPool{T}.Shared"/>, which <see cref="Dispose"/> returns, or in the calling thread's JPEG decoder,
/// valid until that thread's next decode. Use the pixels before disposing and before decoding again.
/// </summary>
internal readonly ref struct BgraPixels
{
    private readonly byte[]? _rented;

    /// <summary>Initializes the pixels over <paramref name="pixels"/>; <paramref name="rented"/> is the pooled array behind them, if any.</summary>
    public BgraPixels(ReadOnlySpan<byte> pixels, int width, int height, byte[]? rented)
    {
        Span = pixels;
        Width = width;
        Height = height;
        _rented = rented;
    }

    /// <summary>Gets the pixels: <see cref="Height"/> rows of <see cref="Width"/> x 4 bytes.</summary>
    public ReadOnlySpan<byte> Span { get; }

    /// <summary>Gets the width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the height in pixels.</summary>
    public int Height { get; }

    /// <summary>Returns the pooled buffer, if the pixels are in one.</summary>
    public void Dispose()
    {
        if (_rented is not null)
            ArrayPool<byte>.Shared.Return(_rented);
    }
}
