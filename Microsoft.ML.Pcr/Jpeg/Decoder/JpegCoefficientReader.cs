namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>
/// Reads a JPEG into its quantized DCT coefficients, the reading half of a lossless transcode that
/// must match <c>jpegtran</c> (libjpeg-turbo 2.1.5) byte for byte: it follows jpeg_read_coefficients
/// through markers and scans, including libjpeg's recovery from truncated or damaged entropy data.
/// </summary>
/// <remarks>
/// Refused with <see cref="PcrFormatException"/>: components referencing undefined quantization
/// tables or undefined Huffman tables (except that, as libjpeg-turbo, a sequential Huffman file gets
/// the standard tables in DC/AC slots 0 and 1 when it defines none there before its first scan),
/// a quantization slot redefined after a component latched it (jpegtran fails there too), more
/// than 4 components, and more than <see cref="MaxScans"/> scans. A Huffman code that matches no
/// table entry is handled as libjpeg does: a warning, and the symbol decodes as 0.
/// </remarks>
internal static class JpegCoefficientReader
{
    /// <summary>More scans than this are refused: no real encoder writes them, and each scan walks the whole image.</summary>
    public const int MaxScans = 1000;

    /// <summary>Reads a JPEG into quantized DCT coefficients.</summary>
    /// <param name="jpeg">The whole JPEG file.</param>
    /// <param name="maxPixels">Largest width x height accepted; checked before anything large is allocated.</param>
    /// <param name="sourceName">Name of the file for error messages, or null.</param>
    /// <param name="refuseDataLoss">
    /// Whether to stop at the first sign of lost coefficients (truncated or corrupt entropy-coded data) with a
    /// <see cref="PcrFormatException"/>, instead of filling them with zeros and warning as libjpeg does.
    /// </param>
    /// <param name="skip">Scans it accepts are passed over undecoded (for a pixel decoder that does not use their coefficients); null decodes every scan.</param>
    /// <returns>The coefficients; dispose it to return its pooled arrays.</returns>
    /// <exception cref="PcrFormatException">The data is not a JPEG this reader (and jpegtran) can transcode.</exception>
    public static JpegCoefficientImage Read(ReadOnlySpan<byte> jpeg, long maxPixels, string? sourceName, bool refuseDataLoss = false, ScanSkipFilter? skip = null)
    {
        var f = FrameState.Rent();
        var warningList = new List<string>();
        var warnings = new JpegWarnings(warningList, refuseDataLoss ? sourceName ?? string.Empty : null);
        var m = new JpegMarkerReader(jpeg, sourceName);
        int frameMarker = 0;
        bool allocated = false;
        try
        {
            m.ReadFirstMarker();
            int scans = 0;
            while (true)
            {
                int marker = m.UnreadMarker;
                m.UnreadMarker = 0;
                if (marker == 0)
                {
                    marker = m.NextMarker(out int discarded);
                    if (discarded != 0)
                    {
                        warnings.Add(JpegWarnings.ExtraneousBytes);
                    }
                }

                int markerPos = m.Position - 2;
                switch (marker)
                {
                    case JpegMarkers.SOI:
                        throw m.Fail("a second SOI marker", markerPos);
                    case JpegMarkers.SOF0 or JpegMarkers.SOF1 or JpegMarkers.SOF2 or JpegMarkers.SOF9 or JpegMarkers.SOF10:
                        JpegHeaderParser.ReadSof(f, ref m, marker, maxPixels);
                        frameMarker = marker;
                        break;
                    case JpegMarkers.SOF3 or JpegMarkers.SOF7 or JpegMarkers.SOF11 or JpegMarkers.SOF15:
                        throw m.Fail($"lossless JPEG (SOF marker 0x{marker:X2}) is not supported", markerPos);
                    case JpegMarkers.SOF5 or JpegMarkers.SOF6 or JpegMarkers.SOF13 or JpegMarkers.SOF14:
                        throw m.Fail($"hierarchical (differential) JPEG (SOF marker 0x{marker:X2}) is not supported", markerPos);
                    case JpegMarkers.JPG:
                        throw m.Fail("reserved JPG marker 0xC8 is not supported", markerPos);
                    case JpegMarkers.SOS:
                        if (++scans > MaxScans)
                        {
                            throw m.Fail($"more than {MaxScans} scans", markerPos);
                        }

                        JpegHeaderParser.ReadSos(f, ref m);
                        if (!allocated)
                        {
                            // What jpeg_read_coefficients sets up once the first SOS is read.
                            AllocateCoefficients(f, jpeg.Length - m.Position);
                            allocated = true;
                            if (!f.Progressive && !f.Arithmetic)
                            {
                                StandardHuffmanTables.FillMissing(f);
                            }
                        }

                        if (skip is not null && skip(f))
                        {
                            m.Position = JpegMarkers.EntropyDataEnd(jpeg, m.Position);
                        }
                        else if (f.Arithmetic)
                        {
                            ArithmeticScanDecoder.DecodeScan(f, ref m, warnings);
                        }
                        else
                        {
                            HuffmanScanDecoder.DecodeScan(f, ref m, warnings);
                        }

                        break;
                    case JpegMarkers.EOI:
                        if (scans == 0)
                        {
                            throw m.Fail(m.HitEnd ? "the data ends before the first scan" : "no image: EOI before the first scan", markerPos);
                        }

                        if (m.HitEnd)
                        {
                            warnings.Add(JpegWarnings.PrematureEndOfFile);
                        }

                        return BuildImage(f, frameMarker, warningList, ref m);
                    case JpegMarkers.DAC:
                        JpegHeaderParser.ReadDac(f, ref m);
                        break;
                    case JpegMarkers.DHT:
                        JpegHeaderParser.ReadDht(f, ref m);
                        break;
                    case JpegMarkers.DQT:
                        JpegHeaderParser.ReadDqt(f, ref m);
                        break;
                    case JpegMarkers.DRI:
                        JpegHeaderParser.ReadDri(f, ref m);
                        break;
                    case JpegMarkers.APP0 or JpegMarkers.APP14:
                        JpegHeaderParser.ReadInterestingApp(f, ref m, marker, warnings);
                        break;
                    case (>= JpegMarkers.APP1 and <= JpegMarkers.APP15) or JpegMarkers.COM or JpegMarkers.DNL:
                        // Other APPn, COM and DNL: skipped by length.
                        JpegHeaderParser.SkipSegment(ref m);
                        break;
                    case (>= JpegMarkers.RST0 and <= JpegMarkers.RST7) or JpegMarkers.TEM:
                        // Stray RSTn and TEM carry no parameters.
                        break;
                    default:
                        throw m.Fail($"unknown or unsupported marker 0x{marker:X2}", markerPos);
                }
            }
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or NullReferenceException or InvalidCastException)
        {
            // A safety net only: every length and index is checked, so this means a bug, reported as bad data.
            ReturnArrays(f);
            throw new PcrFormatException($"corrupt JPEG data ({e.GetType().Name})", file: sourceName, position: m.Position, inner: e);
        }
        catch
        {
            ReturnArrays(f);
            throw;
        }
        finally
        {
            FrameState.Return(f);
        }
    }

    /// <summary>
    /// Allocates the block rows the rest of the file can plausibly describe; the scans grow the arrays when they reach
    /// further (<see cref="FrameState.EnsureMcuRow"/>), so what the header declares is never allocated up front.
    /// </summary>
    /// <remarks>
    /// The guess is one byte per block. Photos spend more (a 640x480 photo at quality 90 about 8 bytes per block), so
    /// for them this is the whole image at once, as libjpeg allocates it, and growth never copies. A forged header met
    /// with a few bytes of data gets a few rows: the scans cannot reach further than their data, as a sequential
    /// Huffman block costs at least 2 bits (a DC code and an EOB) and a progressive DC block at least 1. Flat images,
    /// arithmetic coding and end-of-band runs can describe blocks in less than a byte: for them the arrays grow as the
    /// scans reach further rows (at least doubling), which costs a copy, never correctness.
    /// </remarks>
    private static void AllocateCoefficients(FrameState f, int remainingBytes)
    {
        long plausibleBlocks = Math.Max(remainingBytes, 1);
        for (int i = 0; i < f.ComponentCount; i++)
        {
            var c = f.Components[i];
            long rows = (plausibleBlocks + c.BlocksPerRow - 1) / c.BlocksPerRow;
            c.AllocateRows((int)Math.Min(rows, c.BlockRows));
        }
    }

    private static void ReturnArrays(FrameState f)
    {
        for (int i = 0; i < f.ComponentCount; i++)
        {
            f.Components[i].ReturnCoefficients();
        }
    }

    private static JpegCoefficientImage BuildImage(FrameState f, int frameMarker, List<string> warnings, ref JpegMarkerReader m)
    {
        // jpegtran copies the quantization slots as they stand at the end and requires each component's
        // latched table to equal its slot (JERR_MISMATCHED_QUANT_TABLE); components no scan reached use the slot.
        for (int i = 0; i < f.ComponentCount; i++)
        {
            var c = f.Components[i];
            if (!f.QuantDefined[c.QuantSlot])
            {
                throw m.Fail($"component {i} uses quantization table {c.QuantSlot}, which is not defined");
            }

            if (c.LatchedQuant is not null && !c.LatchedQuant.AsSpan().SequenceEqual(f.Quant[c.QuantSlot]))
            {
                throw m.Fail($"quantization table {c.QuantSlot} was redefined after component {i} used it (jpegtran cannot transcode this)");
            }
        }

        Span<byte> ids = stackalloc byte[4];
        for (int i = 0; i < f.ComponentCount; i++)
        {
            ids[i] = f.Components[i].Id;
        }

        var colorSpace = JpegColorSpaceRules.Decide(ids[..f.ComponentCount], f.SawJfif, f.SawAdobe, f.AdobeTransform, out bool oddTransform);
        if (oddTransform)
        {
            warnings.Add($"Unknown Adobe color transform code {f.AdobeTransform}");
        }

        var components = new JpegComponent[f.ComponentCount];
        var image = new JpegCoefficientImage
        {
            Width = f.Width,
            Height = f.Height,
            MaxHSamp = f.MaxH,
            MaxVSamp = f.MaxV,
            FrameMarker = (byte)frameMarker,
            Components = components,
            SawJfif = f.SawJfif,
            JfifMajor = f.JfifMajor,
            JfifMinor = f.JfifMinor,
            DensityUnit = f.DensityUnit,
            XDensity = f.XDensity,
            YDensity = f.YDensity,
            SawAdobe = f.SawAdobe,
            AdobeTransform = f.AdobeTransform,
            RestartInterval = f.RestartInterval,
            ColorSpace = colorSpace,
        };

        for (int slot = 0; slot < 4; slot++)
        {
            image.QuantTables[slot] = f.QuantDefined[slot] ? (ushort[])f.Quant[slot].Clone() : null;
        }

        for (int i = 0; i < f.ComponentCount; i++)
        {
            var c = f.Components[i];
            components[i] = new JpegComponent
            {
                Id = c.Id,
                HSamp = c.H,
                VSamp = c.V,
                QuantTableSlot = c.QuantSlot,
                WidthInBlocks = c.WidthInBlocks,
                HeightInBlocks = c.HeightInBlocks,
                BlocksPerRow = c.BlocksPerRow,
                BlockRows = c.BlockRows,
                AllocatedRows = c.AllocatedRows,
                Coefficients = c.Coefs,
                QuantTable = image.QuantTables[c.QuantSlot]!,
                SpectralBands = c.SpectralBands,
            };
            c.Coefs = [];
            c.AllocatedRows = 0;
        }

        image.Warnings.AddRange(warnings);
        return image;
    }
}
