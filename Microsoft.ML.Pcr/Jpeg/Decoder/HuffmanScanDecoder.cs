namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// Decodes Huffman-coded scans into the coefficient arrays, sequential (jdhuff.c) and progressive
/// (jdphuff.c), with libjpeg's behaviour on damaged data: when an MCU runs past the end of a data
/// segment it is finished with zero bits and the rest of the segment is left untouched (zeros),
/// until a restart marker lets decoding resume.
/// </summary>
internal static class HuffmanScanDecoder
{

    /// <summary>Decodes the current scan of <paramref name="f"/>, reading from and advancing <paramref name="m"/>.</summary>
    public static void DecodeScan(FrameState f, ref JpegMarkerReader m, JpegWarnings warnings)
    {
        PrepareTables(f, ref m);
        var br = new HuffmanBitReader(in m);
        var kind = KindOf(f);
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
                if (!insufficient || kind == ScanKind.DcRefine)
                {
                    switch (kind)
                    {
                        case ScanKind.Sequential:
                            HuffmanSequentialDecoder.DecodeMcu(f, ref br, offsets, lastDc, warnings);
                            break;
                        case ScanKind.DcFirst:
                            HuffmanProgressiveDecoder.DecodeDcFirstMcu(f, ref br, offsets, lastDc, warnings, ref m);
                            break;
                        case ScanKind.DcRefine:
                            HuffmanProgressiveDecoder.DecodeDcRefineMcu(f, ref br, offsets);
                            break;
                        case ScanKind.AcFirst:
                            HuffmanProgressiveDecoder.DecodeAcFirstMcu(f, ref br, offsets[0], ref eobRun, warnings);
                            break;
                        default:
                            HuffmanProgressiveDecoder.DecodeAcRefineMcu(f, ref br, offsets[0], ref eobRun, warnings);
                            break;
                    }

                    if (!insufficient && br.ConsumedPadding)
                    {
                        warnings.Add(JpegWarnings.PrematureEndOfSegment);
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

    /// <summary>Which MCU decoder a scan uses.</summary>
    private enum ScanKind
    {
        Sequential,
        DcFirst,
        DcRefine,
        AcFirst,
        AcRefine,
    }

    private static ScanKind KindOf(FrameState f) =>
        !f.Progressive ? ScanKind.Sequential
        : f.Ss == 0 ? (f.Ah == 0 ? ScanKind.DcFirst : ScanKind.DcRefine)
        : (f.Ah == 0 ? ScanKind.AcFirst : ScanKind.AcRefine);
}
