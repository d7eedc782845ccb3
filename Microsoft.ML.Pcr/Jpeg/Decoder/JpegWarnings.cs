namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// Collects the non-fatal problems libjpeg would warn about (it carries on and so do we). Each
/// distinct message is kept once and the list is capped, so a hostile file cannot make the reader
/// allocate a message per MCU.
/// </summary>
internal sealed class JpegWarnings
{
    /// <summary>A Huffman code no table defines (JWRN_HUFF_BAD_CODE); the coefficient reads as 0.</summary>
    public const string BadHuffmanCode = "Corrupt JPEG data: bad Huffman code";

    /// <summary>An arithmetic-coded value out of range (JWRN_ARITH_BAD_CODE).</summary>
    public const string BadArithmeticCode = "Corrupt JPEG data: bad arithmetic code";

    /// <summary>A marker in the middle of entropy-coded data (JWRN_HIT_MARKER); the rest of the segment reads as zeros.</summary>
    public const string PrematureEndOfSegment = "Corrupt JPEG data: premature end of data segment";

    /// <summary>The data ends before the image does (JWRN_JPEG_EOF).</summary>
    public const string PrematureEndOfFile = "Premature end of JPEG file";

    /// <summary>Another marker where a restart marker was due (JWRN_MUST_RESYNC); MCUs are lost until the next restart.</summary>
    public const string MissingRestartMarker = "Corrupt JPEG data: found another marker instead of the expected restart marker";

    /// <summary>Bytes between segments that are not a marker (JWRN_EXTRANEOUS_DATA); they are skipped.</summary>
    public const string ExtraneousBytes = "Corrupt JPEG data: extraneous bytes before marker";

    private const int MaxWarnings = 16;

    /// <summary>
    /// Whether <paramref name="warning"/> means coefficients were lost (filled with zeros as libjpeg does), as opposed
    /// to a remark about markers (an unknown JFIF revision or Adobe transform, skipped extraneous bytes).
    /// </summary>
    public static bool MeansDataLoss(string warning) =>
        warning is BadHuffmanCode or BadArithmeticCode or PrematureEndOfSegment or PrematureEndOfFile or MissingRestartMarker;
    private readonly List<string> _target;
    private readonly string? _refusingFile;

    /// <summary>Creates a collector that appends to <paramref name="target"/>.</summary>
    /// <param name="target">Where the warnings go.</param>
    /// <param name="refusingFile">
    /// When not null, a warning that means data loss is thrown as a <see cref="PcrFormatException"/> naming this file
    /// (empty for none) instead of being recorded: reading stops where the damage is found.
    /// </param>
    public JpegWarnings(List<string> target, string? refusingFile = null)
    {
        _target = target;
        _refusingFile = refusingFile;
    }

    /// <summary>Whether the first data loss ends reading (see the constructor).</summary>
    public bool RefusesDataLoss => _refusingFile is not null;

    /// <summary>Records <paramref name="message"/> unless it was already recorded or the cap is reached.</summary>
    /// <exception cref="PcrFormatException"><paramref name="message"/> means data loss and <see cref="RefusesDataLoss"/>.</exception>
    public void Add(string message)
    {
        if (_refusingFile is not null && MeansDataLoss(message))
        {
            throw new PcrFormatException($"damaged JPEG: {message}", file: _refusingFile.Length == 0 ? null : _refusingFile);
        }

        if (_target.Count >= MaxWarnings)
        {
            return;
        }

        foreach (var w in _target)
        {
            if (ReferenceEquals(w, message) || w == message)
            {
                return;
            }
        }

        _target.Add(message);
    }
}
