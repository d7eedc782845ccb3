namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// Where an image's pixels go in the network's input: a crop of the decoded image (as fractions of its width and
/// height, so it does not depend on the scale the decoder chose), mirrored or not.
/// </summary>
/// <param name="X">Left edge, 0..1.</param>
/// <param name="Y">Top edge, 0..1.</param>
/// <param name="Width">Width, 0..1.</param>
/// <param name="Height">Height, 0..1.</param>
/// <param name="Flip">Mirror horizontally.</param>
internal readonly record struct ImageCrop(float X, float Y, float Width, float Height, bool Flip)
{
    /// <summary>The whole image.</summary>
    public static ImageCrop Whole => new(0, 0, 1, 1, false);
}

/// <summary>
/// The seam between the trainer and the JPEG decoder: encoded JPEG/PNG bytes in, a normalized CHW float image of the
/// network's input size out, written in place into the batch tensor's memory. The decoder may decode at a reduced
/// DCT scale as long as the decoded image is at least <c>size x size</c> (or the full image when smaller).
/// </summary>
internal interface IImageTensorDecoder
{
    /// <summary>Decodes <paramref name="encoded"/>, crops it to <paramref name="crop"/>, resizes it to <paramref name="size"/> x <paramref name="size"/> and writes R, G, B planes, normalized, into <paramref name="chw"/> (3 x size x size floats).</summary>
    /// <exception cref="Imaging.ImageDecodeFailure">The bytes are not a decodable image.</exception>
    void Decode(ReadOnlySpan<byte> encoded, int size, ImageCrop crop, Span<float> chw);
}
