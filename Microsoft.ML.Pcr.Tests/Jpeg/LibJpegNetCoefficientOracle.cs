using System.Buffers;
using BitMiracle.LibJpeg.Classic;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>
/// TEST ORACLE, not product code: reads a JPEG's quantized coefficients with LibJpeg.NET
/// (jpeg_read_coefficients) into a <see cref="JpegCoefficientImage"/>, so the progressive writer
/// can be tested before our own coefficient decoder exists. Frame geometry, quantization tables
/// and the JFIF/Adobe evidence are parsed from the marker segments here (LibJpeg.NET does not
/// expose the tables and guesses colour spaces differently from libjpeg-turbo).
/// LibJpeg.NET cannot read arithmetic-coded files and mis-decodes progressive files with restart
/// intervals; callers use jpegtran's output of those as the coefficient source instead.
/// </summary>
internal static class LibJpegNetCoefficientOracle
{
    private static readonly int[] ZigzagToNatural =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    /// <summary>Reads <paramref name="jpeg"/>; the caller disposes the result.</summary>
    public static JpegCoefficientImage Read(byte[] jpeg)
    {
        var header = MarkerHeader.Parse(jpeg);
        var cinfo = new jpeg_decompress_struct(new jpeg_error_mgr());
        using var stream = new MemoryStream(jpeg, writable: false);
        cinfo.jpeg_stdio_src(stream);
        cinfo.jpeg_read_header(true);
        var arrays = cinfo.jpeg_read_coefficients();

        int maxH = header.Components.Max(c => c.H), maxV = header.Components.Max(c => c.V);
        var comps = new JpegComponent[header.Components.Count];
        for (int ci = 0; ci < comps.Length; ci++)
        {
            var hc = header.Components[ci];
            int wib = DivUp(DivUp(header.Width * hc.H, maxH), 8);
            int hib = DivUp(DivUp(header.Height * hc.V, maxV), 8);
            int bpr = DivUp(wib, hc.H) * hc.H, rows = DivUp(hib, hc.V) * hc.V;
            var coefficients = ArrayPool<short>.Shared.Rent(bpr * rows * 64);
            Array.Clear(coefficients);
            var array = arrays[ci];
            for (int r = 0; r < hib; r++)
            {
                var blocks = array.Access(r, 1)[0];
                for (int c = 0; c < wib; c++)
                {
                    var block = blocks[c];
                    int p = ((r * bpr) + c) * 64;
                    for (int k = 0; k < 64; k++)
                    {
                        coefficients[p + k] = block[ZigzagToNatural[k]];
                    }
                }
            }

            comps[ci] = new JpegComponent
            {
                Id = hc.Id,
                HSamp = hc.H,
                VSamp = hc.V,
                QuantTableSlot = hc.Tq,
                WidthInBlocks = wib,
                HeightInBlocks = hib,
                BlocksPerRow = bpr,
                BlockRows = rows,
                Coefficients = coefficients,
                QuantTable = header.QuantTables[hc.Tq] ?? [],
            };
        }

        var image = new JpegCoefficientImage
        {
            Width = header.Width,
            Height = header.Height,
            Components = comps,
            MaxHSamp = maxH,
            MaxVSamp = maxV,
            FrameMarker = header.FrameMarker,
            SawJfif = header.SawJfif,
            JfifMajor = header.JfifMajor,
            JfifMinor = header.JfifMinor,
            DensityUnit = header.DensityUnit,
            XDensity = header.XDensity,
            YDensity = header.YDensity,
            SawAdobe = header.SawAdobe,
            AdobeTransform = header.AdobeTransform,
        };
        for (int i = 0; i < 4; i++)
        {
            image.QuantTables[i] = header.QuantTables[i];
        }

        if (cinfo.Err.Num_warnings > 0)
        {
            image.Warnings.Add($"LibJpeg.NET reported {cinfo.Err.Num_warnings} warning(s)");
        }

        return image;
    }

    private static int DivUp(int a, int b) => (a + b - 1) / b;

    /// <summary>The marker segments before the first SOS, read as libjpeg-turbo's jdmarker.c reads them.</summary>
    private sealed class MarkerHeader
    {
        public int Width { get; private set; }

        public int Height { get; private set; }

        public byte FrameMarker { get; private set; }

        public List<(byte Id, int H, int V, int Tq)> Components { get; } = [];

        public ushort[]?[] QuantTables { get; } = new ushort[]?[4];

        public bool SawJfif { get; private set; }

        public byte JfifMajor { get; private set; }

        public byte JfifMinor { get; private set; }

        public byte DensityUnit { get; private set; }

        public ushort XDensity { get; private set; }

        public ushort YDensity { get; private set; }

        public bool SawAdobe { get; private set; }

        public byte AdobeTransform { get; private set; }

        public static MarkerHeader Parse(byte[] d)
        {
            var h = new MarkerHeader();
            if (d.Length < 4 || d[0] != 0xFF || d[1] != 0xD8)
            {
                throw new InvalidDataException("not a JPEG");
            }

            int p = 2;
            while (p < d.Length)
            {
                if (d[p] != 0xFF)
                {
                    p++; // libjpeg skips garbage before a marker (with a warning)
                    continue;
                }

                while (p < d.Length && d[p] == 0xFF)
                {
                    p++; // fill bytes
                }

                int m = d[p++];
                if (m == 0xDA || m == 0xD9)
                {
                    break;
                }

                if (m == 0x01 || (m >= 0xD0 && m <= 0xD7))
                {
                    continue;
                }

                int len = (d[p] << 8) | d[p + 1];
                var seg = d.AsSpan(p + 2, len - 2);
                p += len;
                if (m == 0xE0 && seg.Length >= 14 && seg[..5].SequenceEqual("JFIF\0"u8))
                {
                    h.SawJfif = true;
                    h.JfifMajor = seg[5];
                    h.JfifMinor = seg[6];
                    h.DensityUnit = seg[7];
                    h.XDensity = (ushort)((seg[8] << 8) | seg[9]);
                    h.YDensity = (ushort)((seg[10] << 8) | seg[11]);
                }
                else if (m == 0xEE && seg.Length >= 12 && seg[..5].SequenceEqual("Adobe"u8))
                {
                    h.SawAdobe = true;
                    h.AdobeTransform = seg[11];
                }
                else if (m == 0xDB)
                {
                    int q = 0;
                    while (q < seg.Length)
                    {
                        int pq = seg[q] >> 4, tq = seg[q] & 15;
                        q++;
                        var table = new ushort[64];
                        for (int i = 0; i < 64; i++)
                        {
                            table[i] = pq == 0 ? seg[q++] : (ushort)((seg[q++] << 8) | seg[q++]);
                        }

                        h.QuantTables[tq] = table; // zigzag order, as the file has it
                    }
                }
                else if (m is >= 0xC0 and <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC)
                {
                    h.FrameMarker = (byte)m;
                    h.Height = (seg[1] << 8) | seg[2];
                    h.Width = (seg[3] << 8) | seg[4];
                    int n = seg[5];
                    for (int i = 0; i < n; i++)
                    {
                        var c = seg.Slice(6 + (3 * i), 3);
                        h.Components.Add((c[0], c[1] >> 4, c[1] & 15, c[2]));
                    }
                }
            }

            return h;
        }
    }
}
