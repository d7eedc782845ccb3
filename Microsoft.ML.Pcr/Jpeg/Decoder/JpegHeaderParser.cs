namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// Parses the marker segments before and between scans (jdmarker.c's get_sof, get_sos, get_dht,
/// get_dqt, get_dac, get_dri and get_interesting_appn) into a <see cref="FrameState"/>, with libjpeg's
/// validity checks. Every length is checked against the data before it is used.
/// </summary>
internal static class JpegHeaderParser
{
    /// <summary>libjpeg's JPEG_MAX_DIMENSION.</summary>
    public const int MaxDimension = 65500;

    /// <summary>Parses SOFn (the marker already read), checking the frame and <paramref name="maxPixels"/> before anything is allocated.</summary>
    public static void ReadSof(FrameState f, ref JpegMarkerReader m, int marker, long maxPixels)
    {
        int start = m.Position - 2;
        int length = m.ReadUInt16();
        int precision = m.ReadByte();
        int height = m.ReadUInt16();
        int width = m.ReadUInt16();
        int count = m.ReadByte();
        if (f.ComponentCount != 0)
        {
            throw m.Fail("more than one SOF marker", start);
        }

        if (width == 0 || height == 0 || count == 0)
        {
            throw m.Fail($"empty image: the frame header declares {width}x{height} pixels and {count} components", start);
        }

        if (length - 8 != count * 3)
        {
            throw m.Fail("SOF marker length does not match its component count", start);
        }

        if (precision != 8)
        {
            throw m.Fail($"unsupported sample precision {precision} bits (only 8-bit JPEGs are supported)", start);
        }

        if (count > 4)
        {
            throw m.Fail($"unsupported component count {count} (1 to 4 are supported)", start);
        }

        if (width > MaxDimension || height > MaxDimension)
        {
            throw m.Fail($"image dimensions {width}x{height} exceed the JPEG maximum of {MaxDimension}", start);
        }

        if ((long)width * height > maxPixels)
        {
            throw m.Fail($"image of {width}x{height} pixels exceeds the limit of {maxPixels} pixels", start);
        }

        f.Width = width;
        f.Height = height;
        f.MaxH = 1;
        f.MaxV = 1;
        for (int i = 0; i < count; i++)
        {
            var c = f.Components[i];
            c.Index = i;
            c.Id = (byte)m.ReadByte();
            int samp = m.ReadByte();
            c.H = samp >> 4;
            c.V = samp & 15;
            c.QuantSlot = m.ReadByte();
            c.Coefs = [];
            c.AllocatedRows = 0;
            c.LatchedQuant = null;
            c.SpectralBands = 0;
            if (c.H < 1 || c.H > 4 || c.V < 1 || c.V > 4)
            {
                throw m.Fail($"bad sampling factors {c.H}x{c.V} for component {i} (1 to 4 are allowed)", start);
            }

            if (c.QuantSlot > 3)
            {
                throw m.Fail($"component {i} names quantization table {c.QuantSlot} (0 to 3 exist)", start);
            }

            f.MaxH = Math.Max(f.MaxH, c.H);
            f.MaxV = Math.Max(f.MaxV, c.V);
        }

        f.ComponentCount = count;
        f.Progressive = marker is JpegMarkers.SOF2 or JpegMarkers.SOF10;
        f.Arithmetic = marker is JpegMarkers.SOF9 or JpegMarkers.SOF10;

        for (int i = 0; i < count; i++)
        {
            // libjpeg's jdinput.c initial_setup and the padded whole-image arrays of jdcoefct.c.
            var c = f.Components[i];
            c.WidthInBlocks = CeilDiv((long)width * c.H, f.MaxH * 8);
            c.HeightInBlocks = CeilDiv((long)height * c.V, f.MaxV * 8);
            c.BlocksPerRow = CeilDiv(c.WidthInBlocks, c.H) * c.H;
            c.BlockRows = CeilDiv(c.HeightInBlocks, c.V) * c.V;
            long coefficients = (long)c.BlocksPerRow * c.BlockRows * 64;
            if (coefficients > Array.MaxLength)
            {
                throw m.Fail($"image of {width}x{height} pixels needs too much coefficient memory", start);
            }
        }
    }

    /// <summary>Parses SOS into the current scan of <paramref name="f"/> (libjpeg's get_sos, including its component matching).</summary>
    public static void ReadSos(FrameState f, ref JpegMarkerReader m)
    {
        int start = m.Position - 2;
        if (f.ComponentCount == 0)
        {
            throw m.Fail("SOS marker before any SOF marker", start);
        }

        int length = m.ReadUInt16();
        int n = m.ReadByte();
        if (length != (n * 2) + 6 || n < 1 || n > 4)
        {
            throw m.Fail("bad SOS marker length or component count", start);
        }

        f.CompsInScan = n;
        Array.Clear(f.ScanComponents);
        for (int i = 0; i < n; i++)
        {
            int id = m.ReadByte();
            int tables = m.ReadByte();
            FrameComponent? found = null;

            // As jdmarker.c: the first frame component with this id whose slot is still free
            // (it indexes the scan list by frame index, which also rejects out-of-order scans).
            for (int ci = 0; ci < f.ComponentCount; ci++)
            {
                if (f.Components[ci].Id == id && f.ScanComponents[ci] is null)
                {
                    found = f.Components[ci];
                    break;
                }
            }

            if (found is null)
            {
                throw m.Fail($"SOS names component id {id}, which is not in the frame or repeats", start);
            }

            for (int pi = 0; pi < i; pi++)
            {
                if (ReferenceEquals(f.ScanComponents[pi], found))
                {
                    throw m.Fail($"SOS names component id {id} twice", start);
                }
            }

            f.ScanComponents[i] = found;
            found.DcTable = tables >> 4;
            found.AcTable = tables & 15;
        }

        f.Ss = m.ReadByte();
        f.Se = m.ReadByte();
        int a = m.ReadByte();
        f.Ah = a >> 4;
        f.Al = a & 15;

        if (f.Progressive)
        {
            // jdphuff.c / jdarith.c start_pass checks (JERR_BAD_PROGRESSION).
            bool bad = f.Ss == 0 ? f.Se != 0 : f.Ss > f.Se || f.Se > 63 || n != 1;
            bad |= f.Ah != 0 && f.Al != f.Ah - 1;
            bad |= f.Al > 13;
            if (bad)
            {
                throw m.Fail($"invalid progressive scan parameters Ss={f.Ss} Se={f.Se} Ah={f.Ah} Al={f.Al}", start);
            }
        }

        if (!f.SetUpScanLayout())
        {
            throw m.Fail("scan MCU holds more than 10 blocks", start);
        }

        // A sequential scan codes whole blocks whatever Ss and Se say; a progressive one its validated band.
        ulong band = f.Progressive ? (ulong.MaxValue >> (63 - f.Se)) & (ulong.MaxValue << f.Ss) : ulong.MaxValue;
        for (int i = 0; i < n; i++)
        {
            // libjpeg's latch_quant_tables: a component keeps the table in force at its first scan.
            var c = f.ScanComponents[i];
            c.SpectralBands |= band;
            if (c.LatchedQuant is null)
            {
                if (!f.QuantDefined[c.QuantSlot])
                {
                    throw m.Fail($"component {c.Index} uses quantization table {c.QuantSlot}, which is not defined", start);
                }

                c.LatchedQuant = (ushort[])f.Quant[c.QuantSlot].Clone();
            }
        }
    }

    /// <summary>Parses DHT (libjpeg's get_dht).</summary>
    public static void ReadDht(FrameState f, ref JpegMarkerReader m)
    {
        int start = m.Position - 2;
        int length = m.ReadUInt16() - 2;
        Span<byte> bits = stackalloc byte[17];
        while (length > 16)
        {
            int index = m.ReadByte();
            int count = 0;
            bits[0] = 0;
            for (int i = 1; i <= 16; i++)
            {
                bits[i] = (byte)m.ReadByte();
                count += bits[i];
            }

            length -= 17;
            if (count > 256 || count > length)
            {
                throw m.Fail("bad Huffman table definition: more symbols than the segment holds", start);
            }

            bool ac = (index & 0x10) != 0;
            int slot = ac ? index - 0x10 : index;
            if (slot < 0 || slot > 3)
            {
                throw m.Fail($"bad Huffman table index {index}", start);
            }

            var def = ac ? f.AcDefs[slot] : f.DcDefs[slot];
            bits.CopyTo(def.Bits);
            Array.Clear(def.Values);
            for (int i = 0; i < count; i++)
            {
                def.Values[i] = (byte)m.ReadByte();
            }

            length -= count;
            def.Defined = true;
            def.Version++;
        }

        if (length != 0)
        {
            throw m.Fail("bad DHT marker length", start);
        }
    }

    /// <summary>Parses DQT (libjpeg's get_dqt), 8- or 16-bit entries, kept in zigzag order.</summary>
    public static void ReadDqt(FrameState f, ref JpegMarkerReader m)
    {
        int start = m.Position - 2;
        int length = m.ReadUInt16() - 2;
        while (length > 0)
        {
            int n = m.ReadByte();
            int prec = n >> 4;
            n &= 15;
            if (n > 3)
            {
                throw m.Fail($"bad quantization table index {n}", start);
            }

            var q = f.Quant[n];
            for (int i = 0; i < 64; i++)
            {
                q[i] = (ushort)(prec != 0 ? m.ReadUInt16() : m.ReadByte());
            }

            f.QuantDefined[n] = true;
            length -= prec != 0 ? 129 : 65;
        }

        if (length != 0)
        {
            throw m.Fail("bad DQT marker length", start);
        }
    }

    /// <summary>Parses DAC (libjpeg's get_dac): arithmetic conditioning values.</summary>
    public static void ReadDac(FrameState f, ref JpegMarkerReader m)
    {
        int start = m.Position - 2;
        int length = m.ReadUInt16() - 2;
        while (length > 0)
        {
            int index = m.ReadByte();
            int val = m.ReadByte();
            length -= 2;
            if (index >= 2 * FrameState.ArithTables)
            {
                throw m.Fail($"bad arithmetic conditioning table index {index}", start);
            }

            if (index >= FrameState.ArithTables)
            {
                f.ArithAcK[index - FrameState.ArithTables] = (byte)val;
            }
            else
            {
                f.ArithDcL[index] = (byte)(val & 15);
                f.ArithDcU[index] = (byte)(val >> 4);
                if (f.ArithDcL[index] > f.ArithDcU[index])
                {
                    throw m.Fail($"bad arithmetic DC conditioning value {val}", start);
                }
            }
        }

        if (length != 0)
        {
            throw m.Fail("bad DAC marker length", start);
        }
    }

    /// <summary>Parses DRI (libjpeg's get_dri).</summary>
    public static void ReadDri(FrameState f, ref JpegMarkerReader m)
    {
        int start = m.Position - 2;
        if (m.ReadUInt16() != 4)
        {
            throw m.Fail("bad DRI marker length", start);
        }

        f.RestartInterval = m.ReadUInt16();
    }

    /// <summary>Skips a segment by its length (libjpeg's skip_variable: lengths below 2 skip nothing).</summary>
    public static void SkipSegment(ref JpegMarkerReader m)
    {
        int length = m.ReadUInt16() - 2;
        m.Skip(length);
    }

    /// <summary>
    /// Reads APP0 or APP14 as libjpeg's get_interesting_appn: looks at up to 14 bytes for a JFIF or Adobe
    /// header (examine_app0 / examine_app14) and skips the rest.
    /// </summary>
    public static void ReadInterestingApp(FrameState image, ref JpegMarkerReader m, int marker, JpegWarnings warnings)
    {
        int length = m.ReadUInt16() - 2;
        int toRead = Math.Clamp(length, 0, 14);
        Span<byte> b = stackalloc byte[14];
        for (int i = 0; i < toRead; i++)
        {
            b[i] = (byte)m.ReadByte();
        }

        if (marker == JpegMarkers.APP0)
        {
            if (toRead >= 14 && b[0] == 'J' && b[1] == 'F' && b[2] == 'I' && b[3] == 'F' && b[4] == 0)
            {
                image.SawJfif = true;
                image.JfifMajor = b[5];
                image.JfifMinor = b[6];
                image.DensityUnit = b[7];
                image.XDensity = (ushort)((b[8] << 8) | b[9]);
                image.YDensity = (ushort)((b[10] << 8) | b[11]);
                if (b[5] != 1)
                {
                    warnings.Add($"Warning: unknown JFIF revision number {b[5]}.{b[6]:D2}");
                }
            }
        }
        else if (toRead >= 12 && b[0] == 'A' && b[1] == 'd' && b[2] == 'o' && b[3] == 'b' && b[4] == 'e')
        {
            image.SawAdobe = true;
            image.AdobeTransform = b[11];
        }

        m.Skip(length - toRead);
    }

    private static int CeilDiv(long a, long b) => (int)((a + b - 1) / b);
}
