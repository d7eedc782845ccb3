namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// The MCU decoders of progressive Huffman scans (jdphuff.c): DC first and refinement scans over
/// interleaved MCUs, AC first and refinement scans over single blocks with end-of-band runs.
/// </summary>
internal static class HuffmanProgressiveDecoder
{

    /// <summary>jdphuff.c's decode_mcu_DC_first.</summary>
    public static void DecodeDcFirstMcu(FrameState f, ref HuffmanBitReader br, scoped Span<int> offsets, scoped Span<int> lastDc, JpegWarnings warnings, ref JpegMarkerReader m)
    {
        int al = f.Al;
        for (int b = 0; b < f.BlocksInMcu; b++)
        {
            int ci = f.BlockComp[b];
            var comp = f.ScanComponents[ci];
            br.Ensure32();
            int s = br.DecodeSymbol(f.DcTables[comp.DcTable]);
            if (s < 0)
            {
                warnings.Add(JpegWarnings.BadHuffmanCode);
                s = 0;
            }

            int diff = s == 0 ? 0 : br.GetSigned(s);
            long sum = (long)lastDc[ci] + diff;
            if (sum > int.MaxValue || sum < int.MinValue)
            {
                throw m.Fail("DC coefficient out of range");
            }

            lastDc[ci] = (int)sum;
            comp.Coefs[offsets[b]] = unchecked((short)(int)((uint)sum << al));
        }
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
        int se = f.Se;
        int al = f.Al;
        for (int k = f.Ss; k <= se; k++)
        {
            br.Ensure32();
            int sym = br.DecodeSymbol(table);
            if (sym < 0)
            {
                warnings.Add(JpegWarnings.BadHuffmanCode);
                sym = 0;
            }

            int r = sym >> 4;
            int s = sym & 15;
            if (s != 0)
            {
                k += r;
                int v = br.GetSigned(s);
                block[k > 63 ? 63 : k] = unchecked((short)(int)((uint)v << al));
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
                    eobRun += br.GetBits(r);
                }

                eobRun--;
                break;
            }
        }
    }

    /// <summary>jdphuff.c's decode_mcu_AC_refine.</summary>
    public static void DecodeAcRefineMcu(FrameState f, ref HuffmanBitReader br, int offset, ref int eobRun, JpegWarnings warnings)
    {
        var comp = f.ScanComponents[0];
        var table = f.AcTables[comp.AcTable];
        var block = comp.Coefs.AsSpan(offset, 64);
        int se = f.Se;
        int p1 = 1 << f.Al;
        int m1 = -1 << f.Al;
        int k = f.Ss;

        if (eobRun == 0)
        {
            for (; k <= se; k++)
            {
                br.Ensure32();
                int sym = br.DecodeSymbol(table);
                if (sym < 0)
                {
                    warnings.Add(JpegWarnings.BadHuffmanCode);
                    sym = 0;
                }

                int r = sym >> 4;
                int s = sym & 15;
                if (s != 0)
                {
                    if (s != 1)
                    {
                        // The size of a newly nonzero coefficient must be 1; libjpeg warns and carries on.
                        warnings.Add(JpegWarnings.BadHuffmanCode);
                    }

                    s = br.GetBit() != 0 ? p1 : m1;
                }
                else if (r != 15)
                {
                    eobRun = 1 << r;
                    if (r != 0)
                    {
                        eobRun += br.GetBits(r);
                    }

                    break;
                }

                // Advance over already-nonzero coefficients (refining each) and r still-zero ones.
                do
                {
                    ref short coef = ref block[k];
                    if (coef != 0)
                    {
                        if (br.GetBit() != 0 && (coef & p1) == 0)
                        {
                            coef = unchecked((short)(coef >= 0 ? coef + p1 : coef + m1));
                        }
                    }
                    else if (--r < 0)
                    {
                        break;
                    }

                    k++;
                }
                while (k <= se);

                if (s != 0)
                {
                    block[k > 63 ? 63 : k] = (short)s;
                }
            }
        }

        if (eobRun > 0)
        {
            // The rest of the band lies in an end-of-band run: only refine what is already nonzero.
            for (; k <= se; k++)
            {
                ref short coef = ref block[k];
                if (coef != 0 && br.GetBit() != 0 && (coef & p1) == 0)
                {
                    coef = unchecked((short)(coef >= 0 ? coef + p1 : coef + m1));
                }
            }

            eobRun--;
        }
    }
}
