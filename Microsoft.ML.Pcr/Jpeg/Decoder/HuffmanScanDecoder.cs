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

        int allocatedRow = -1;

        // When the data of a restart interval runs out, libjpeg leaves the rest of the interval untouched (a DC
        // refinement reads zero bits there, which change nothing): those MCUs are skipped in one step, so a scan costs
        // time in proportion to its data, not to the size its header declares.
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

                if (!insufficient)
                {
                    if (my != allocatedRow)
                    {
                        f.EnsureMcuRow(my);
                        allocatedRow = my;
                    }

                    if (kind != ScanKind.Sequential)
                    {
                        // Progressive scans: a run decoder takes every MCU up to the interval's end (or the first that
                        // consumes padding) with its state in registers, and leaves (mx, my) on the last one it decoded.
                        int limit = restartInterval != 0 ? restartsToGo : int.MaxValue;
                        bool padded;
                        int decoded = kind switch
                        {
                            ScanKind.DcFirst => HuffmanProgressiveDecoder.DecodeDcFirstRun(f, ref br, ref mx, ref my, limit, lastDc, warnings, ref m, out padded),
                            ScanKind.DcRefine => HuffmanProgressiveDecoder.DecodeDcRefineRun(f, ref br, ref mx, ref my, limit, out padded),
                            ScanKind.AcFirst => HuffmanProgressiveDecoder.DecodeAcFirstRun(f, ref br, ref mx, ref my, limit, ref eobRun, warnings, out padded),
                            _ => HuffmanProgressiveDecoder.DecodeAcRefineRun(f, ref br, ref mx, ref my, limit, ref eobRun, warnings, out padded),
                        };
                        allocatedRow = -1;
                        if (restartInterval != 0)
                        {
                            restartsToGo -= decoded;
                        }

                        if (!padded)
                        {
                            continue;
                        }
                    }
                    else
                    {
                        f.McuBlockOffsets(mx, my, offsets);
                        HuffmanSequentialDecoder.DecodeMcu(f, ref br, offsets, lastDc, warnings);

                        if (restartInterval != 0)
                        {
                            restartsToGo--;
                        }

                        if (!br.ConsumedPadding)
                        {
                            continue;
                        }
                    }

                    warnings.Add(JpegWarnings.PrematureEndOfSegment);
                    if (restartInterval == 0)
                    {
                        my = f.McuRows;
                        break;
                    }

                    insufficient = true;
                    if (restartsToGo == 0)
                    {
                        continue;
                    }

                    // Skip the rest of the interval: land on its last MCU.
                    f.SkipMcus(ref mx, ref my, restartsToGo);
                }
                else
                {
                    // A restart that found no marker: nothing is decoded up to the next one; land on the interval's last MCU.
                    f.SkipMcus(ref mx, ref my, restartsToGo - 1);
                }

                restartsToGo = 0;
                if (my >= f.McuRows)
                {
                    break;
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
