namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>
/// What <see cref="JpegTranscoder.Transcode(ReadOnlySpan{byte}, System.Buffers.IBufferWriter{byte}, string?)"/> wrote.
/// </summary>
/// <param name="Length">Bytes written, including the final EOI marker.</param>
/// <param name="ScanEnds">
/// For each scan j (1..n), the position, relative to the start of the output, where its
/// entropy-coded data ends (the <c>e_j</c> of the PCR format); the last one is the position of EOI.
/// </param>
/// <param name="Width">Image width in pixels.</param>
/// <param name="Height">Image height in pixels.</param>
/// <param name="ComponentCount">Number of colour components (1, 3 or 4, or 2).</param>
/// <param name="Warnings">Warnings from reading the input (as jpegtran would print), empty when clean.</param>
/// <param name="DataLoss">
/// Whether the input's entropy-coded data was truncated or corrupt, so that some coefficients were filled with zeros
/// as libjpeg does (the output then equals jpegtran's, damage included); false for remarks about markers only.
/// </param>
/// <remarks>Two results are equal when every member is, the scan ends and warnings compared element by element.</remarks>
public sealed record JpegTranscodeResult(int Length, ReadOnlyMemory<int> ScanEnds, int Width, int Height, int ComponentCount, IReadOnlyList<string> Warnings, bool DataLoss)
{
    /// <summary>Returns whether <paramref name="other"/> describes the same output: same members, same scan ends and warnings in the same order.</summary>
    /// <param name="other">The result to compare with.</param>
    public bool Equals(JpegTranscodeResult? other) =>
        other is not null
        && Length == other.Length && Width == other.Width && Height == other.Height && ComponentCount == other.ComponentCount && DataLoss == other.DataLoss
        && ScanEnds.Span.SequenceEqual(other.ScanEnds.Span)
        && Warnings.SequenceEqual(other.Warnings, StringComparer.Ordinal);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Length);
        hash.Add(Width);
        hash.Add(Height);
        hash.Add(ComponentCount);
        hash.Add(DataLoss);
        foreach (int end in ScanEnds.Span) hash.Add(end);
        return hash.ToHashCode();
    }
}
