using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.Pcr.Jpeg.Encoder;

/// <summary>
/// Entropy state of one progressive scan pass (libjpeg's phuff_entropy_encoder fields):
/// DC predictions, the pending end-of-band run and the AC refinement correction bits buffered
/// with it (libjpeg's BE bits; kept here as one chunk of up to 63 bits per block).
/// </summary>
internal sealed class ProgressiveEntropyState
{
    /// <summary>libjpeg's MAX_CORR_BITS: the correction-bit buffer size that decides when an EOB run is forced out.</summary>
    public const int MaxCorrectionBits = 1000;

    /// <summary>Last DC value (point-transformed) per component of the scan.</summary>
    public int[] LastDc { get; } = new int[4];

    /// <summary>Pending run of end-of-band blocks (libjpeg's EOBRUN).</summary>
    public int EobRun { get; set; }

    /// <summary>Number of correction bits buffered with the pending EOB run (libjpeg's BE).</summary>
    public int BufferedBits { get; set; }

    /// <summary>Buffered correction bits: chunk i is the low <see cref="ChunkSizes"/>[i] bits, oldest bit highest.</summary>
    public ulong[] Chunks { get; } = new ulong[MaxCorrectionBits];

    /// <summary>Bits in each chunk (1..63).</summary>
    public byte[] ChunkSizes { get; } = new byte[MaxCorrectionBits];

    /// <summary>Number of chunks buffered.</summary>
    public int ChunkCount { get; set; }

    /// <summary>Starts a pass.</summary>
    public void Reset()
    {
        Array.Clear(LastDc);
        EobRun = 0;
        BufferedBits = 0;
        ChunkCount = 0;
    }
}

/// <summary>
/// The four progressive Huffman scan encoders of libjpeg-turbo's jcphuff.c (DC first, DC
/// refinement, AC first, AC refinement), producing exactly its symbol and bit sequence: EOB runs
/// with their 0x7FFF limit, ZRLs, and AC refinement correction bits buffered with the EOB run up
/// to its 937-bit limit. AC scans are noninterleaved and visit the component's real blocks in
/// raster order; DC scans code a <see cref="DcSequence"/> (which holds jctrans's dummy blocks).
/// Blocks are tested with vector compares; bit masks then drive the per-coefficient work.
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
        ushort threshold = (ushort)((1 << al) - 1);
        ulong bandMask = sl == 64 ? ulong.MaxValue : (1UL << sl) - 1;
        int firstVector = ss >> 4, lastVector = scan.Se >> 4;
        int eobRun = state.EobRun;
        for (int row = 0; row < c.HeightInBlocks; row++)
        {
            var coef = c.Source.RowArray(row, out int p);
            for (int col = 0; col < c.WidthInBlocks; col++, p += 64)
            {
                ref short block = ref coef[p];
                ulong nz = (AboveMask(ref block, firstVector, lastVector, threshold) >> ss) & bandMask;
                if (nz == 0)
                {
                    if (++eobRun == MaxEobRun)
                    {
                        EmitEobRun(ref sink, table, ref eobRun, state);
                    }

                    continue;
                }

                if (eobRun > 0)
                {
                    EmitEobRun(ref sink, table, ref eobRun, state);
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
                        ThrowCoefficientRange(v);
                    }

                    sink.SymbolAndBits(table, (r << 4) + nbits, (uint)(v < 0 ? ~a : a), nbits);
                }
                while (nz != 0);

                if (next < sl && ++eobRun == MaxEobRun)
                {
                    EmitEobRun(ref sink, table, ref eobRun, state);
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
        ulong bandMask = sl == 64 ? ulong.MaxValue : (1UL << sl) - 1;
        int firstVector = ss >> 4, lastVector = scan.Se >> 4;
        int eobRun = state.EobRun;
        for (int row = 0; row < c.HeightInBlocks; row++)
        {
            var coef = c.Source.RowArray(row, out int p);
            for (int col = 0; col < c.WidthInBlocks; col++, p += 64)
            {
                RefineMasks(ref coef[p], firstVector, lastVector, al, out ulong nz, out ulong old, out ulong bit);
                nz = (nz >> ss) & bandMask;
                old = (old >> ss) & bandMask;
                bit >>= ss;
                ulong newlyOne = nz & ~old;

                // libjpeg emits ZRLs only up to the last newly nonzero coefficient (its EOB); later
                // zero runs fold into the EOB run. Walking segment by segment up to each new
                // coefficient gives exactly that.
                ulong zeros = ~nz & bandMask;

                // This block's correction bits (libjpeg's BR), oldest highest; they go out after the
                // next symbol, or join the EOB run's buffered bits at the end of the block.
                ulong brBits = 0;
                int br = 0;

                // Bit-reversed copies (bit 63 - j for coefficient j) let PEXT gather a segment's
                // correction bits lowest coefficient first, the order they are sent in.
                ulong revOld = ReverseBits(old), revBit = ReverseBits(bit);

                // Walk from one newly nonzero coefficient to the next. Previously nonzero ones in
                // between only add correction bits; zero-history ones count toward the run length.
                int prev = 0;
                while (newlyOne != 0)
                {
                    int k = BitOperations.TrailingZeroCount(newlyOne);
                    newlyOne &= newlyOne - 1;
                    ulong segment = ((1UL << k) - 1) & ~((1UL << prev) - 1);
                    ulong oldHere = old & segment;
                    int r = BitOperations.PopCount(zeros & segment);
                    if (r > 15)
                    {
                        r = ZeroRunsWithCorrections(ref sink, state, table, ref eobRun, zeros, oldHere, bit, prev, k, ref brBits, ref br);
                    }
                    else
                    {
                        AppendCorrectionBits(oldHere, bit, revOld & (ulong.MaxValue >> prev) & ~(ulong.MaxValue >> k), revBit, ref brBits, ref br);
                    }

                    if (eobRun > 0)
                    {
                        EmitEobRun(ref sink, table, ref eobRun, state);
                    }

                    int v = coef[p + ss + k];
                    sink.SymbolAndBits(table, (r << 4) + 1, v < 0 ? 0u : 1u, 1);
                    if (br > 0)
                    {
                        sink.RawBits(brBits, br);
                        brBits = 0;
                        br = 0;
                    }

                    prev = k + 1;
                }

                // After the last new coefficient (past EOB, so no ZRLs) only correction bits remain.
                if (prev < sl)
                {
                    AppendCorrectionBits(old & ~((1UL << prev) - 1), bit, revOld & (ulong.MaxValue >> prev), revBit, ref brBits, ref br);
                    eobRun++;
                    if (br > 0)
                    {
                        int n = state.ChunkCount++;
                        state.Chunks[n] = brBits;
                        state.ChunkSizes[n] = (byte)br;
                        state.BufferedBits += br;
                    }

                    // Force the run out before the counter or the correction-bit buffer could overflow.
                    if (eobRun == MaxEobRun || state.BufferedBits > ProgressiveEntropyState.MaxCorrectionBits - 64 + 1)
                    {
                        EmitEobRun(ref sink, table, ref eobRun, state);
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
        EmitEobRun(ref sink, table, ref eobRun, state);
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

    /// <summary>
    /// Appends bit Al of each coefficient in <paramref name="mask"/>, lowest index first;
    /// <paramref name="revMask"/> is the same set bit-reversed, for the PEXT path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AppendCorrectionBits(ulong mask, ulong bit, ulong revMask, ulong revBit, ref ulong brBits, ref int br)
    {
        if (Bmi2.X64.IsSupported)
        {
            int count = BitOperations.PopCount(mask);
            brBits = (brBits << count) | Bmi2.X64.ParallelBitExtract(revBit, revMask);
            br += count;
            return;
        }

        while (mask != 0)
        {
            int j = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            brBits = (brBits << 1) | ((bit >> j) & 1);
            br++;
        }
    }

    /// <summary>Bit j moves to bit 63 - j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReverseBits(ulong x)
    {
        x = ((x >> 1) & 0x5555555555555555UL) | ((x & 0x5555555555555555UL) << 1);
        x = ((x >> 2) & 0x3333333333333333UL) | ((x & 0x3333333333333333UL) << 2);
        x = ((x >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((x & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return BinaryPrimitives.ReverseEndianness(x);
    }

    /// <summary>
    /// The rare segment before a new coefficient that holds more than 15 zero-history
    /// coefficients: replays libjpeg's loop coefficient by coefficient, emitting a ZRL (with the
    /// pending EOB run and correction bits) at each nonzero position reached with a run over 15.
    /// Returns the run length left for the new coefficient's symbol.
    /// </summary>
    private static int ZeroRunsWithCorrections<TSink>(
        ref TSink sink, ProgressiveEntropyState state, int table, ref int eobRun, ulong zeros, ulong oldHere, ulong bit, int from, int k, ref ulong brBits, ref int br)
        where TSink : struct, IEntropySink
    {
        int r = 0, pos = from;
        while (true)
        {
            bool atNew = oldHere == 0;
            int j = atNew ? k : BitOperations.TrailingZeroCount(oldHere);
            oldHere &= oldHere - 1;
            r += BitOperations.PopCount(zeros & ((1UL << j) - 1) & ~((1UL << pos) - 1));
            pos = j + 1;
            while (r > 15)
            {
                EmitEobRun(ref sink, table, ref eobRun, state);
                sink.Symbol(table, 0xF0);
                r -= 16;
                if (br > 0)
                {
                    sink.RawBits(brBits, br);
                    brBits = 0;
                    br = 0;
                }
            }

            if (atNew)
            {
                return r;
            }

            brBits = (brBits << 1) | ((bit >> j) & 1);
            br++;
        }
    }

    /// <summary>libjpeg's emit_eobrun: the EOBn symbol, the run's low bits, then the buffered correction bits.</summary>
    private static void EmitEobRun<TSink>(ref TSink sink, int table, ref int eobRun, ProgressiveEntropyState state)
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
        int chunks = state.ChunkCount;
        if (chunks > 0)
        {
            var bits = state.Chunks;
            var sizes = state.ChunkSizes;
            for (int i = 0; i < chunks; i++)
            {
                sink.RawBits(bits[i], sizes[i]);
            }

            state.ChunkCount = 0;
            state.BufferedBits = 0;
        }
    }

    private static void ThrowCoefficientRange(int v) => throw new PcrFormatException($"DCT coefficient {v} out of range");

    /// <summary>
    /// Bit k set where |block[k]| &gt; <paramref name="threshold"/> (unsigned, so -32768 counts as
    /// large), for the 16-coefficient groups firstVector..lastVector only (others read as zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AboveMask(ref short block, int firstVector, int lastVector, ushort threshold)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            var t = Vector256.Create(threshold);
            ulong m = 0;
            for (int i = firstVector; i <= lastVector; i++)
            {
                var a = Vector256.Abs(Vector256.LoadUnsafe(ref block, (nuint)(i * 16))).AsUInt16();
                m |= (ulong)Vector256.GreaterThan(a, t).ExtractMostSignificantBits() << (i * 16);
            }

            return m;
        }

        var t128 = Vector128.Create(threshold);
        ulong mask = 0;
        for (int i = firstVector * 2; i <= (lastVector * 2) + 1; i++)
        {
            var a = Vector128.Abs(Vector128.LoadUnsafe(ref block, (nuint)(i * 8))).AsUInt16();
            mask |= (ulong)Vector128.GreaterThan(a, t128).ExtractMostSignificantBits() << (i * 8);
        }

        return mask;
    }

    /// <summary>
    /// The masks an AC refinement block needs, one load per 16-coefficient group:
    /// nonzero = |v| &gt;&gt; al is not 0; old = it is at least 2 (nonzero before this scan);
    /// bit = bit al of |v| (the correction bit).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RefineMasks(ref short block, int firstVector, int lastVector, int al, out ulong nonzero, out ulong old, out ulong bit)
    {
        nonzero = 0;
        old = 0;
        bit = 0;
        ushort t1 = (ushort)((1 << al) - 1), t2 = (ushort)((2 << al) - 1);
        int up = 15 - al;
        if (Vector256.IsHardwareAccelerated)
        {
            var v1 = Vector256.Create(t1);
            var v2 = Vector256.Create(t2);
            for (int i = firstVector; i <= lastVector; i++)
            {
                var a = Vector256.Abs(Vector256.LoadUnsafe(ref block, (nuint)(i * 16))).AsUInt16();
                nonzero |= (ulong)Vector256.GreaterThan(a, v1).ExtractMostSignificantBits() << (i * 16);
                old |= (ulong)Vector256.GreaterThan(a, v2).ExtractMostSignificantBits() << (i * 16);
                bit |= (ulong)Vector256.ShiftLeft(a, up).ExtractMostSignificantBits() << (i * 16);
            }

            return;
        }

        var w1 = Vector128.Create(t1);
        var w2 = Vector128.Create(t2);
        for (int i = firstVector * 2; i <= (lastVector * 2) + 1; i++)
        {
            var a = Vector128.Abs(Vector128.LoadUnsafe(ref block, (nuint)(i * 8))).AsUInt16();
            nonzero |= (ulong)Vector128.GreaterThan(a, w1).ExtractMostSignificantBits() << (i * 8);
            old |= (ulong)Vector128.GreaterThan(a, w2).ExtractMostSignificantBits() << (i * 8);
            bit |= (ulong)Vector128.ShiftLeft(a, up).ExtractMostSignificantBits() << (i * 8);
        }
    }
}
