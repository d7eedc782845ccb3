namespace Microsoft.ML.Pcr.Conversion;

/// <summary>Progress of a conversion, as reported to <see cref="ImageFolderConversionOptions.Progress"/>.</summary>
/// <param name="ImagesDone">Inputs processed so far (converted or skipped).</param>
/// <param name="ImagesTotal">Inputs to process.</param>
/// <param name="BytesIn">Bytes read from the inputs processed so far.</param>
/// <param name="BytesOut">Bytes of progressive JPEG produced so far.</param>
/// <param name="SkippedFiles">Inputs skipped so far (unreadable, truncated or not images).</param>
public readonly record struct PcrConversionProgress(int ImagesDone, int ImagesTotal, long BytesIn, long BytesOut, int SkippedFiles);
