namespace Microsoft.ML.Pcr.Format;

/// <summary>
/// One image handed to <see cref="PcrWriter"/>: a progressive JPEG, where its scans end, its label
/// and its original path.
/// </summary>
/// <param name="ProgressiveJpeg">The progressive JPEG, EOI included.</param>
/// <param name="ScanEnds">
/// The end of each scan's entropy-coded data (<see cref="Jpeg.JpegScanCutter.FindScanEnds"/>), the last
/// being the position of EOI; empty to let the writer find them.
/// </param>
/// <param name="Label">The 0-based class label.</param>
/// <param name="RelativePath">The image's path relative to the ImageFolder root ('/'-separated), or <see langword="null"/>.</param>
public readonly record struct PcrImageEntry(ReadOnlyMemory<byte> ProgressiveJpeg, ReadOnlyMemory<int> ScanEnds, int Label, string? RelativePath);
