using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// The decoders of progressive Huffman scans (jdphuff.c): DC first and refinement scans over interleaved MCUs, AC first
/// and refinement scans over single blocks with end-of-band runs. Each decodes a run of MCUs (up to a restart interval's
/// end, or the first MCU that reads past the data) with the bit buffer in registers. The AC and DC first and the AC
/// refinement runs top the buffer up before every symbol and give the bytes so read ahead back wherever it matters
/// (see NextEntry); the reader then stands where a decoder taking one MCU, symbol or bit at a time and refilling at
/// the same points stands, so every marker met, warning and position is the same.
/// </summary>
internal static class HuffmanProgressiveDecoder
{
    /// <summary>
    /// Decodes a run of MCUs of a DC first scan (jdphuff.c's decode_mcu_DC_first for each), bounded as
    /// <see cref="DecodeAcFirstRun"/>: the MCU's block layout, tables and arrays are set up once per MCU row, and the
    /// bit buffer stays in registers across the run.
    /// </summary>
    /// <returns>The MCUs decoded; (<paramref name="mcuX"/>, <paramref name="mcuY"/>) is left on the last of them.</returns>
    public static int DecodeDcFirstRun(FrameState f, ref HuffmanBitReader br, ref int mcuX, ref int mcuY, int limit, scoped Span<int> lastDc, JpegWarnings warnings, ref JpegMarkerReader m, out bool consumedPadding)
    {
        int al = f.Al;
        int blocks = f.BlocksInMcu;
        int perRow = f.McusPerRow;
        Span<int> rowBase = stackalloc int[FrameState.MaxBlocksInMcu];
        Span<int> step = stackalloc int[FrameState.MaxBlocksInMcu];
        Span<int> comp = stackalloc int[FrameState.MaxBlocksInMcu];
        short[][] arrays = f.McuBlockArrays;
        HuffmanTable[] tables = f.McuBlockTables;
        for (int b = 0; b < blocks; b++)
        {
            comp[b] = f.BlockComp[b];
            tables[b] = f.DcTables[f.ScanComponents[comp[b]].DcTable];
        }

        int done = 0;
        int mx = mcuX, my = mcuY;
        ulong acc = br.Acc;
        int bits = br.Bits;
        int padLimit = br.PaddingLimit;
        consumedPadding = false;
        int readAhead = 0;
        while (true)
        {
            f.SetUpMcuRow(my, rowBase, step);
            while (mx < perRow)
            {
                // The MCU's loop makes no call on its common paths, as the AC loops (a bad code is warned about after the MCU).
                bool badCode = false;
                for (int b = 0; b < blocks; b++)
                {
                    int ci = comp[b];
                    var table = tables[b];
                    (int s, acc, bits) = NextSymbolWithoutCall(ref br, ref MemoryMarshal.GetArrayDataReference(table.Lookup), table, acc, bits, ref padLimit, ref readAhead);
                    if (s < 0)
                    {
                        badCode = true;
                        s = 0;
                    }

                    int diff;
                    if (s <= 16)
                    {
                        // Category 0 takes no bits and extends to 0, so the frequent zero difference needs no branch of its own.
                        bits -= s;
                        diff = HuffmanSequentialDecoder.Extend((int)(acc >> bits) & ((1 << s) - 1), s);
                    }
                    else
                    {
                        // A forged table's symbol beyond any DC category: read as the buffer-level reader always did.
                        GiveBack(ref br, ref acc, ref bits, ref readAhead);
                        br.Restore(acc, bits);
                        diff = br.GetSigned(s);
                        (acc, bits) = (br.Acc, br.Bits);
                    }

                    long sum = (long)lastDc[ci] + diff;
                    if (sum > int.MaxValue || sum < int.MinValue)
                    {
                        // A bad code earlier in the MCU is warned about first, as it was met first.
                        FlushBadCode(warnings, badCode);
                        GiveBack(ref br, ref acc, ref bits, ref readAhead);
                        br.Restore(acc, bits);
                        throw m.Fail("DC coefficient out of range");
                    }

                    lastDc[ci] = (int)sum;
                    arrays[b][rowBase[b] + (mx * step[b])] = unchecked((short)(int)((uint)sum << al));
                }

                FlushBadCode(warnings, badCode);

                if (McuEndsRun(ref done, ref mx, limit, bits, padLimit, ref consumedPadding))
                {
                    goto Finished;
                }
            }

            if (my + 1 >= f.McuRows)
            {
                goto Finished;
            }

            mx = 0;
            my++;
        }

    Finished:
        GiveBack(ref br, ref acc, ref bits, ref readAhead);
        mcuX = mx - 1;
        mcuY = my;
        br.Restore(acc, bits);
        return done;
    }

    /// <summary>Decodes a run of MCUs of a DC refinement scan (jdphuff.c's decode_mcu_DC_refine for each), bounded as <see cref="DecodeAcFirstRun"/>.</summary>
    /// <returns>The MCUs decoded; (<paramref name="mcuX"/>, <paramref name="mcuY"/>) is left on the last of them.</returns>
    public static int DecodeDcRefineRun(FrameState f, ref HuffmanBitReader br, ref int mcuX, ref int mcuY, int limit, out bool consumedPadding)
    {
        int al = f.Al;
        int blocks = f.BlocksInMcu;
        int perRow = f.McusPerRow;
        Span<int> rowBase = stackalloc int[FrameState.MaxBlocksInMcu];
        Span<int> step = stackalloc int[FrameState.MaxBlocksInMcu];
        short[][] arrays = f.McuBlockArrays;
        int done = 0;
        int mx = mcuX, my = mcuY;
        ulong acc = br.Acc;
        int bits = br.Bits;
        int padLimit = br.PaddingLimit;
        consumedPadding = false;
        while (true)
        {
            f.SetUpMcuRow(my, rowBase, step);
            while (mx < perRow)
            {
                for (int b = 0; b < blocks; b++)
                {
                    // One bit per block, refilled only when none is left (as GetBit).
                    if (bits < 1)
                    {
                        (acc, bits) = br.Refill(acc, bits);
                        padLimit = br.PaddingLimit;
                    }

                    // Set without a branch on the bit (as good as random): a zero bit ORs in nothing.
                    bits--;
                    arrays[b][rowBase[b] + (mx * step[b])] |= (short)(((int)(acc >> bits) & 1) << al);
                }

                if (McuEndsRun(ref done, ref mx, limit, bits, padLimit, ref consumedPadding))
                {
                    goto Finished;
                }
            }

            if (my + 1 >= f.McuRows)
            {
                goto Finished;
            }

            mx = 0;
            my++;
        }

    Finished:
        mcuX = mx - 1;
        mcuY = my;
        br.Restore(acc, bits);
        return done;
    }

    /// <summary>
    /// Decodes a run of MCUs of an AC first scan (jdphuff.c's decode_mcu_AC_first for each), starting at MCU
    /// (<paramref name="mcuX"/>, <paramref name="mcuY"/>): at most <paramref name="limit"/> MCUs, and no further than
    /// the first one after which <see cref="HuffmanBitReader.ConsumedPadding"/> holds. Blocks inside an end-of-band run
    /// read no bits, so they are passed over a row stretch at a time.
    /// </summary>
    /// <returns>The MCUs decoded; (<paramref name="mcuX"/>, <paramref name="mcuY"/>) is left on the last of them.</returns>
    public static int DecodeAcFirstRun(FrameState f, ref HuffmanBitReader br, ref int mcuX, ref int mcuY, int limit, ref int eobRun, JpegWarnings warnings, out bool consumedPadding)
    {
        var comp = f.ScanComponents[0];
        var table = f.AcTables[comp.AcTable];
        ref ushort lookup = ref MemoryMarshal.GetArrayDataReference(table.Lookup);
        int ss = f.Ss;
        int se = f.Se;
        int al = f.Al;
        int perRow = f.McusPerRow;
        int done = 0;
        int eob = eobRun;
        int mx = mcuX, my = mcuY;
        ulong acc = br.Acc;
        int bits = br.Bits;
        int padLimit = br.PaddingLimit;
        consumedPadding = false;
        int readAhead = 0;
        while (true)
        {
            comp.EnsureRows(my + 1);

            // One row of blocks, bounds-checked once: every block the row loop touches lies in it.
            ref short row = ref MemoryMarshal.GetReference(comp.Coefs.AsSpan(my * comp.BlocksPerRow * 64, perRow * 64));
            while (mx < perRow)
            {
                if (eob > 0)
                {
                    // Blocks in an end-of-band run read nothing: pass over as many as the run, the row and the limit allow.
                    int n = Math.Min(eob, Math.Min(perRow - mx, limit - done));
                    eob -= n;
                    done += n;
                    mx += n;
                    if (done == limit)
                    {
                        goto Finished;
                    }

                    continue;
                }

                // The symbol loop makes no call, as the refinement's (a bad code is warned about after the block).
                ref short block = ref Unsafe.Add(ref row, mx * 64);
                bool badCode = false;
                for (int k = ss; k <= se; k++)
                {
                    (int sym, acc, bits) = NextSymbolWithoutCall(ref br, ref lookup, table, acc, bits, ref padLimit, ref readAhead);
                    if (sym < 0)
                    {
                        badCode = true;
                        sym = 0;
                    }

                    int r = sym >> 4;
                    int s = sym & 15;
                    if (s != 0)
                    {
                        k += r;
                        bits -= s;
                        int v = HuffmanSequentialDecoder.Extend((int)(acc >> bits) & ((1 << s) - 1), s);
                        Unsafe.Add(ref block, k > 63 ? 63 : k) = unchecked((short)(int)((uint)v << al));
                    }
                    else if (r == 15)
                    {
                        k += 15;
                    }
                    else
                    {
                        // EOBr: a run of 2^r + r appended bits blocks, this one included.
                        eob = 1 << r;
                        if (r != 0)
                        {
                            bits -= r;
                            eob += (int)(acc >> bits) & ((1 << r) - 1);
                        }

                        eob--;
                        break;
                    }
                }

                FlushBadCode(warnings, badCode);

                if (McuEndsRun(ref done, ref mx, limit, bits, padLimit, ref consumedPadding))
                {
                    goto Finished;
                }
            }

            if (my + 1 >= f.McuRows)
            {
                goto Finished;
            }

            mx = 0;
            my++;
        }

    Finished:
        GiveBack(ref br, ref acc, ref bits, ref readAhead);
        // Leave the position on the last MCU decoded (mx is one past it, possibly at the row's end).
        mcuX = mx - 1;
        mcuY = my;
        eobRun = eob;
        br.Restore(acc, bits);
        return done;
    }

    /// <summary>
    /// Decodes a run of MCUs of an AC refinement scan (jdphuff.c's decode_mcu_AC_refine for each), bounded as
    /// <see cref="DecodeAcFirstRun"/>. The block's nonzero coefficients are a 64-bit mask, so the coefficients a run of
    /// zeros passes over, and those an end-of-band run refines, are found by bit arithmetic (the r-th zero ahead with one
    /// bit deposit where that is fast); their correction bits are taken from the buffer as one bit string per stretch and
    /// applied to the block once, at its end, in vector lanes where available.
    /// </summary>
    /// <remarks>
    /// The bit buffer is topped up before every symbol; the bytes read ahead of the bit-at-a-time decoder (which refills
    /// before a symbol when fewer than 32 bits are left, before a correction bit when none is) are given back wherever it
    /// would read otherwise, so the markers met and where the scan's data ends are the same. Deferring the corrections
    /// to the block's end is exact because a correction reads only its own coefficient, every coefficient it touches was
    /// nonzero when the block started, and new coefficients go only where there were zeros (the one exception, a forged
    /// run that places a coefficient at 63 past a nonzero 63, is exact too: the correction then finds the new +-p1, which
    /// it never changes).
    /// The symbol loop makes no call, not even on its rare paths (a bad code is warned about after the block), so that
    /// the JIT keeps its values in registers.
    /// </remarks>
    /// <returns>The MCUs decoded; (<paramref name="mcuX"/>, <paramref name="mcuY"/>) is left on the last of them.</returns>
    public static int DecodeAcRefineRun(FrameState f, ref HuffmanBitReader br, ref int mcuX, ref int mcuY, int limit, ref int eobRun, JpegWarnings warnings, out bool consumedPadding)
    {
        var comp = f.ScanComponents[0];
        var table = f.AcTables[comp.AcTable];
        ref ushort lookup = ref MemoryMarshal.GetArrayDataReference(table.Lookup);
        int ss = f.Ss;
        int se = f.Se;
        int al = f.Al;
        int p1 = 1 << al;
        int m1 = -1 << al;
        ulong band = (se == 63 ? ulong.MaxValue : (1UL << (se + 1)) - 1) & ~((1UL << ss) - 1);
        ulong lastBelow = (1UL << se) - 1;
        int perRow = f.McusPerRow;
        int done = 0;
        int eob = eobRun;
        int mx = mcuX, my = mcuY;
        ulong acc = br.Acc;
        int bits = br.Bits;
        int padLimit = br.PaddingLimit;
        consumedPadding = false;

        // Bits buffered ahead of a reader that refills below 32 bits (see NextEntry), given back before the run ends.
        int readAhead = 0;
        while (true)
        {
            comp.EnsureRows(my + 1);
            ref short row = ref MemoryMarshal.GetReference(comp.Coefs.AsSpan(my * comp.BlocksPerRow * 64, perRow * 64));
            int nextMaskAt = -1;
            ulong nextMask = 0;
            while (mx < perRow)
            {
                if (eob > 0)
                {
                    // A stretch of blocks inside an end-of-band run, in a loop of its own (few live values): each only
                    // refines what is already nonzero.
                    int n = Math.Min(eob, Math.Min(perRow - mx, limit - done));
                    for (int i = 0; i < n; i++)
                    {
                        ref short inRun = ref Unsafe.Add(ref row, mx * 64);
                        ulong mask = NonzeroMask(ref inRun) & band;
                        if (mask != 0)
                        {
                            ulong taken = 1;
                            (acc, bits) = TakeBits(ref br, BitOperations.PopCount(mask), ref taken, acc, bits, ref padLimit, ref readAhead);
                            ApplyCorrections(ref inRun, mask, taken, p1, m1);
                        }

                        eob--;
                        if (McuEndsRun(ref done, ref mx, limit, bits, padLimit, ref consumedPadding))
                        {
                            goto Finished;
                        }
                    }

                    continue;
                }

                ref short block = ref Unsafe.Add(ref row, mx * 64);
                ulong nonzero = nextMaskAt == mx ? nextMask : NonzeroMask(ref block) & band;

                // The next block's mask, taken now, in the shadow of this block's symbols: where this block ends is a
                // branch the processor cannot predict, and the next block's first run waits for its mask.
                nextMaskAt = mx + 1;
                if (nextMaskAt < perRow)
                {
                    nextMask = NonzeroMask(ref Unsafe.Add(ref block, 64)) & band;
                }

                // Correction bits taken so far in this block, first read in the highest place, above a sentinel 1 (so the
                // string is its own count: at most 63 bits, as the band is). The coefficients they belong to are the
                // nonzero ones passed: nonzero ^ ahead at the block's end, so no mask of them is kept per symbol.
                // The bit buffer in locals of the block's own (the JIT then keeps them in registers through the symbol loop
                // rather than moving them through the stack at its back edge).
                ulong blockAcc = acc;
                int blockBits = bits;
                ulong corrections = 1;
                ulong zeros = band & ~nonzero;
                ulong ahead = nonzero;
                bool badCode = false;
                while (true)
                {
                    // The entry's symbol in its high byte: the run is one shift from the lookup (it starts the path to the
                    // next symbol through the stop and the correction count).
                    (int e, blockAcc, blockBits) = NextEntry(ref br, ref lookup, blockAcc, blockBits, ref padLimit, ref readAhead);
                    if (e != 0)
                    {
                        blockBits -= e & 0xFF;
                    }
                    else
                    {
                        int sym = table.DecodeLong(blockAcc, ref blockBits);
                        if (sym < 0)
                        {
                            badCode = true;
                            sym = 0;
                        }

                        e = sym << 8;
                    }

                    int r = e >> 12;
                    int s = (e >> 8) & 15;
                    if (s == 0 && r != 15)
                    {
                        eob = 1 << r;
                        if (r != 0)
                        {
                            blockBits -= r;
                            eob += (int)(blockAcc >> blockBits) & ((1 << r) - 1);
                        }

                        break;
                    }

                    // Pass over r still-zero coefficients, refining every nonzero one on the way; stop at the next zero
                    // (where a new coefficient goes), or past the band when there is none. The stop as a one-bit mask
                    // (none: 0) gives what lies below it in one step, so its position is off the symbol-to-symbol path.
                    ulong stopBit = SelectBitMask(zeros, r);
                    ulong below = stopBit - 1;
                    int stop = BitOperations.TrailingZeroCount(stopBit);
                    if (stop > se)
                    {
                        stop = se + 1;
                    }

                    if (s != 0)
                    {
                        if (s != 1)
                        {
                            // The size of a newly nonzero coefficient must be 1; libjpeg warns and carries on.
                            badCode = true;
                        }

                        // The sign (read before the corrections, without a branch on it: 1 gives p1, 0 gives m1) and the
                        // new coefficient, stored at once where it cannot be among the corrected ones. The one exception is
                        // a forged run past the band's end, which puts it on 63 after libjpeg refined a nonzero 63: here 63
                        // is refined at the block's end instead, which leaves the new +-p1 as it is (a correction never
                        // changes a coefficient whose p1 bit is set).
                        blockBits--;
                        Unsafe.Add(ref block, Math.Min(stop, 63)) = (short)(((((int)(blockAcc >> blockBits) & 1) * 2) - 1) << al);
                    }

                    // Without a branch on whether any is passed (as good as random): none takes no bits and refills nothing.
                    ulong passed = ahead & below;
                    ahead ^= passed;
                    (blockAcc, blockBits) = TakeBits(ref br, BitOperations.PopCount(passed), ref corrections, blockAcc, blockBits, ref padLimit, ref readAhead);

                    // The next coefficient is stop + 1: the band is done when the stop is se, past it, or none.
                    if (below >= lastBelow)
                    {
                        break;
                    }

                    zeros &= ~(below | stopBit);
                }

                acc = blockAcc;
                bits = blockBits;

                ulong refined = nonzero ^ ahead;
                if (eob > 0)
                {
                    // The rest of the band lies in an end-of-band run (only a symbol inside the band starts one): only
                    // refine what is already nonzero.
                    if (ahead != 0)
                    {
                        refined = nonzero;
                        (acc, bits) = TakeBits(ref br, BitOperations.PopCount(ahead), ref corrections, acc, bits, ref padLimit, ref readAhead);
                    }

                    eob--;
                }

                ApplyCorrections(ref block, refined, corrections, p1, m1);
                FlushBadCode(warnings, badCode);

                if (McuEndsRun(ref done, ref mx, limit, bits, padLimit, ref consumedPadding))
                {
                    goto Finished;
                }
            }

            if (my + 1 >= f.McuRows)
            {
                goto Finished;
            }

            mx = 0;
            my++;
        }

    Finished:
        GiveBack(ref br, ref acc, ref bits, ref readAhead);
        mcuX = mx - 1;
        mcuY = my;
        eobRun = eob;
        br.Restore(acc, bits);
        return done;
    }

    // After an MCU of a run: counts it, moves past it, and tells whether the run ends there, because the MCU consumed
    // padding bits past the real data (consumedPadding is then set) or because the limit is reached.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool McuEndsRun(ref int done, ref int mx, int limit, int bits, int padLimit, ref bool consumedPadding)
    {
        done++;
        mx++;
        if (bits < padLimit)
        {
            consumedPadding = true;
            return true;
        }

        return done == limit;
    }

    /// <summary>Whether PDEP is a fast instruction here (it is microcoded, hundreds of cycles, on AMD before Zen 3).</summary>
    private static readonly bool s_fastBitDeposit = Bmi2.X64.IsSupported && !IsAmdBeforeZen3();

    private static bool IsAmdBeforeZen3()
    {
        if (!X86Base.IsSupported)
        {
            return false;
        }

        (int _, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        bool amd = ebx == 0x68747541 && edx == 0x69746E65 && ecx == 0x444D4163; // "AuthenticAMD"
        if (!amd)
        {
            return false;
        }

        int eax = X86Base.CpuId(1, 0).Eax;
        int family = ((eax >> 8) & 0xF) + ((eax >> 20) & 0xFF);
        return family < 0x19;
    }

    // The (r+1)-th lowest set bit of mask alone, or 0 when it has r or fewer.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SelectBitMask(ulong mask, int r)
    {
        if (s_fastBitDeposit)
        {
            return Bmi2.X64.ParallelBitDeposit(1UL << r, mask);
        }

        for (int i = 0; i < r && mask != 0; i++)
        {
            mask &= mask - 1;
        }

        return mask & (0 - mask);
    }

    // The bits of value below position n (0..64).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong LowBits(ulong value, int n)
    {
        if (Bmi2.X64.IsSupported)
        {
            return Bmi2.X64.ZeroHighBits(value, (uint)n);
        }

        return n >= 64 ? value : value & ((1UL << n) - 1);
    }

    // Appends n (at most 63 in all per block, possibly none) correction bits to the block's bit string, refilling only
    // where a bit is wanted and none is buffered, as the bit-at-a-time reader does. Where that reader (readAhead bits
    // behind, see NextEntry) would refill, the bits read ahead are given back first.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Acc, int Bits) TakeBits(ref HuffmanBitReader br, int n, ref ulong corrections, ulong acc, int bits, ref int padLimit, ref int readAhead)
    {
        if (n <= bits - readAhead)
        {
            bits -= n;
            corrections = (corrections << n) | LowBits(acc >> bits, n);
            return (acc, bits);
        }

        GiveBack(ref br, ref acc, ref bits, ref readAhead);
        while (true)
        {
            int t = Math.Min(n, bits);
            bits -= t;
            corrections = (corrections << t) | LowBits(acc >> bits, t);
            n -= t;
            if (n == 0)
            {
                return (acc, bits);
            }

            // Bits are wanted and the buffer is empty.
            (acc, bits) = br.RefillWithoutCall(acc, bits);
            padLimit = br.PaddingLimit;
        }
    }

    // Applies the correction bits below corrections' sentinel (the first read just below it) to the coefficients of mask
    // in zigzag order: a set bit adds the refined bit away from zero, unless the coefficient already has it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ApplyCorrections(ref short block, ulong mask, ulong corrections, int p1, int m1)
    {
        int aboveSentinel = BitOperations.LeadingZeroCount(corrections);
        if (s_fastBitDeposit && (Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated))
        {
            // Reverse the string so the first bit read lands on the lowest coefficient, then deposit it on the mask
            // (shifted past the sentinel in two steps so that a block with no correction deposits nothing: no branch on it).
            ulong apply = Bmi2.X64.ParallelBitDeposit(ReverseBits(corrections) >> aboveSentinel >> 1, mask);
            ApplyVector(ref block, apply, (short)p1);
            return;
        }

        int count = 63 - aboveSentinel;
        while (mask != 0)
        {
            int pos = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            count--;
            ref short coef = ref Unsafe.Add(ref block, pos);
            int c = coef;
            int apply = (int)(corrections >> count) & 1 & (((c & p1) - 1) >> 31);
            coef = unchecked((short)(c + (-apply & (c >= 0 ? p1 : m1))));
        }
    }

    // Adds +-p1 (away from zero) to each coefficient whose bit is set in apply and whose p1 bit is clear; p1 is 1 << Al
    // with Al at most 13, so -p1 is m1 in 16-bit lanes and the sums wrap as the scalar short arithmetic does.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ApplyVector(ref short block, ulong apply, short p1)
    {
        if (Vector512.IsHardwareAccelerated && Avx512BW.IsSupported)
        {
            // apply's four 16-bit words in every 64-bit lane; a word permute gives each half's 32 lanes their word
            // (lanes 0-15 word 0 or 2, lanes 16-31 word 1 or 3), so no vector is built through the stack.
            var words = Vector512.Create(apply).AsInt16();
            var lanes = LaneBits512;
            var p = Vector512.Create(p1);
            ApplyHalf(ref block, Avx512BW.PermuteVar32x16(words, WordIndices(0)), lanes, p);
            ApplyHalf(ref Unsafe.Add(ref block, 32), Avx512BW.PermuteVar32x16(words, WordIndices(2)), lanes, p);
            return;
        }

        var lanes256 = LaneBits;
        var p256 = Vector256.Create(p1);
        for (int quarter = 0; quarter < 4; quarter++)
        {
            short a = unchecked((short)(apply >> (quarter * 16)));
            if (a == 0)
            {
                continue;
            }

            var selected = Vector256.Equals(Vector256.Create(a) & lanes256, lanes256);
            ref short at = ref Unsafe.Add(ref block, quarter * 16);
            var c = Vector256.LoadUnsafe(ref at);
            var sign = Vector256.ShiftRightArithmetic(c, 15);
            var delta = (p256 ^ sign) - sign;
            var clear = Vector256.Equals(c & p256, Vector256<short>.Zero);
            (c + (delta & selected & clear)).StoreUnsafe(ref at);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ApplyHalf(ref short at, Vector512<short> words, Vector512<short> lanes, Vector512<short> p)
    {
        var selected = Vector512.Equals(words & lanes, lanes);
        var c = Vector512.LoadUnsafe(ref at);
        var sign = Vector512.ShiftRightArithmetic(c, 15);
        var delta = (p ^ sign) - sign;
        var clear = Vector512.Equals(c & p, Vector512<short>.Zero);
        (c + (delta & selected & clear)).StoreUnsafe(ref at);
    }

    // Lanes 0-15 and 16-31 hold 1 << i, as LaneBits (written out in full: a vector of constants is then one load).
    private static Vector512<short> LaneBits512
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(
            1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, unchecked((short)0x8000),
            1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, unchecked((short)0x8000));
    }

    // Word w in lanes 0-15 and word w + 1 in lanes 16-31 (w is 0 or 2), written out in full for the same reason.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> WordIndices(short w)
    {
        short v = (short)(w + 1);
        return Vector512.Create(w, w, w, w, w, w, w, w, w, w, w, w, w, w, w, w, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v);
    }

    // Lane i holds 1 << i: ANDed with a broadcast 16-bit mask, equal where the mask has bit i.
    private static Vector256<short> LaneBits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256.Create(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, unchecked((short)0x8000));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReverseBits(ulong x)
    {
        if (Gfni.IsSupported)
        {
            // One affine transform reverses the bits of every byte; the byte swap does the rest.
            var reversed = Gfni.GaloisFieldAffineTransform(Vector128.CreateScalarUnsafe(x).AsByte(), Vector128.Create(0x8040201008040201UL).AsByte(), 0);
            return BinaryPrimitives.ReverseEndianness(reversed.AsUInt64().ToScalar());
        }

        x = ((x >> 1) & 0x5555555555555555UL) | ((x & 0x5555555555555555UL) << 1);
        x = ((x >> 2) & 0x3333333333333333UL) | ((x & 0x3333333333333333UL) << 2);
        x = ((x >> 4) & 0x0F0F0F0F0F0F0F0FUL) | ((x & 0x0F0F0F0F0F0F0F0FUL) << 4);
        return BinaryPrimitives.ReverseEndianness(x);
    }

    // The lookahead entry of the next symbol, for a hot loop that keeps the bit buffer in locals (passed by value and
    // handed back, so that they stay in registers), with at least 32 bits buffered on return. The buffer is topped up at
    // every symbol, without a branch on the bit count (refilling below 32 bits was a branch the processor could not
    // predict); readAhead counts the bits so buffered ahead of a reader that refills below 32 bits, to which every
    // position, marker and warning is owed. That reader refills where it falls below 32, to the same count from bytes
    // already buffered, so from then on it stands level. Where the top-up is not possible (an FF or a marker near, or the
    // data's end), the bytes read ahead are given back (the lookahead's bits stay) and the buffer is refilled as that
    // reader does, byte-at-a-time path inline: no call. The entry is looked up before the top-up, which only appends bits
    // below the lookahead's, so that the symbol does not wait for the bytes read.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Entry, ulong Acc, int Bits) NextEntry(ref HuffmanBitReader br, ref ushort lookup, ulong acc, int bits, ref int padLimit, ref int readAhead)
    {
        int e = HuffmanTable.LookaheadEntry(ref lookup, acc, bits);
        int before = bits;
        if (br.TryTopUp(ref acc, ref bits, out int added))
        {
            readAhead += added;
            readAhead &= ~((bits - readAhead - 32) >> 31);
            if (before < HuffmanTable.LookaheadBits)
            {
                e = HuffmanTable.LookaheadEntry(ref lookup, acc, bits);
            }
        }
        else
        {
            GiveBack(ref br, ref acc, ref bits, ref readAhead);
            if (bits < 32)
            {
                (acc, bits) = br.RefillWithoutCall(acc, bits);
                padLimit = br.PaddingLimit;
                e = HuffmanTable.LookaheadEntry(ref lookup, acc, bits);
            }
        }

        return (e, acc, bits);
    }

    // Gives back the bits a run buffered ahead (see NextEntry), so that the reader stands where one refilling below 32
    // bits would: before the run hands the buffer back, or reads it by other means.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GiveBack(ref HuffmanBitReader br, ref ulong acc, ref int bits, ref int readAhead)
    {
        if (readAhead != 0)
        {
            br.Unread(ref acc, ref bits, readAhead);
            readAhead = 0;
        }
    }

    // One symbol for a hot loop (see NextEntry): the lookahead table or the long-code path, which is inline too; a bad
    // code gives -1 for the caller to warn about (FlushBadCode) once the block or MCU is done.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Symbol, ulong Acc, int Bits) NextSymbolWithoutCall(ref HuffmanBitReader br, ref ushort lookup, HuffmanTable table, ulong acc, int bits, ref int padLimit, ref int readAhead)
    {
        (int e, acc, bits) = NextEntry(ref br, ref lookup, acc, bits, ref padLimit, ref readAhead);
        if (e != 0)
        {
            return (e >> 8, acc, bits - (e & 0xFF));
        }

        int sym = table.DecodeLong(acc, ref bits);
        return (sym, acc, bits);
    }

    // The warning for the bad codes a block or MCU met (libjpeg's JWRN_HUFF_BAD_CODE, which is the same message each time).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FlushBadCode(JpegWarnings warnings, bool badCode)
    {
        if (badCode)
        {
            warnings.Add(JpegWarnings.BadHuffmanCode);
        }
    }

    // Bit k set when zigzag coefficient k of the block is nonzero.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NonzeroMask(ref short block)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            ulong zeroLow = Vector512.Equals(Vector512.LoadUnsafe(ref block), Vector512<short>.Zero).ExtractMostSignificantBits();
            ulong zeroHigh = Vector512.Equals(Vector512.LoadUnsafe(ref block, 32), Vector512<short>.Zero).ExtractMostSignificantBits();
            return ~(zeroLow | (zeroHigh << 32));
        }

        if (Vector256.IsHardwareAccelerated)
        {
            ulong zeros = 0;
            for (int i = 0; i < 4; i++)
            {
                zeros |= (ulong)Vector256.Equals(Vector256.LoadUnsafe(ref block, (nuint)(i * 16)), Vector256<short>.Zero).ExtractMostSignificantBits() << (i * 16);
            }

            return ~zeros;
        }

        ulong mask = 0;
        for (int i = 0; i < 64; i++)
        {
            if (Unsafe.Add(ref block, i) != 0)
            {
                mask |= 1UL << i;
            }
        }

        return mask;
    }
}
