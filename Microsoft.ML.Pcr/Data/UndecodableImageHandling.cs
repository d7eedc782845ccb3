namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// What <see cref="ImageDecodingTransformer"/> gives for a row whose bytes are not an image SkiaSharp can decode
/// (an empty byte vector, an unknown format, a corrupt or truncated-beyond-use file).
/// </summary>
public enum UndecodableImageHandling
{
    /// <summary>
    /// Throw a <see cref="PcrFormatException"/> that names the row position, the column and the cause. The default.
    /// </summary>
    Throw = 0,

    /// <summary>
    /// Give a missing image: <see langword="null"/>, as <c>LoadImages</c> gives for an empty path.
    /// <c>ExtractPixels</c> turns it into an all-zero vector, but ML.NET 5.0.1's <c>ResizeImages</c> mishandles a
    /// <see langword="null"/> image after the first row (it hands out the image it disposed for the previous row, and the
    /// next transform fails with "Object is disposed."), so choose <see cref="Blank"/> when <c>ResizeImages</c> follows.
    /// </summary>
    Missing = 1,

    /// <summary>
    /// Give a 1x1 fully transparent image (every byte zero). Every ML.NET image transform accepts it:
    /// <c>ResizeImages</c> stretches it to a transparent image, <c>ExtractPixels</c> turns that into an all-zero vector,
    /// the same values a missing image gives.
    /// </summary>
    Blank = 2,
}
