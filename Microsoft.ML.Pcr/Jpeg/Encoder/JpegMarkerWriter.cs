namespace Microsoft.ML.Pcr.Jpeg.Encoder;

/// <summary>
/// Writes the marker segments of jpegtran's output as libjpeg's jcmarker.c does: SOI, JFIF
/// APP0 and/or Adobe APP14, one DQT per distinct table, SOF2, a DHT per table a scan uses,
/// SOS, EOI.
/// </summary>
internal static class JpegMarkerWriter
{
    private const int Soi = JpegMarkers.SOI, Eoi = JpegMarkers.EOI, Sof2 = JpegMarkers.SOF2, Dht = JpegMarkers.DHT, Dqt = JpegMarkers.DQT, Sos = JpegMarkers.SOS, App0 = JpegMarkers.APP0, App14 = JpegMarkers.APP14;

    /// <summary>SOI followed by the JFIF and Adobe markers the output colour space calls for.</summary>
    public static void WriteFileHeader(JpegBitWriter w, JpegOutputFrame frame)
    {
        w.WriteMarker(Soi);
        if (frame.WriteJfif)
        {
            w.WriteMarker(App0);
            w.WriteUInt16(16);
            w.WriteByte('J');
            w.WriteByte('F');
            w.WriteByte('I');
            w.WriteByte('F');
            w.WriteByte(0);
            w.WriteByte(frame.JfifMajor);
            w.WriteByte(frame.JfifMinor);
            w.WriteByte(frame.DensityUnit);
            w.WriteUInt16(frame.XDensity);
            w.WriteUInt16(frame.YDensity);
            w.WriteByte(0); // no thumbnail
            w.WriteByte(0);
        }

        if (frame.WriteAdobe)
        {
            w.WriteMarker(App14);
            w.WriteUInt16(14);
            w.WriteByte('A');
            w.WriteByte('d');
            w.WriteByte('o');
            w.WriteByte('b');
            w.WriteByte('e');
            w.WriteUInt16(100); // version
            w.WriteUInt16(0);   // flags0
            w.WriteUInt16(0);   // flags1
            w.WriteByte(frame.AdobeTransform);
        }
    }

    /// <summary>
    /// DQT for each component's table in component order, each slot once (16-bit precision when
    /// any entry exceeds 255), then the SOF2 frame header.
    /// </summary>
    public static void WriteFrameHeader(JpegBitWriter w, JpegCoefficientImage image, JpegOutputFrame frame)
    {
        int sent = 0;
        foreach (var c in frame.Components)
        {
            int slot = c.Source.QuantTableSlot;
            if ((uint)slot > 3)
            {
                throw new PcrFormatException($"quantization table slot {slot} is out of range");
            }

            if ((sent & (1 << slot)) != 0)
            {
                continue;
            }

            sent |= 1 << slot;
            var q = image.QuantTables[slot] ?? c.Source.QuantTable;
            if (q is null || q.Length < 64)
            {
                throw new PcrFormatException($"quantization table {slot} is not defined");
            }

            bool wide = false;
            for (int i = 0; i < 64; i++)
            {
                wide |= q[i] > 255;
            }

            w.WriteMarker(Dqt);
            w.WriteUInt16(wide ? 131 : 67);
            w.WriteByte(slot | (wide ? 0x10 : 0));
            for (int i = 0; i < 64; i++)
            {
                // Zigzag order, as DQT wants and the model keeps.
                if (wide)
                {
                    w.WriteByte(q[i] >> 8);
                }

                w.WriteByte(q[i] & 0xFF);
            }
        }

        w.WriteMarker(Sof2);
        w.WriteUInt16(8 + (3 * frame.Components.Length));
        w.WriteByte(8); // data precision
        w.WriteUInt16(image.Height);
        w.WriteUInt16(image.Width);
        w.WriteByte(frame.Components.Length);
        foreach (var c in frame.Components)
        {
            w.WriteByte(c.Source.Id);
            w.WriteByte((c.HSamp << 4) | c.VSamp);
            w.WriteByte(c.Source.QuantTableSlot);
        }
    }

    /// <summary>One DHT segment holding one table (<paramref name="tableClassAndId"/>: 0x00-0x03 DC, 0x10-0x13 AC).</summary>
    public static void WriteHuffmanTable(JpegBitWriter w, int tableClassAndId, HuffmanCodeTable table)
    {
        w.WriteMarker(Dht);
        w.WriteUInt16(2 + 1 + 16 + table.Count);
        w.WriteByte(tableClassAndId);
        for (int l = 1; l <= 16; l++)
        {
            w.WriteByte(table.Bits[l]);
        }

        for (int i = 0; i < table.Count; i++)
        {
            w.WriteByte(table.Values[i]);
        }
    }

    /// <summary>The SOS header of <paramref name="scan"/>; table selectors are 0 where the scan needs no table.</summary>
    public static void WriteScanHeader(JpegBitWriter w, JpegOutputFrame frame, in ScanSpec scan)
    {
        var comps = scan.Components;
        w.WriteMarker(Sos);
        w.WriteUInt16(6 + (2 * comps.Length));
        w.WriteByte(comps.Length);
        foreach (int ci in comps)
        {
            var c = frame.Components[ci];
            int td = scan.Ss == 0 && scan.Ah == 0 ? c.HuffTable : 0;
            int ta = scan.Se != 0 ? c.HuffTable : 0;
            w.WriteByte(c.Source.Id);
            w.WriteByte((td << 4) | ta);
        }

        w.WriteByte(scan.Ss);
        w.WriteByte(scan.Se);
        w.WriteByte((scan.Ah << 4) | scan.Al);
    }

    /// <summary>The EOI marker.</summary>
    public static void WriteEndOfImage(JpegBitWriter w) => w.WriteMarker(Eoi);
}
