using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// The MCU decoders of progressive Huffman scans (jdphuff.c): DC first and refinement scans over
/// interleaved MCUs, AC first and refinement scans over single blocks with end-of-band runs.
/// </summary>
internal static class HuffmanProgressiveDecoder
{
    /// <summary>jdphuff.c's decode_mcu_DC_first, with the bit buffer in locals for the MCU's blocks.</summary>
    public static void DecodeDcFirstMcu(FrameState f, ref HuffmanBitReader br, scoped Span<int> offsets, scoped Span<int> lastDc, JpegWarnings warnings, ref JpegMarkerReader m)
    {
        int al = f.Al;
        ulong acc = br.Acc;
        int bits = br.Bits;
        for (int b = 0; b < f.BlocksInMcu; b++)
        {
            int ci = f.BlockComp[b];
            var comp = f.ScanComponents[ci];
            var table = f.DcTables[comp.DcTable];
            (int s, acc, bits) = NextSymbol(ref br, ref MemoryMarshal.GetArrayDataReference(table.Lookup), table, warnings, acc, bits);
            int diff = 0;
            if (s is > 0 and <= 16)
            {
                bits -= s;
                diff = HuffmanSequentialDecoder.Extend((int)(acc >> bits) & ((1 << s) - 1), s);
            }
            else if (s > 16)
            {
                // A forged table's symbol beyond any DC category: read as the buffer-level reader always did.
                br.Restore(acc, bits);
                diff = br.GetSigned(s);
                (acc, bits) = (br.Acc, br.Bits);
            }

            long sum = (long)lastDc[ci] + diff;
            if (sum > int.MaxValue || sum < int.MinValue)
            {
                br.Restore(acc, bits);
                throw m.Fail("DC coefficient out of range");
            }

            lastDc[ci] = (int)sum;
            comp.Coefs[offsets[b]] = unchecked((short)(int)((uint)sum << al));
        }

        br.Restore(acc, bits);
    }

    /// <summary>jdphuff.c's decode_mcu_DC_refine.</summary>
    public static void DecodeDcRefineMcu(FrameState f, ref HuffmanBitReader br, scoped Span<int> offsets)
    {
        int p1 = 1 << f.Al;
        for (int b = 0; b < f.BlocksInMcu; b++)
        {
            var comp = f.ScanComponents[f.BlockComp[b]];
            if (br.GetBit() != 0)
            {
                comp.Coefs[offsets[b]] |= (short)p1;
            }
        }
    }

    /// <summary>jdphuff.c's decode_mcu_AC_first.</summary>
    public static void DecodeAcFirstMcu(FrameState f, ref HuffmanBitReader br, int offset, ref int eobRun, JpegWarnings warnings)
    {
        if (eobRun > 0)
        {
            eobRun--;
            return;
        }

        var comp = f.ScanComponents[0];
        var table = f.AcTables[comp.AcTable];
        var block = comp.Coefs.AsSpan(offset, 64);
        ref short first = ref MemoryMarshal.GetReference(block);
        ref ushort lookup = ref MemoryMarshal.GetArrayDataReference(table.Lookup);
        int se = f.Se;
        int al = f.Al;
        ulong acc = br.Acc;
        int bits = br.Bits;
        for (int k = f.Ss; k <= se; k++)
        {
            (int sym, acc, bits) = NextSymbol(ref br, ref lookup, table, warnings, acc, bits);

            int r = sym >> 4;
            int s = sym & 15;
            if (s != 0)
            {
                k += r;
                bits -= s;
                int v = HuffmanSequentialDecoder.Extend((int)(acc >> bits) & ((1 << s) - 1), s);
                Unsafe.Add(ref first, k > 63 ? 63 : k) = unchecked((short)(int)((uint)v << al));
            }
            else if (r == 15)
            {
                k += 15;
            }
            else
            {
                // EOBr: a run of 2^r + r appended bits blocks, this one included.
                eobRun = 1 << r;
                if (r != 0)
                {
                    bits -= r;
                    eobRun += (int)(acc >> bits) & ((1 << r) - 1);
                }

                eobRun--;
                break;
            }
        }

        br.Restore(acc, bits);
    }

    /// <summary>
    /// jdphuff.c's decode_mcu_AC_refine, with the bit buffer in locals and the block's nonzero coefficients as a
    /// 64-bit mask: the coefficients a run passes over, and those an end-of-band run refines, are found by bit
    /// arithmetic instead of a test per coefficient. The mask stays exact for the positions still ahead because a
    /// new coefficient is only ever placed behind them.
    /// </summary>
    public static void DecodeAcRefineMcu(FrameState f, ref HuffmanBitReader br, int offset, ref int eobRun, JpegWarnings warnings)
    {
        var comp = f.ScanComponents[0];
        var table = f.AcTables[comp.AcTable];
        var block = comp.Coefs.AsSpan(offset, 64);
        ref short first = ref MemoryMarshal.GetReference(block);
        int se = f.Se;
        int p1 = 1 << f.Al;
        int m1 = -1 << f.Al;
        int k = f.Ss;
        ulong band = (se == 63 ? ulong.MaxValue : (1UL << (se + 1)) - 1) & ~((1UL << k) - 1);
        ulong nonzero = NonzeroMask(ref first) & band;
        ulong acc = br.Acc;
        int bits = br.Bits;
        ref ushort lookup = ref MemoryMarshal.GetArrayDataReference(table.Lookup);

        if (eobRun == 0)
        {
            for (; k <= se; k++)
            {
                (int sym, acc, bits) = NextSymbol(ref br, ref lookup, table, warnings, acc, bits);

                int r = sym >> 4;
                int s = sym & 15;
                if (s != 0)
                {
                    if (s != 1)
                    {
                        // The size of a newly nonzero coefficient must be 1; libjpeg warns and carries on.
                        warnings.Add(JpegWarnings.BadHuffmanCode);
                    }

                    bits--;
                    s = ((acc >> bits) & 1) != 0 ? p1 : m1;
                }
                else if (r != 15)
                {
                    eobRun = 1 << r;
                    if (r != 0)
                    {
                        bits -= r;
                        eobRun += (int)(acc >> bits) & ((1 << r) - 1);
                    }

                    break;
                }

                // Pass over r still-zero coefficients, refining every nonzero one on the way; stop at the next zero
                // (where a new coefficient goes), or past the band when there is none.
                ulong ahead = band & ~((1UL << k) - 1);
                ulong zeros = ahead & ~nonzero;
                for (int i = 0; i < r && zeros != 0; i++)
                {
                    zeros &= zeros - 1;
                }

                int stop = zeros != 0 ? BitOperations.TrailingZeroCount(zeros) : se + 1;
                ulong passed = nonzero & ahead & (stop >= 64 ? ulong.MaxValue : (1UL << stop) - 1);
                (acc, bits) = Refine(ref first, passed, p1, m1, ref br, acc, bits);
                k = stop;
                if (s != 0)
                {
                    Unsafe.Add(ref first, k > 63 ? 63 : k) = (short)s;
                }
            }
        }

        if (eobRun > 0)
        {
            // The rest of the band lies in an end-of-band run: only refine what is already nonzero.
            if (k <= se)
            {
                (acc, bits) = Refine(ref first, nonzero & ~((1UL << k) - 1), p1, m1, ref br, acc, bits);
            }

            eobRun--;
        }

        br.Restore(acc, bits);
    }

    private const int LookaheadMask = (1 << HuffmanTable.LookaheadBits) - 1;

    // One symbol of an AC scan for a hot loop that keeps the bit buffer in locals (passed by value and handed back, so
    // that they stay in registers): refills below 32 bits, then the lookahead table or the long-code path.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Symbol, ulong Acc, int Bits) NextSymbol(ref HuffmanBitReader br, ref ushort lookup, HuffmanTable table, JpegWarnings warnings, ulong acc, int bits)
    {
        if (bits < 32)
        {
            (acc, bits) = br.Refill(acc, bits);
        }

        int e = Unsafe.Add(ref lookup, (int)(acc >> (bits - HuffmanTable.LookaheadBits)) & LookaheadMask);
        if (e != 0)
        {
            return (e & 0xFF, acc, bits - (e >> 8));
        }

        br.Restore(acc, bits);
        int sym = HuffmanSequentialDecoder.DecodeLong(ref br, table, warnings);
        return (sym, br.Acc, br.Bits);
    }

    // One correction bit for each coefficient in the mask, in zigzag order: a set bit adds the refined bit away from zero.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Acc, int Bits) Refine(ref short block, ulong mask, int p1, int m1, ref HuffmanBitReader br, ulong acc, int bits)
    {
        while (mask != 0)
        {
            int pos = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            if (bits < 1)
            {
                (acc, bits) = br.Refill(acc, bits);
            }

            bits--;

            // Branch-free: correction bits are close to random, so a branch on them mispredicts half the time.
            ref short coef = ref Unsafe.Add(ref block, pos);
            int c = coef;
            int apply = (int)(acc >> bits) & 1 & (((c & p1) - 1) >> 31);
            coef = unchecked((short)(c + (-apply & (c >= 0 ? p1 : m1))));
        }

        return (acc, bits);
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
