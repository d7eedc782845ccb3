namespace Microsoft.ML.Pcr.Jpeg.Encoder;

/// <summary>
/// The frame jpegtran writes for an input: what libjpeg-turbo's default_decompress_parms,
/// jpeg_copy_critical_parameters, jpeg_set_colorspace and transupp's single-component rule
/// decide. Computed once per image; holds no coefficients.
/// </summary>
internal sealed class JpegOutputFrame
{
    /// <summary>Components of the output, frame-header order.</summary>
    public required OutputComponent[] Components { get; init; }

    /// <summary>The colour space libjpeg-turbo guesses for the input (and keeps for the output).</summary>
    public JpegColorSpace ColorSpace { get; init; }

    /// <summary>Whether a JFIF APP0 marker is written (grayscale and YCbCr only).</summary>
    public bool WriteJfif { get; init; }

    /// <summary>JFIF version written: the input's when its major version is 1, else 1.01.</summary>
    public byte JfifMajor { get; init; } = 1;

    /// <summary>JFIF minor version written.</summary>
    public byte JfifMinor { get; init; } = 1;

    /// <summary>JFIF density unit written (the input's if it had JFIF, else 0).</summary>
    public byte DensityUnit { get; init; }

    /// <summary>JFIF horizontal density written (the input's if it had JFIF, else 1).</summary>
    public ushort XDensity { get; init; } = 1;

    /// <summary>JFIF vertical density written (the input's if it had JFIF, else 1).</summary>
    public ushort YDensity { get; init; } = 1;

    /// <summary>Whether an Adobe APP14 marker is written (RGB, CMYK, YCCK).</summary>
    public bool WriteAdobe { get; init; }

    /// <summary>The Adobe transform byte written: 2 for YCCK, 1 for YCbCr, else 0.</summary>
    public byte AdobeTransform => ColorSpace switch
    {
        JpegColorSpace.Ycck => 2,
        JpegColorSpace.YCbCr => 1,
        _ => 0,
    };

    /// <summary>Largest horizontal sampling factor of the output components.</summary>
    public int MaxHSamp { get; init; }

    /// <summary>Largest vertical sampling factor of the output components.</summary>
    public int MaxVSamp { get; init; }

    /// <summary>Interleaved MCUs per row: ceil(width / (8 * MaxHSamp)).</summary>
    public int McusPerRow { get; init; }

    /// <summary>Interleaved MCU rows: ceil(height / (8 * MaxVSamp)).</summary>
    public int McuRows { get; init; }

    /// <summary>Decides the output frame for <paramref name="image"/> as jpegtran does.</summary>
    public static JpegOutputFrame For(JpegCoefficientImage image)
    {
        var input = image.Components;
        int n = input.Length;
        if (n < 1 || n > 4)
        {
            // libjpeg-turbo's SOS reader only matches the first 4 frame components, so jpegtran
            // cannot read (and we do not write) frames with more.
            throw new PcrFormatException($"a JPEG frame with {n} components cannot be transcoded (1..4)");
        }

        if (image.Width < 1 || image.Height < 1 || image.Width > 65535 || image.Height > 65535)
        {
            throw new PcrFormatException($"JPEG size {image.Width}x{image.Height} is out of range");
        }

        JpegColorSpace space = image.ColorSpace; // decided by the reader, as libjpeg-turbo's default_decompress_parms does

        // jpeg_set_colorspace assigns Huffman tables: 0 for luminance-like components, 1 for chroma.
        // jpeg_copy_critical_parameters then overwrites ids, sampling and quant slots (not tables).
        var comps = new OutputComponent[n];
        int maxH = 1, maxV = 1;
        for (int i = 0; i < n; i++)
        {
            var c = input[i];
            int table = space switch
            {
                JpegColorSpace.YCbCr => i == 0 ? 0 : 1,
                JpegColorSpace.Ycck => i is 1 or 2 ? 1 : 0,
                _ => 0,
            };

            // transupp forces 1x1 sampling for single-component sources.
            int h = n == 1 ? 1 : c.HSamp, v = n == 1 ? 1 : c.VSamp;
            if (h < 1 || h > 4 || v < 1 || v > 4)
            {
                throw new PcrFormatException($"component {i} has sampling factors {c.HSamp}x{c.VSamp}");
            }

            comps[i] = new OutputComponent(i, c, h, v, table);
            maxH = Math.Max(maxH, h);
            maxV = Math.Max(maxV, v);
        }

        foreach (var oc in comps)
        {
            oc.SetGeometry(image.Width, image.Height, maxH, maxV);
        }

        bool jfifVersion = image.SawJfif && image.JfifMajor == 1;
        return new JpegOutputFrame
        {
            Components = comps,
            ColorSpace = space,
            WriteJfif = space is JpegColorSpace.Grayscale or JpegColorSpace.YCbCr,
            WriteAdobe = space is JpegColorSpace.Rgb or JpegColorSpace.Cmyk or JpegColorSpace.Ycck,
            JfifMajor = jfifVersion ? image.JfifMajor : (byte)1,
            JfifMinor = jfifVersion ? image.JfifMinor : (byte)1,
            DensityUnit = image.SawJfif ? image.DensityUnit : (byte)0,
            XDensity = image.SawJfif ? image.XDensity : (ushort)1,
            YDensity = image.SawJfif ? image.YDensity : (ushort)1,
            MaxHSamp = maxH,
            MaxVSamp = maxV,
            McusPerRow = DivRoundUp(image.Width, 8 * maxH),
            McuRows = DivRoundUp(image.Height, 8 * maxV),
        };
    }

    internal static int DivRoundUp(int a, int b) => (a + b - 1) / b;
}

/// <summary>One output component: the input component it reads plus what jpegtran assigns to it.</summary>
internal sealed class OutputComponent
{
    internal OutputComponent(int index, JpegComponent source, int h, int v, int huffTable)
    {
        Index = index;
        Source = source;
        HSamp = h;
        VSamp = v;
        HuffTable = huffTable;
    }

    /// <summary>Position in the frame header.</summary>
    public int Index { get; }

    /// <summary>The input component whose coefficients are written.</summary>
    public JpegComponent Source { get; }

    /// <summary>Output horizontal sampling factor.</summary>
    public int HSamp { get; }

    /// <summary>Output vertical sampling factor.</summary>
    public int VSamp { get; }

    /// <summary>DC and AC Huffman table number (libjpeg uses the same number for both).</summary>
    public int HuffTable { get; }

    /// <summary>Blocks per row that carry data (libjpeg's width_in_blocks for the output sampling).</summary>
    public int WidthInBlocks { get; private set; }

    /// <summary>Block rows that carry data (libjpeg's height_in_blocks).</summary>
    public int HeightInBlocks { get; private set; }

    /// <summary>Blocks of the last MCU column in an interleaved scan (libjpeg's last_col_width).</summary>
    public int LastColWidth { get; private set; }

    /// <summary>Block rows of the last MCU row in an interleaved scan (libjpeg's last_row_height).</summary>
    public int LastRowHeight { get; private set; }

    internal void SetGeometry(int width, int height, int maxH, int maxV)
    {
        WidthInBlocks = JpegOutputFrame.DivRoundUp(width * HSamp, maxH * 8);
        HeightInBlocks = JpegOutputFrame.DivRoundUp(height * VSamp, maxV * 8);
        var s = Source;
        if (WidthInBlocks > s.BlocksPerRow || HeightInBlocks > s.BlockRows
            || s.AllocatedRows > s.BlockRows || s.Coefficients.Length < s.BlocksPerRow * s.AllocatedRows * 64)
        {
            throw new PcrFormatException($"component {Index} holds {s.BlocksPerRow}x{s.BlockRows} blocks, fewer than its {WidthInBlocks}x{HeightInBlocks}");
        }

        int t = WidthInBlocks % HSamp;
        LastColWidth = t == 0 ? HSamp : t;
        t = HeightInBlocks % VSamp;
        LastRowHeight = t == 0 ? VSamp : t;
    }
}
