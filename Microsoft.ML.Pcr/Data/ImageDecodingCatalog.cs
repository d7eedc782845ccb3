using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML;

/// <summary>
/// Extension methods on <see cref="TransformsCatalog"/> for decoding encoded image bytes into <see cref="MLImage"/>s.
/// </summary>
public static class ImageDecodingCatalog
{
    /// <summary>
    /// Create an <see cref="ImageDecodingEstimator"/>, which decodes the encoded image bytes in the column specified in
    /// <paramref name="inputColumnName"/> into an image in a new column: <paramref name="outputColumnName"/>.
    /// </summary>
    /// <param name="catalog">The transform's catalog.</param>
    /// <param name="outputColumnName">Name of the column resulting from the transformation of <paramref name="inputColumnName"/>.
    /// This column's data type will be <see cref="ImageDataViewType"/>, as from <c>LoadImages</c>.</param>
    /// <param name="inputColumnName">Name of the column holding one encoded image (JPEG, PNG, WebP, GIF, BMP) per row.
    /// This estimator operates over a vector of <see cref="byte"/>, what <c>LoadRawImageBytes</c> and a PCR loader's image column give.
    /// If set to <see langword="null"/>, the value of <paramref name="outputColumnName"/> is used as source.</param>
    /// <param name="imageWidth">The smallest width, in pixels, a reduced-scale (1/2, 1/4, 1/8) JPEG decode may give; it must be
    /// positive. <see langword="null"/> puts no constraint on the width; with <paramref name="imageHeight"/> also
    /// <see langword="null"/>, images decode at full size. Follow with <c>ResizeImages</c> for an exact size.</param>
    /// <param name="imageHeight">The smallest height, in pixels, a reduced-scale JPEG decode may give; it must be positive.
    /// <see langword="null"/> puts no constraint on the height.</param>
    /// <param name="undecodableImages">What a row whose bytes cannot be decoded gives: by default the cursor throws a
    /// <see cref="Pcr.PcrFormatException"/> naming the row.</param>
    /// <returns>The estimator.</returns>
    public static ImageDecodingEstimator DecodeImages(this TransformsCatalog catalog, string outputColumnName, string? inputColumnName = null,
        int? imageWidth = null, int? imageHeight = null, UndecodableImageHandling undecodableImages = UndecodableImageHandling.Throw)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        if (imageWidth is <= 0)
            throw new ArgumentOutOfRangeException(nameof(imageWidth), imageWidth, "The image width must be positive, or null for no constraint.");
        if (imageHeight is <= 0)
            throw new ArgumentOutOfRangeException(nameof(imageHeight), imageHeight, "The image height must be positive, or null for no constraint.");
        if (!Enum.IsDefined(undecodableImages))
            throw new ArgumentOutOfRangeException(nameof(undecodableImages), undecodableImages, "Expected Throw, Missing or Blank.");
        return new ImageDecodingEstimator(new ImageDecodingEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            ImageWidth = imageWidth,
            ImageHeight = imageHeight,
            UndecodableImages = undecodableImages,
        });
    }

    /// <summary>
    /// Create an <see cref="ImageDecodingEstimator"/> using advanced options, which decodes the encoded image bytes in the
    /// column specified in <see cref="ImageDecodingEstimator.Options.InputColumnName"/> into an image in a new column:
    /// <see cref="ImageDecodingEstimator.Options.OutputColumnName"/>.
    /// </summary>
    /// <param name="catalog">The transform's catalog.</param>
    /// <param name="options">The column names, target size and handling of undecodable bytes.</param>
    /// <returns>The estimator.</returns>
    public static ImageDecodingEstimator DecodeImages(this TransformsCatalog catalog, ImageDecodingEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ImageDecodingEstimator(options);
    }
}
