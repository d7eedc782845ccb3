namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// What <see cref="JpegPixelDecoder.DecodeToTensor"/> writes: a crop of the image, optionally mirrored, resized
/// bilinearly to <see cref="Width"/> x <see cref="Height"/> and normalised per channel, as a CHW tensor in R, G, B order.
/// </summary>
public readonly struct TensorDecodeOptions
{
    /// <summary>Creates options for a network input of <paramref name="width"/> x <paramref name="height"/>, the whole image,
    /// no flip, and values scaled to [0, 1] (mean 0, standard deviation 1).</summary>
    /// <param name="width">The tensor's width in pixels (at least 1).</param>
    /// <param name="height">The tensor's height in pixels (at least 1).</param>
    public TensorDecodeOptions(int width, int height)
    {
        if (width < 1)
            throw new ArgumentOutOfRangeException(nameof(width), width, "The tensor width must be at least 1.");
        if (height < 1)
            throw new ArgumentOutOfRangeException(nameof(height), height, "The tensor height must be at least 1.");
        Width = width;
        Height = height;
        Mean = (0f, 0f, 0f);
        StdDev = (1f, 1f, 1f);
    }

    /// <summary>Gets the tensor's width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the tensor's height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gets the crop rectangle in the full-size image's pixels (x, y, width, height), or null for the whole image.
    /// It is clipped to the image.</summary>
    public (int X, int Y, int Width, int Height)? Crop { get; init; }

    /// <summary>Gets whether the crop is mirrored left to right.</summary>
    public bool FlipHorizontal { get; init; }

    /// <summary>Gets the per-channel mean (R, G, B) subtracted from values in [0, 1].</summary>
    public (float R, float G, float B) Mean { get; init; }

    /// <summary>Gets the per-channel standard deviation (R, G, B) the centred values are divided by; each must be positive.</summary>
    public (float R, float G, float B) StdDev { get; init; }

    /// <summary>Gets the number of floats the tensor takes: 3 x <see cref="Height"/> x <see cref="Width"/>.</summary>
    public int TensorLength => 3 * Width * Height;
}
