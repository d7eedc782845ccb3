namespace Microsoft.ML.Pcr.Imaging;

/// <summary>The byte order of a 32-bit pixel (four bytes a pixel, rows packed) that the image decoders write and the fidelity measures read.</summary>
public enum ImagePixelFormat
{
    /// <summary>Blue, green, red, alpha: the order of ML.NET's <c>MLPixelFormat.Bgra32</c> and of SkiaSharp's default decode.</summary>
    Bgra32,

    /// <summary>Red, green, blue, alpha: the order of ML.NET's <c>MLPixelFormat.Rgba32</c>.</summary>
    Rgba32,
}
