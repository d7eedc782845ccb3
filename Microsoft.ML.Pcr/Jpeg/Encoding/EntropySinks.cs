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

    /// <summary>A symbol followed by the low <paramref name="size"/> bits (1..15) of <paramref name="bits"/>.</summary>
    void SymbolAndBits(int table, int symbol, uint bits, int size);

    /// <summary>Writes buffered refinement correction bits, one per byte; statistics ignore them.</summary>
    void CorrectionBits(ReadOnlySpan<byte> bits);
}

/// <summary>
/// The statistics pass, which also records the scan: counts symbols per table (4 tables x 256
/// symbols) and appends each symbol with its extra bits as a token, so the output pass codes the
/// tokens instead of walking the coefficients again (libjpeg walks them twice).
/// </summary>
internal struct TokenSink : IEntropySink
{
    /// <summary>Symbol value of a token that holds only raw bits.</summary>
    public const int RawBits = 256;

    private readonly int[] _counts;
    private uint[] _tokens;
    private int _count;

    /// <summary>Counts into <paramref name="counts"/> (index table * 256 + symbol) and appends tokens to <paramref name="tokens"/>.</summary>
    public TokenSink(int[] counts, uint[] tokens)
    {
        _counts = counts;
        _tokens = tokens;
        _count = 0;
    }

    /// <summary>The token buffer (may have been replaced by a larger pooled one).</summary>
    public readonly uint[] Tokens => _tokens;

    /// <summary>Number of tokens recorded.</summary>
    public readonly int Count => _count;

    /// <summary>Token layout: bits 0-8 symbol (256 = raw bits), 9-13 bit count, 14-15 table, 16-31 the bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Pack(int table, int symbol, uint bits, int size) =>
        ((bits & ((1u << size) - 1)) << 16) | (uint)(table << 14) | (uint)(size << 9) | (uint)symbol;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Symbol(int table, int symbol)
    {
        _counts[(table << 8) | symbol]++;
        Add((uint)(table << 14) | (uint)symbol);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SymbolAndBits(int table, int symbol, uint bits, int size)
    {
        _counts[(table << 8) | symbol]++;
        Add(Pack(table, symbol, bits, size));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Bits(uint code, int size) => Add(Pack(0, RawBits, code, size));

    /// <inheritdoc/>
    public void CorrectionBits(ReadOnlySpan<byte> bits)
    {
        int i = 0;
        while (i < bits.Length)
        {
            int n = Math.Min(16, bits.Length - i);
            uint code = 0;
            for (int j = 0; j < n; j++)
            {
                code = (code << 1) | bits[i + j];
            }

            Add(Pack(0, RawBits, code, n));
            i += n;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Add(uint token)
    {
        if ((uint)_count >= (uint)_tokens.Length)
        {
            Grow();
        }

        _tokens[_count++] = token;
    }

    private void Grow()
    {
        var bigger = System.Buffers.ArrayPool<uint>.Shared.Rent(Math.Max(1024, _tokens.Length * 2));
        _tokens.AsSpan(0, _count).CopyTo(bigger);
        if (_tokens.Length > 0)
        {
            System.Buffers.ArrayPool<uint>.Shared.Return(_tokens);
        }

        _tokens = bigger;
    }
}

/// <summary>Writes recorded tokens with the tables built from their counts.</summary>
internal static class TokenCoder
{
    /// <summary>
    /// Huffman-codes <paramref name="tokens"/> into <paramref name="writer"/>; <paramref name="codes"/>
    /// holds (code &lt;&lt; 8) | length at table * 256 + symbol.
    /// </summary>
    public static void Write(ReadOnlySpan<uint> tokens, uint[] codes, JpegBitWriter writer)
    {
        foreach (uint t in tokens)
        {
            int symbol = (int)(t & 0x1FF);
            int size = (int)((t >> 9) & 31);
            uint bits = t >> 16;
            if (symbol == TokenSink.RawBits)
            {
                writer.WriteBits(bits, size);
                continue;
            }

            uint e = codes[(int)((t >> 6) & 0x300) | symbol];
            int length = (int)(e & 0xFF);
            if (length == 0)
            {
                throw new InvalidOperationException($"Huffman symbol {symbol} has no code");
            }

            writer.WriteBits(((e >> 8) << size) | bits, length + size);
        }
    }
}

/// <summary>The output pass: Huffman-codes symbols with the tables built from the statistics.</summary>
internal readonly struct OutputSink : IEntropySink
{
    private readonly JpegBitWriter _writer;
    private readonly uint[] _codes;

    /// <summary>
    /// Writes to <paramref name="writer"/> with <paramref name="codes"/>: for table t and symbol s,
    /// entry t * 256 + s holds the code shifted left by 8 plus its length (0 = no code).
    /// </summary>
    public OutputSink(JpegBitWriter writer, uint[] codes)
    {
        _writer = writer;
        _codes = codes;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Symbol(int table, int symbol)
    {
        uint e = Lookup(table, symbol);
        _writer.WriteBits(e >> 8, (int)(e & 0xFF));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SymbolAndBits(int table, int symbol, uint bits, int size)
    {
        // One write of code and value bits: they are consecutive in the stream.
        uint e = Lookup(table, symbol);
        _writer.WriteBits(((e >> 8) << size) | (bits & ((1u << size) - 1)), (int)(e & 0xFF) + size);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Lookup(int table, int symbol)
    {
        uint e = _codes[(table << 8) | symbol];
        if ((e & 0xFF) == 0)
        {
            Missing(table, symbol);
        }

        return e;
    }

    // The statistics pass saw every symbol the output pass emits; reaching this means they disagree.
    private static void Missing(int table, int symbol) =>
        throw new InvalidOperationException($"Huffman symbol {symbol} has no code in table {table}");
}
