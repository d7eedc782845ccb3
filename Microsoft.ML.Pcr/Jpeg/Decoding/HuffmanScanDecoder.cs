namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>
/// Decodes Huffman-coded scans into the coefficient arrays, sequential (jdhuff.c) and progressive
/// (jdphuff.c), with libjpeg's behaviour on damaged data: when an MCU runs past the end of a data
/// segment it is finished with zero bits and the rest of the segment is left untouched (zeros),
/// until a restart marker lets decoding resume.
/// </summary>
internal static class HuffmanScanDecoder
{
    private const string HitMarkerWarning = "Corrupt JPEG data: premature end of data segment";
    private const string BadCodeWarning = "Corrupt JPEG data: bad Huffman code";

    /// <summary>Decodes the current scan of <paramref name="f"/>, reading from and advancing <paramref name="m"/>.</summary>
    public static void DecodeScan(FrameState f, ref JpegMarkerReader m, JpegWarnings warnings)
    {
        PrepareTables(f, ref m);
        var br = new HuffmanBitReader(in m);
        var state = new ScanRunState(f);
        Span<int> offsets = stackalloc int[FrameState.MaxBlocksInMcu];
        Span<int> lastDc = stackalloc int[4];
        int restartInterval = f.RestartInterval;
        int restartsToGo = restartInterval;
        int nextRestart = 0;
        bool insufficient = false;
        int eobRun = 0;

        for (int my = 0; my < f.McuRows; my++)
        {
            for (int mx = 0; mx < f.McusPerRow; mx++)
            {
                if (restartInterval != 0 && restartsToGo == 0)
                {
                    // libjpeg's process_restart: drop buffered bits, read RSTn (or resync), reset predictions.
                    br.SyncTo(ref m);
                    m.ReadRestartMarker(ref nextRestart, warnings);
                    br.ResyncFrom(in m);
                    lastDc.Clear();
                    eobRun = 0;
                    restartsToGo = restartInterval;
                    if (m.UnreadMarker == 0)
                    {
                        insufficient = false;
                    }
                }

                f.McuBlockOffsets(mx, my, offsets);

                // DC refinement scans ignore the out-of-data flag (libjpeg reads zero bits there).
                if (!insufficient || state.Kind == ScanKind.DcRefine)
                {
                    switch (state.Kind)
                    {
                        case ScanKind.Sequential:
                            DecodeSequentialMcu(f, ref br, offsets, lastDc, warnings);
                            break;
                        case ScanKind.DcFirst:
                            DecodeDcFirstMcu(f, ref br, offsets, lastDc, warnings, ref m);
                            break;
                        case ScanKind.DcRefine:
                            DecodeDcRefineMcu(f, ref br, offsets);
                            break;
                        case ScanKind.AcFirst:
                            DecodeAcFirstMcu(f, ref br, offsets[0], ref eobRun, warnings);
                            break;
                        default:
                            DecodeAcRefineMcu(f, ref br, offsets[0], ref eobRun, warnings);
                            break;
                    }

                    if (!insufficient && br.ConsumedPadding)
                    {
                        warnings.Add(HitMarkerWarning);
                        insufficient = true;
                    }
                }

                if (restartInterval != 0)
                {
                    restartsToGo--;
                }
            }
        }

        br.SyncTo(ref m);
    }

    private static void PrepareTables(FrameState f, ref JpegMarkerReader m)
    {
        bool needDc = !f.Progressive || (f.Ss == 0 && f.Ah == 0);
        bool needAc = !f.Progressive || f.Ss != 0;
        for (int ci = 0; ci < f.CompsInScan; ci++)
        {
            var c = f.ScanComponents[ci];
            if (needDc)
            {
                Derive(f.DcDefs, f.DcTables, c.DcTable, isDc: true, ref m);
            }

            if (needAc)
            {
                Derive(f.AcDefs, f.AcTables, c.AcTable, isDc: false, ref m);
            }
        }
    }

    private static void Derive(HuffmanTableDefinition[] defs, HuffmanTable[] tables, int slot, bool isDc, ref JpegMarkerReader m)
    {
        string kind = isDc ? "DC" : "AC";
        if ((uint)slot >= 4u || !defs[slot].Defined)
        {
            throw m.Fail($"scan uses {kind} Huffman table {slot}, which is not defined");
        }

        string? error = tables[slot].Derive(defs[slot], isDc);
        if (error is not null)
        {
            throw m.Fail($"{error} ({kind} table {slot})");
        }
    }

    private static void DecodeSequentialMcu(FrameState f, ref HuffmanBitReader br, scoped Span<int> offsets, scoped Span<int> lastDc, JpegWarnings warnings)
    {
        for (int b = 0; b < f.BlocksInMcu; b++)
        {
            int ci = f.BlockComp[b];
            var comp = f.ScanComponents[ci];
            var dcTable = f.DcTables[comp.DcTable];
            var acTable = f.AcTables[comp.AcTable];
            var block = comp.Coefs.AsSpan(offsets[b], 64);

            br.Ensure32();
            int s = br.DecodeSymbol(dcTable);
            if (s < 0)
            {
                warnings.Add(BadCodeWarning);
                s = 0;
            }

            int diff = s == 0 ? 0 : br.GetSigned(s);
            int dc = unchecked(lastDc[ci] + diff);
            lastDc[ci] = dc;
            block[0] = unchecked((short)dc);

            // Zeros are skipped, so the block keeps what it held before (zeros unless a scan repeated it).
            for (int k = 1; k < 64; k++)
            {
                br.Ensure32();
                int sym = br.DecodeSymbol(acTable);
                if (sym < 0)
                {
                    warnings.Add(BadCodeWarning);
                    sym = 0;
                }

                int r = sym >> 4;
                s = sym & 15;
                if (s != 0)
                {
                    k += r;

                    // libjpeg's jpeg_natural_order has 16 extra entries pointing at 63 for corrupt runs.
                    block[k > 63 ? 63 : k] = unchecked((short)br.GetSigned(s));
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
        }
    }

    private static void DecodeDcFirstMcu(FrameState f, ref HuffmanBitReader br, scoped Span<int> offsets, scoped Span<int> lastDc, JpegWarnings warnings, ref JpegMarkerReader m)
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
                warnings.Add(BadCodeWarning);
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

    private static void DecodeDcRefineMcu(FrameState f, ref HuffmanBitReader br, scoped Span<int> offsets)
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

    private static void DecodeAcFirstMcu(FrameState f, ref HuffmanBitReader br, int offset, ref int eobRun, JpegWarnings warnings)
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
                warnings.Add(BadCodeWarning);
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

    private static void DecodeAcRefineMcu(FrameState f, ref HuffmanBitReader br, int offset, ref int eobRun, JpegWarnings warnings)
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
                    warnings.Add(BadCodeWarning);
                    sym = 0;
                }

                int r = sym >> 4;
                int s = sym & 15;
                if (s != 0)
                {
                    if (s != 1)
                    {
                        // The size of a newly nonzero coefficient must be 1; libjpeg warns and carries on.
                        warnings.Add(BadCodeWarning);
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

    /// <summary>Which MCU decoder a scan uses.</summary>
    private enum ScanKind
    {
        Sequential,
        DcFirst,
        DcRefine,
        AcFirst,
        AcRefine,
    }

    private readonly struct ScanRunState
    {
        public ScanRunState(FrameState f)
        {
            Kind = !f.Progressive ? ScanKind.Sequential
                : f.Ss == 0 ? (f.Ah == 0 ? ScanKind.DcFirst : ScanKind.DcRefine)
                : (f.Ah == 0 ? ScanKind.AcFirst : ScanKind.AcRefine);
        }

        public ScanKind Kind { get; }
    }
}
