namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// Decodes arithmetic-coded scans (SOF9 sequential, SOF10 progressive) into the coefficient arrays
/// with jdarith.c's context modelling and its reaction to bad data: a magnitude or spectral
/// overflow warns and skips the rest of the restart interval.
/// </summary>
internal static class ArithmeticScanDecoder
{
    /// <summary>
    /// Zero bytes past a scan's marker after which, when data loss is refused, the scan counts as truncated: a valid
    /// scan consumes at most the bytes the encoder dropped from its final flush (trailing zeros, 4 or so).
    /// </summary>
    private const int MaxFillBytes = 64;

    /// <summary>Decodes the current scan of <paramref name="f"/>, reading from and advancing <paramref name="m"/>.</summary>
    public static void DecodeScan(FrameState f, ref JpegMarkerReader m, JpegWarnings warnings)
    {
        bool dcFirstOrSeq = !f.Progressive || (f.Ss == 0 && f.Ah == 0);
        bool acStats = !f.Progressive || f.Ss != 0;
        for (int ci = 0; ci < f.CompsInScan; ci++)
        {
            var c = f.ScanComponents[ci];
            if (dcFirstOrSeq && (uint)c.DcTable >= FrameState.ArithTables)
            {
                throw m.Fail($"scan uses arithmetic DC table {c.DcTable}, which does not exist");
            }

            if (acStats && (uint)c.AcTable >= FrameState.ArithTables)
            {
                throw m.Fail($"scan uses arithmetic AC table {c.AcTable}, which does not exist");
            }
        }

        Span<int> lastDc = stackalloc int[4];
        Span<int> dcContext = stackalloc int[4];
        ResetStatistics(f, dcFirstOrSeq, acStats, lastDc, dcContext);

        var d = new ArithmeticDecoder(in m);
        Span<int> offsets = stackalloc int[FrameState.MaxBlocksInMcu];
        byte fixedBin = 113; // the non-adapting 0.5 estimate used for signs and corrections
        int restartInterval = f.RestartInterval;
        int restartsToGo = restartInterval;
        int nextRestart = 0;
        bool dcRefine = f.Progressive && f.Ss == 0 && f.Ah != 0;
        int allocatedRow = -1;

        for (int my = 0; my < f.McuRows; my++)
        {
            if (d.HitEnd && warnings.RefusesDataLoss)
            {
                // The file ends inside the scan: what follows is decoded from zero bytes, so stop here.
                warnings.Add(JpegWarnings.PrematureEndOfFile);
            }

            if (d.Ct == -1 && restartInterval == 0 && !dcRefine)
            {
                // After a bad code jdarith.c decodes nothing more in this scan.
                break;
            }

            for (int mx = 0; mx < f.McusPerRow; mx++)
            {
                if (restartInterval != 0)
                {
                    if (restartsToGo == 0)
                    {
                        d.SyncTo(ref m);
                        m.ReadRestartMarker(ref nextRestart, warnings);
                        d.ResyncFrom(in m);
                        ResetStatistics(f, dcFirstOrSeq, acStats, lastDc, dcContext);
                        restartsToGo = restartInterval;
                    }

                    restartsToGo--;
                }

                if (d.FillBytes > MaxFillBytes && warnings.RefusesDataLoss)
                {
                    // The data ended long ago (no valid scan runs this far past its marker): the rest would come from zeros.
                    warnings.Add(JpegWarnings.PrematureEndOfSegment);
                }

                if (my != allocatedRow && (d.Ct != -1 || dcRefine))
                {
                    f.EnsureMcuRow(my);
                    allocatedRow = my;
                }

                f.McuBlockOffsets(mx, my, offsets);
                bool ok = true;
                if (!f.Progressive)
                {
                    ok = d.Ct == -1 || DecodeSequentialMcu(f, ref d, offsets, lastDc, dcContext, ref fixedBin);
                }
                else if (f.Ss == 0)
                {
                    if (f.Ah == 0)
                    {
                        ok = d.Ct == -1 || DecodeDcFirstMcu(f, ref d, offsets, lastDc, dcContext, ref fixedBin);
                    }
                    else
                    {
                        // jdarith.c decodes DC refinements even after an error.
                        int p1 = 1 << f.Al;
                        for (int b = 0; b < f.BlocksInMcu; b++)
                        {
                            if (d.Decode(ref fixedBin) != 0)
                            {
                                f.ScanComponents[f.BlockComp[b]].Coefs[offsets[b]] |= (short)p1;
                            }
                        }
                    }
                }
                else if (f.Ah == 0)
                {
                    ok = d.Ct == -1 || DecodeAcFirstMcu(f, ref d, offsets[0], ref fixedBin);
                }
                else
                {
                    ok = d.Ct == -1 || DecodeAcRefineMcu(f, ref d, offsets[0], ref fixedBin);
                }

                if (!ok)
                {
                    warnings.Add(JpegWarnings.BadArithmeticCode);
                    d.Ct = -1;
                }
            }
        }

        d.SyncTo(ref m);
    }

    private static void ResetStatistics(FrameState f, bool dc, bool ac, scoped Span<int> lastDc, scoped Span<int> dcContext)
    {
        for (int ci = 0; ci < f.CompsInScan; ci++)
        {
            var c = f.ScanComponents[ci];
            if (dc)
            {
                Array.Clear(f.DcStats[c.DcTable]);
                lastDc[ci] = 0;
                dcContext[ci] = 0;
            }

            if (ac)
            {
                Array.Clear(f.AcStats[c.AcTable]);
            }
        }
    }

    /// <summary>Decodes a DC difference (F.1.4.4.1) and returns false on a magnitude overflow.</summary>
    private static bool DecodeDcDiff(FrameState f, ref ArithmeticDecoder d, int tbl, ref int context, out int diff)
    {
        var stats = f.DcStats[tbl];
        diff = 0;
        int st = context;
        if (d.Decode(ref stats[st]) == 0)
        {
            context = 0;
            return true;
        }

        int sign = d.Decode(ref stats[st + 1]);
        st += 2 + sign;
        int m = d.Decode(ref stats[st]);
        if (m != 0)
        {
            st = 20; // Table F.4: X1 = 20
            while (d.Decode(ref stats[st]) != 0)
            {
                if ((m <<= 1) == 0x8000)
                {
                    return false;
                }

                st++;
            }
        }

        // Conditioning category of this difference for the next block (Table F.4, DAC bounds L and U).
        if (m < (1 << f.ArithDcL[tbl]) >> 1)
        {
            context = 0;
        }
        else if (m > (1 << f.ArithDcU[tbl]) >> 1)
        {
            context = 12 + (sign * 4);
        }
        else
        {
            context = 4 + (sign * 4);
        }

        int v = m;
        st += 14;
        while ((m >>= 1) != 0)
        {
            if (d.Decode(ref stats[st]) != 0)
            {
                v |= m;
            }
        }

        v += 1;
        diff = sign != 0 ? -v : v;
        return true;
    }

    /// <summary>Decodes one AC magnitude and sign after the "nonzero" decision at <paramref name="k"/> (F.1.4.4.2).</summary>
    private static bool DecodeAcValue(FrameState f, ref ArithmeticDecoder d, int tbl, int k, int st, ref byte fixedBin, out int value)
    {
        var stats = f.AcStats[tbl];
        value = 0;
        int sign = d.Decode(ref fixedBin);
        st += 2;
        int m = d.Decode(ref stats[st]);
        if (m != 0 && d.Decode(ref stats[st]) != 0)
        {
            m <<= 1;
            st = k <= f.ArithAcK[tbl] ? 189 : 217;
            while (d.Decode(ref stats[st]) != 0)
            {
                if ((m <<= 1) == 0x8000)
                {
                    return false;
                }

                st++;
            }
        }

        int v = m;
        st += 14;
        while ((m >>= 1) != 0)
        {
            if (d.Decode(ref stats[st]) != 0)
            {
                v |= m;
            }
        }

        v += 1;
        value = sign != 0 ? -v : v;
        return true;
    }

    private static bool DecodeSequentialMcu(FrameState f, ref ArithmeticDecoder d, scoped Span<int> offsets, scoped Span<int> lastDc, scoped Span<int> dcContext, ref byte fixedBin)
    {
        for (int b = 0; b < f.BlocksInMcu; b++)
        {
            int ci = f.BlockComp[b];
            var comp = f.ScanComponents[ci];
            var block = comp.Coefs.AsSpan(offsets[b], 64);
            if (!DecodeDcDiff(f, ref d, comp.DcTable, ref dcContext[ci], out int diff))
            {
                return false;
            }

            lastDc[ci] = (lastDc[ci] + diff) & 0xFFFF;
            block[0] = unchecked((short)lastDc[ci]);

            int tbl = comp.AcTable;
            var stats = f.AcStats[tbl];
            for (int k = 1; k <= 63; k++)
            {
                int st = 3 * (k - 1);
                if (d.Decode(ref stats[st]) != 0)
                {
                    break; // EOB
                }

                while (d.Decode(ref stats[st + 1]) == 0)
                {
                    st += 3;
                    k++;
                    if (k > 63)
                    {
                        return false; // spectral overflow
                    }
                }

                if (!DecodeAcValue(f, ref d, tbl, k, st, ref fixedBin, out int v))
                {
                    return false;
                }

                block[k] = unchecked((short)v);
            }
        }

        return true;
    }

    private static bool DecodeDcFirstMcu(FrameState f, ref ArithmeticDecoder d, scoped Span<int> offsets, scoped Span<int> lastDc, scoped Span<int> dcContext, ref byte fixedBin)
    {
        _ = fixedBin;
        for (int b = 0; b < f.BlocksInMcu; b++)
        {
            int ci = f.BlockComp[b];
            var comp = f.ScanComponents[ci];
            if (!DecodeDcDiff(f, ref d, comp.DcTable, ref dcContext[ci], out int diff))
            {
                return false;
            }

            lastDc[ci] = (lastDc[ci] + diff) & 0xFFFF;
            comp.Coefs[offsets[b]] = unchecked((short)(lastDc[ci] << f.Al));
        }

        return true;
    }

    private static bool DecodeAcFirstMcu(FrameState f, ref ArithmeticDecoder d, int offset, ref byte fixedBin)
    {
        var comp = f.ScanComponents[0];
        var block = comp.Coefs.AsSpan(offset, 64);
        int tbl = comp.AcTable;
        var stats = f.AcStats[tbl];
        int se = f.Se;
        for (int k = f.Ss; k <= se; k++)
        {
            int st = 3 * (k - 1);
            if (d.Decode(ref stats[st]) != 0)
            {
                break; // EOB
            }

            while (d.Decode(ref stats[st + 1]) == 0)
            {
                st += 3;
                k++;
                if (k > se)
                {
                    return false; // spectral overflow
                }
            }

            if (!DecodeAcValue(f, ref d, tbl, k, st, ref fixedBin, out int v))
            {
                return false;
            }

            block[k] = unchecked((short)(int)((uint)v << f.Al));
        }

        return true;
    }

    private static bool DecodeAcRefineMcu(FrameState f, ref ArithmeticDecoder d, int offset, ref byte fixedBin)
    {
        var comp = f.ScanComponents[0];
        var block = comp.Coefs.AsSpan(offset, 64);
        var stats = f.AcStats[comp.AcTable];
        int se = f.Se;
        int p1 = 1 << f.Al;
        int m1 = -1 << f.Al;

        // kex: the end of the band as already known from earlier scans (last nonzero coefficient).
        int kex = se;
        for (; kex > 0; kex--)
        {
            if (block[kex] != 0)
            {
                break;
            }
        }

        for (int k = f.Ss; k <= se; k++)
        {
            int st = 3 * (k - 1);
            if (k > kex && d.Decode(ref stats[st]) != 0)
            {
                break; // EOB
            }

            while (true)
            {
                ref short coef = ref block[k];
                if (coef != 0)
                {
                    if (d.Decode(ref stats[st + 2]) != 0)
                    {
                        coef = unchecked((short)(coef < 0 ? coef + m1 : coef + p1));
                    }

                    break;
                }

                if (d.Decode(ref stats[st + 1]) != 0)
                {
                    coef = (short)(d.Decode(ref fixedBin) != 0 ? m1 : p1);
                    break;
                }

                st += 3;
                k++;
                if (k > se)
                {
                    return false; // spectral overflow
                }
            }
        }

        return true;
    }
}
