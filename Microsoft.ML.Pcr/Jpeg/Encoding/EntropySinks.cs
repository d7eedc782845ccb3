using System.Runtime.CompilerServices;

namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>
/// Where the progressive scan encoders send Huffman symbols and raw bits. libjpeg runs each
/// scan twice (gather statistics, then output) through the same code with a flag; here the
/// two passes are two struct sinks, so the JIT compiles each encoder once per sink with no
/// per-symbol branch on the mode.
/// </summary>
internal interface IEntropySink
{
    /// <summary>Counts or writes Huffman symbol <paramref name="symbol"/> of table <paramref name="table"/>.</summary>
    void Symbol(int table, int symbol);

    /// <summary>Writes the low <paramref name="size"/> bits (1..16) of <paramref name="code"/>; statistics ignore them.</summary>
    void Bits(uint code, int size);

    /// <summary>Writes buffered refinement correction bits, one per byte; statistics ignore them.</summary>
    void CorrectionBits(ReadOnlySpan<byte> bits);
}

/// <summary>The statistics pass: counts symbols per table (4 tables x 256 symbols).</summary>
internal readonly struct StatisticsSink : IEntropySink
{
    private readonly int[] _counts;

    /// <summary>Counts into <paramref name="counts"/>, indexed table * 256 + symbol.</summary>
    public StatisticsSink(int[] counts) => _counts = counts;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Symbol(int table, int symbol) => _counts[(table << 8) | symbol]++;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Bits(uint code, int size)
    {
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CorrectionBits(ReadOnlySpan<byte> bits)
    {
    }
}

/// <summary>The output pass: Huffman-codes symbols with the tables built from the statistics.</summary>
internal readonly struct OutputSink : IEntropySink
{
    private readonly JpegBitWriter _writer;
    private readonly HuffmanTable[] _tables;

    /// <summary>Writes to <paramref name="writer"/> with <paramref name="tables"/> indexed by table number.</summary>
    public OutputSink(JpegBitWriter writer, HuffmanTable[] tables)
    {
        _writer = writer;
        _tables = tables;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Symbol(int table, int symbol)
    {
        var t = _tables[table];
        int size = t.Sizes[symbol];
        if (size == 0)
        {
            // The statistics pass saw every symbol the output pass emits; this means they disagree.
            throw new InvalidOperationException($"Huffman symbol {symbol} has no code in table {table}");
        }

        _writer.WriteBits(t.Codes[symbol], size);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Bits(uint code, int size) => _writer.WriteBits(code, size);

    /// <inheritdoc/>
    public void CorrectionBits(ReadOnlySpan<byte> bits)
    {
        // Correction bits are consecutive in the stream: pack up to 16 per write.
        int i = 0;
        while (i < bits.Length)
        {
            int n = Math.Min(16, bits.Length - i);
            uint code = 0;
            for (int j = 0; j < n; j++)
            {
                code = (code << 1) | bits[i + j];
            }

            _writer.WriteBits(code, n);
            i += n;
        }
    }
}
