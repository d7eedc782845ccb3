namespace Microsoft.ML.Pcr.Imaging;

/// <summary>Raised by <see cref="SkiaImageDecoder"/> for bytes that are not a decodable image; the caller adds the row and column.</summary>
internal sealed class ImageDecodeFailure(string cause) : Exception(cause);
