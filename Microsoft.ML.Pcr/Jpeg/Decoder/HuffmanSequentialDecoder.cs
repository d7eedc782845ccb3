using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>The MCU decoder of sequential Huffman scans (jdhuff.c), the hot path of baseline files.</summary>
internal static class HuffmanSequentialDecoder
{
    /// <summary>Decodes one MCU of a sequential scan.</summary>
    public static void DecodeMcu(FrameState f, ref HuffmanBitReader br, scoped Span<int> offsets, scoped Span<int> lastDc, JpegWarnings warnings)
    {
        for (int b = 0; b < f.BlocksInMcu; b++)
        {
            int ci = f.BlockComp[b];
            var comp = f.ScanComponents[ci];

            // The block lies inside the component's array by construction of the MCU layout.
            ref short block = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(comp.Coefs), offsets[b]);
            lastDc[ci] = DecodeSequentialBlock(ref br, f.DcTables[comp.DcTable], f.AcTables[comp.AcTable], ref block, lastDc[ci], warnings);
        }
    }

    /// <summary>
    /// One block of a sequential scan with the bit buffer in locals (the hot loop of baseline decoding).
    /// Coefficients that are zero are not written, so the block keeps what it held (zeros unless a scan repeated it).
    /// </summary>
    /// <returns>The new DC prediction.</returns>
    private static int DecodeSequentialBlock(ref HuffmanBitReader br, HuffmanTable dcTable, HuffmanTable acTable, ref short block, int lastDc, JpegWarnings warnings)
    {
        ulong acc = br.Acc;
        int bits = br.Bits;
        if (bits < 32)
        {
            (acc, bits) = br.Refill(acc, bits);
        }

        int s;
        int e = HuffmanTable.LookaheadEntry(ref MemoryMarshal.GetArrayDataReference(dcTable.Lookup), acc, bits);
        if (e != 0)
        {
            bits -= e & 0xFF;
            s = e >> 8;
        }
        else
        {
            br.Restore(acc, bits);
            s = DecodeLong(ref br, dcTable, warnings);
            acc = br.Acc;
            bits = br.Bits;
        }

        int dc = lastDc;
        if (s != 0)
        {
            bits -= s;
            dc = unchecked(dc + Extend((int)(acc >> bits) & ((1 << s) - 1), s));
        }

        block = unchecked((short)dc);

        ref ushort acLookup = ref MemoryMarshal.GetArrayDataReference(acTable.Lookup);
        for (int k = 1; k < 64; k++)
        {
            if (bits < 32)
            {
                (acc, bits) = br.Refill(acc, bits);
            }

            int sym;
            e = HuffmanTable.LookaheadEntry(ref acLookup, acc, bits);
            if (e != 0)
            {
                bits -= e & 0xFF;
                sym = e >> 8;
            }
            else
            {
                br.Restore(acc, bits);
                sym = DecodeLong(ref br, acTable, warnings);
                acc = br.Acc;
                bits = br.Bits;
            }

            int r = sym >> 4;
            s = sym & 15;
            if (s != 0)
            {
                k += r;
                bits -= s;
                int v = Extend((int)(acc >> bits) & ((1 << s) - 1), s);

                // libjpeg's jpeg_natural_order has 16 extra entries pointing at 63 for corrupt runs.
                Unsafe.Add(ref block, k > 63 ? 63 : k) = unchecked((short)v);
            }
            else
            {
                if (r != 15)
                {
                    break;
                }

                k += 15;
            }
        }

        br.Restore(acc, bits);
        return dc;
    }



    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Extend(int r, int s) => r + (((r - (1 << (s - 1))) >> 31) & ((-1 << s) + 1));

    /// <summary>The slow path of a symbol decode for the hot loop: codes longer than the lookahead, and bad codes (symbol 0, as libjpeg).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static int DecodeLong(ref HuffmanBitReader br, HuffmanTable t, JpegWarnings warnings)
    {
        int sym = br.DecodeLong(t);
        if (sym < 0)
        {
            warnings.Add(JpegWarnings.BadHuffmanCode);
            sym = 0;
        }

        return sym;
    }
}
