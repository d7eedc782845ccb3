using System.Runtime.CompilerServices;

namespace Microsoft.ML.Pcr.Jpeg.Encoder;

/// <summary>
/// Where the progressive scan encoders send Huffman symbols and raw bits. libjpeg walks each
/// scan twice (gather statistics, then output); here one walk feeds a <see cref="TokenSink"/>
/// that both counts and records, and the recorded tokens are coded afterwards. The encoders are
/// generic over the sink (a struct), so the JIT specializes them with no virtual calls.
/// </summary>
internal interface IEntropySink
{
    /// <summary>Huffman symbol <paramref name="symbol"/> of table <paramref name="table"/>.</summary>
    void Symbol(int table, int symbol);

    /// <summary>A symbol followed by the low <paramref name="size"/> bits (1..15) of <paramref name="bits"/>.</summary>
    void SymbolAndBits(int table, int symbol, uint bits, int size);

    /// <summary>The low <paramref name="count"/> bits (0..64) of <paramref name="bits"/>, highest first, not Huffman coded.</summary>
    void RawBits(ulong bits, int count);
}

/// <summary>
/// The one walk of a scan: counts symbols per table (4 tables x 256 symbols), from which the
/// optimal tables are built, and records each symbol with its extra bits as a token, so the output
/// is coded from the tokens instead of walking the coefficients again (libjpeg walks them twice).
/// </summary>
internal struct TokenSink : IEntropySink
{
    /// <summary>Symbol value of a token that holds only raw bits.</summary>
    public const int RawSymbol = 256;

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
    public void RawBits(ulong bits, int count)
    {
        // Tokens carry at most 16 bits: split, oldest bits first.
        while (count > 16)
        {
            count -= 16;
            Add(Pack(0, RawSymbol, (uint)(bits >> count), 16));
        }

        if (count > 0)
        {
            Add(Pack(0, RawSymbol, (uint)bits, count));
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
