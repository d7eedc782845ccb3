using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>
/// Entropy state of one progressive scan pass (libjpeg's phuff_entropy_encoder fields):
/// DC predictions, the pending end-of-band run and the buffered AC refinement correction bits.
/// </summary>
internal sealed class ProgressiveEntropyState
{
    /// <summary>libjpeg's MAX_CORR_BITS: the correction-bit buffer size that decides when an EOB run is forced out.</summary>
    public const int MaxCorrectionBits = 1000;

    /// <summary>Last DC value (point-transformed) per component of the scan.</summary>
    public int[] LastDc { get; } = new int[4];

    /// <summary>Pending run of end-of-band blocks (libjpeg's EOBRUN).</summary>
    public int EobRun { get; set; }

    /// <summary>Correction bits buffered with the pending EOB run (libjpeg's BE).</summary>
    public int BufferedBits { get; set; }

    /// <summary>Correction bits, one per byte.</summary>
    public byte[] CorrectionBits { get; } = new byte[MaxCorrectionBits];

    /// <summary>Starts a pass.</summary>
    public void Reset()
    {
        Array.Clear(LastDc);
        EobRun = 0;
        BufferedBits = 0;
    }
}

/// <summary>
/// The four progressive Huffman scan encoders of libjpeg-turbo's jcphuff.c (DC first, DC
/// refinement, AC first, AC refinement), generic over the sink so the statistics and output
/// passes run identical code. Blocks are visited as jctrans.c's coefficient controller visits
/// them, including its dummy blocks at the right and bottom edges of interleaved scans.
/// </summary>
internal static class ProgressiveScanEncoder
{
    private const int MaxCoefBits = 10; // libjpeg's MAX_COEF_BITS for 8-bit samples
    private const int MaxEobRun = 0x7FFF;

    /// <summary>Encodes a DC first scan (point transform Al) of a gathered DC sequence.</summary>
    public static void EncodeDcFirst<TSink>(ref TSink sink, ProgressiveEntropyState state, DcSequence dc, ReadOnlySpan<int> tablesBySlot, int al)
        where TSink : struct, IEntropySink
    {
        var values = dc.Values;
        var slots = dc.McuSlots;
        var last = state.LastDc;
        int perMcu = dc.BlocksInMcu;
        Span<int> tables = stackalloc int[10];
        for (int b = 0; b < perMcu; b++)
        {
            tables[b] = tablesBySlot[slots[b]];
        }

        if (perMcu == 1)
        {
            int table = tables[0], prev = last[0];
            for (int i = 0; i < dc.Count; i++)
            {
                prev = DcFirst(ref sink, table, values[i] >> al, prev);
            }

            last[0] = prev;
            return;
        }

        for (int i = 0; i < dc.Count; i += perMcu)
        {
            for (int b = 0; b < perMcu; b++)
            {
                int slot = slots[b];
                last[slot] = DcFirst(ref sink, tables[b], values[i + b] >> al, last[slot]);
            }
        }
    }

    /// <summary>Encodes a DC refinement scan: bit Al of each DC coefficient, no Huffman coding.</summary>
    public static void EncodeDcRefine(JpegBitWriter writer, DcSequence dc, int al)
    {
        var values = dc.Values;
        int n = dc.Count, i = 0;

        // The bits are consecutive in the stream: write them 16 at a time.
        for (; i + 16 <= n; i += 16)
        {
            uint code = 0;
            for (int j = 0; j < 16; j++)
            {
                code = (code << 1) | (uint)((values[i + j] >> al) & 1);
            }

            writer.WriteBits(code, 16);
        }

        for (; i < n; i++)
        {
            writer.WriteBits((uint)(values[i] >> al) & 1, 1);
        }
    }

    /// <summary>Encodes an AC first scan (spectral selection Ss..Se, point transform Al) of one component.</summary>
    public static void EncodeAcFirst<TSink>(ref TSink sink, ProgressiveEntropyState state, OutputComponent c, in ScanSpec scan)
        where TSink : struct, IEntropySink
    {
        int ss = scan.Ss, sl = scan.Se - scan.Ss + 1, al = scan.Al;
        int table = c.HuffTable;
        var coef = c.Source.Coefficients;
        int stride = c.Source.BlocksPerRow * 64;
        ushort threshold = (ushort)((1 << al) - 1);
        ulong bandMask = sl == 64 ? ulong.MaxValue : (1UL << sl) - 1;
        int eobRun = state.EobRun;
        for (int row = 0; row < c.HeightInBlocks; row++)
        {
            int p = row * stride;
            for (int col = 0; col < c.WidthInBlocks; col++, p += 64)
            {
                ref short block = ref coef[p];
                ulong nz = (AboveMask(ref block, threshold) >> ss) & bandMask;
                if (nz == 0)
                {
                    if (++eobRun == MaxEobRun)
                    {
                        EmitEobRun(ref sink, state, table, ref eobRun);
                    }

                    continue;
                }

                if (eobRun > 0)
                {
                    EmitEobRun(ref sink, state, table, ref eobRun);
                }

                int next = 0; // band index after the last coded coefficient
                do
                {
                    int k = BitOperations.TrailingZeroCount(nz);
                    nz &= nz - 1;
                    int r = k - next;
                    next = k + 1;
                    while (r > 15)
                    {
                        sink.Symbol(table, 0xF0);
                        r -= 16;
                    }

                    int v = Unsafe.Add(ref block, ss + k);
                    int a = Math.Abs(v) >> al;
                    int nbits = 32 - BitOperations.LeadingZeroCount((uint)a);
                    if (nbits > MaxCoefBits)
                    {
                        throw new PcrFormatException($"DCT coefficient {v} out of range");
                    }

                    sink.SymbolAndBits(table, (r << 4) + nbits, (uint)(v < 0 ? ~a : a), nbits);
                }
                while (nz != 0);

                if (next < sl && ++eobRun == MaxEobRun)
                {
                    EmitEobRun(ref sink, state, table, ref eobRun);
                }
            }
        }

        state.EobRun = eobRun;
    }

    /// <summary>Encodes an AC refinement scan (bit Al of the coefficients Ss..Se) of one component.</summary>
    public static void EncodeAcRefine<TSink>(ref TSink sink, ProgressiveEntropyState state, OutputComponent c, in ScanSpec scan)
        where TSink : struct, IEntropySink
    {
        int ss = scan.Ss, sl = scan.Se - scan.Ss + 1, al = scan.Al;
        int table = c.HuffTable;
        var coef = c.Source.Coefficients;
        int stride = c.Source.BlocksPerRow * 64;
        ushort nonzero = (ushort)((1 << al) - 1);   // |v| >> al >= 1
        ushort previous = (ushort)((2 << al) - 1);  // |v| >> al >= 2: was nonzero before this scan
        ulong bandMask = sl == 64 ? ulong.MaxValue : (1UL << sl) - 1;
        var buffer = state.CorrectionBits;
        int eobRun = state.EobRun;
        for (int row = 0; row < c.HeightInBlocks; row++)
        {
            int p = row * stride;
            for (int col = 0; col < c.WidthInBlocks; col++, p += 64)
            {
                ref short block = ref coef[p];
                ulong nz = (AboveMask(ref block, nonzero) >> ss) & bandMask;
                ulong old = (AboveMask(ref block, previous) >> ss) & bandMask;
                ulong newlyOne = nz & ~old;

                // EOB: band index of the last coefficient that becomes nonzero in this scan.
                int eob = newlyOne == 0 ? 0 : 63 - BitOperations.LeadingZeroCount(newlyOne);
                int r = 0, next = 0;
                int brStart = state.BufferedBits, br = 0;
                while (nz != 0)
                {
                    int k = BitOperations.TrailingZeroCount(nz);
                    nz &= nz - 1;
                    r += k - next;
                    next = k + 1;

                    // ZRLs, unless they can be folded into the EOB that follows the last new coefficient.
                    while (r > 15 && k <= eob)
                    {
                        EmitEobRun(ref sink, state, table, ref eobRun);
                        sink.Symbol(table, 0xF0);
                        r -= 16;
                        sink.CorrectionBits(buffer.AsSpan(brStart, br));
                        brStart = 0;
                        br = 0;
                    }

                    int v = Unsafe.Add(ref block, ss + k);
                    if ((old & (1UL << k)) != 0)
                    {
                        // Previously nonzero: only a correction bit, sent with the next symbol.
                        buffer[brStart + br++] = (byte)((Math.Abs(v) >> al) & 1);
                        continue;
                    }

                    EmitEobRun(ref sink, state, table, ref eobRun);
                    sink.SymbolAndBits(table, (r << 4) + 1, v < 0 ? 0u : 1u, 1);
                    sink.CorrectionBits(buffer.AsSpan(brStart, br));
                    brStart = 0;
                    br = 0;
                    r = 0;
                }

                r |= sl - next;
                if (r > 0 || br > 0)
                {
                    eobRun++;
                    state.BufferedBits += br;

                    // Force the run out before the counter or the correction-bit buffer could overflow.
                    if (eobRun == MaxEobRun || state.BufferedBits > ProgressiveEntropyState.MaxCorrectionBits - 64 + 1)
                    {
                        EmitEobRun(ref sink, state, table, ref eobRun);
                    }
                }
            }
        }

        state.EobRun = eobRun;
    }

    /// <summary>Ends an AC pass: emits the pending EOB run (libjpeg's finish_pass).</summary>
    public static void FinishAc<TSink>(ref TSink sink, ProgressiveEntropyState state, int table)
        where TSink : struct, IEntropySink
    {
        int eobRun = state.EobRun;
        EmitEobRun(ref sink, state, table, ref eobRun);
        state.EobRun = eobRun;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DcFirst<TSink>(ref TSink sink, int table, int value, int last)
        where TSink : struct, IEntropySink
    {
        int diff = value - last;
        int a = Math.Abs(diff);
        int nbits = 32 - BitOperations.LeadingZeroCount((uint)a);
        if (nbits > MaxCoefBits + 1)
        {
            throw new PcrFormatException($"DC difference {diff} out of range");
        }

        if (nbits != 0)
        {
            sink.SymbolAndBits(table, nbits, (uint)(diff < 0 ? ~a : a), nbits);
        }
        else
        {
            sink.Symbol(table, 0);
        }

        return value;
    }

    /// <summary>libjpeg's emit_eobrun: the EOBn symbol, the run's low bits, then the buffered correction bits.</summary>
    private static void EmitEobRun<TSink>(ref TSink sink, ProgressiveEntropyState state, int table, ref int eobRun)
        where TSink : struct, IEntropySink
    {
        if (eobRun == 0)
        {
            return;
        }

        int nbits = 31 - BitOperations.LeadingZeroCount((uint)eobRun);
        if (nbits != 0)
        {
            sink.SymbolAndBits(table, nbits << 4, (uint)eobRun, nbits);
        }
        else
        {
            sink.Symbol(table, 0);
        }

        eobRun = 0;
        sink.CorrectionBits(state.CorrectionBits.AsSpan(0, state.BufferedBits));
        state.BufferedBits = 0;
    }

    /// <summary>Bit k set where |block[k]| &gt; <paramref name="threshold"/> (unsigned, so -32768 counts as large).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AboveMask(ref short block, ushort threshold)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            var t256 = Vector256.Create(threshold);
            ulong m = 0;
            for (int i = 0; i < 4; i++)
            {
                var v = Vector256.LoadUnsafe(ref block, (nuint)(i * 16));
                var a = Vector256.Abs(v).AsUInt16();
                m |= (ulong)Vector256.GreaterThan(a, t256).ExtractMostSignificantBits() << (i * 16);
            }

            return m;
        }

        var t = Vector128.Create(threshold);
        ulong mask = 0;
        for (int i = 0; i < 8; i++)
        {
            var v = Vector128.LoadUnsafe(ref block, (nuint)(i * 8));
            var a = Vector128.Abs(v).AsUInt16();
            mask |= (ulong)Vector128.GreaterThan(a, t).ExtractMostSignificantBits() << (i * 8);
        }

        return mask;
    }
}
