namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// Decides, once a scan's header is read (the scan's components and spectral band are in <paramref name="frame"/>),
/// whether its entropy-coded data can be passed over without decoding because no coefficient it carries is used.
/// </summary>
/// <param name="frame">The frame and the current scan.</param>
/// <returns>True to skip the scan; its coefficients stay as they are.</returns>
internal delegate bool ScanSkipFilter(FrameState frame);
