using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.Pcr.Jpeg.Decoder;

namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// Decodes JPEG bytes (baseline, extended or progressive; Huffman or arithmetic; PCR prefixes) into pixels at full
/// size or at a reduced DCT scale of 1/2, 1/4 or 1/8, with the output libjpeg-turbo 2.1 gives (as SkiaSharp decodes):
/// its integer inverse DCTs, its larger IDCTs for subsampled chroma at reduced scales, its fancy upsampling, its
/// block smoothing for incomplete progressive images and its colour conversion. An instance keeps its buffers
/// between images; it is not thread-safe, so use one per thread.
/// </summary>
[SkipLocalsInit]
public sealed class JpegPixelDecoder
{
    private readonly long _maxPixels;
    private readonly ScanProgression _progression = new();
    private readonly byte[][] _planes = [[], [], [], []];
    private readonly byte[][] _rows = [[], [], [], []];
    private readonly int[][] _quant = [new int[64], new int[64], new int[64], new int[64]];
    private readonly ComponentLayout[] _layout = new ComponentLayout[4];
    private readonly BlockSmoothing.Window _window = new();
    private readonly BlockRowTransform _rowTransform = new();
    private byte[] _bgra = [];
    private int _width, _height;

    /// <summary>Whether whole block rows go through <see cref="BlockRowTransform"/> where it applies (tests turn it off to
    /// compare with the per-block path).</summary>
    internal bool UseRowTransform { get; set; } = true;

    /// <summary>Creates a decoder.</summary>
    /// <param name="maxPixels">The largest width x height accepted (checked before anything large is allocated).</param>
    public JpegPixelDecoder(long maxPixels = JpegTranscoder.DefaultMaxPixels)
    {
        if (maxPixels < 1)
            throw new ArgumentOutOfRangeException(nameof(maxPixels), maxPixels, "The pixel limit must be at least 1.");
        _maxPixels = maxPixels;
    }

    /// <summary>The size a decode at 1/<paramref name="scaleDenominator"/> produces (libjpeg's output dimensions).</summary>
    /// <param name="width">The image width.</param>
    /// <param name="height">The image height.</param>
    /// <param name="scaleDenominator">1, 2, 4 or 8.</param>
    public static (int Width, int Height) ScaledSize(int width, int height, int scaleDenominator)
    {
        CheckScale(scaleDenominator);
        return ((int)(((long)width + scaleDenominator - 1) / scaleDenominator), (int)(((long)height + scaleDenominator - 1) / scaleDenominator));
    }

    /// <summary>
    /// Decodes <paramref name="jpeg"/> into <paramref name="chw"/>: the crop in <paramref name="options"/>, decoded at the
    /// smallest DCT scale that still has at least the tensor's resolution over the crop, mirrored if asked, resized
    /// bilinearly (pixel centres aligned) and normalised, as planes R, G, B of <c>Height x Width</c> floats.
    /// </summary>
    /// <param name="jpeg">The JPEG bytes.</param>
    /// <param name="chw">The tensor, at least <see cref="TensorDecodeOptions.TensorLength"/> floats.</param>
    /// <param name="options">Size, crop, flip and normalisation.</param>
    /// <exception cref="PcrFormatException">The bytes are not a JPEG this decoder reads, or are truncated.</exception>
    public void DecodeToTensor(ReadOnlySpan<byte> jpeg, Span<float> chw, in TensorDecodeOptions options)
    {
        if (options.Width < 1 || options.Height < 1)
            throw new ArgumentException("The options name no tensor size; create them with the width and height constructor.", nameof(options));
        if (chw.Length < options.TensorLength)
            throw new ArgumentException($"The tensor needs {options.TensorLength} floats; the span has {chw.Length}.", nameof(chw));
        if (!(options.StdDev.R > 0 && options.StdDev.G > 0 && options.StdDev.B > 0))
            throw new ArgumentException("Each standard deviation must be positive.", nameof(options));

        var (fullWidth, fullHeight) = ReadSize(jpeg, null);
        var (cx, cy, cw, ch) = ClipCrop(options.Crop, fullWidth, fullHeight);
        int denominator = 1;
        foreach (int d in (ReadOnlySpan<int>)[8, 4, 2])
        {
            if ((long)cw >= (long)options.Width * d && (long)ch >= (long)options.Height * d)
            {
                denominator = d;
                break;
            }
        }

        var pixels = DecodeBgra(jpeg, denominator, null, out int w, out int h);
        TensorSampler.Sample(pixels, w, h, (double)w / fullWidth, (double)h / fullHeight, cx, cy, cw, ch, chw, options);
    }

    /// <summary>
    /// Decodes to BGRA at the smallest of the scales 1/2, 1/4, 1/8 whose size is still at least
    /// <paramref name="minWidth"/> x <paramref name="minHeight"/> (full size when none is, or when neither is given),
    /// the rule <c>DecodeImages</c> follows.
    /// </summary>
    /// <param name="jpeg">The JPEG bytes.</param>
    /// <param name="minWidth">The smallest acceptable width, or null.</param>
    /// <param name="minHeight">The smallest acceptable height, or null.</param>
    /// <param name="width">The decoded width.</param>
    /// <param name="height">The decoded height.</param>
    /// <returns>The pixels, rows packed, in the decoder's buffer: valid until its next decode.</returns>
    /// <exception cref="PcrFormatException">The bytes are not a JPEG this decoder reads, or are truncated.</exception>
    public ReadOnlySpan<byte> DecodeToBgra(ReadOnlySpan<byte> jpeg, int? minWidth, int? minHeight, out int width, out int height)
    {
        int denominator = ChooseScaleDenominator(jpeg, minWidth, minHeight);
        return DecodeBgra(jpeg, denominator, null, out width, out height);
    }

    /// <summary>The scale denominator <see cref="DecodeToBgra"/> decodes at for these minimum sizes (1, 2, 4 or 8).</summary>
    internal int ChooseScaleDenominator(ReadOnlySpan<byte> jpeg, int? minWidth, int? minHeight)
    {
        int denominator = 1;
        if (minWidth is not null || minHeight is not null)
        {
            var (w, h) = ReadSize(jpeg, null);
            long best = (long)w * h;
            foreach (int d in (ReadOnlySpan<int>)[2, 4, 8])
            {
                var (sw, sh) = ScaledSize(w, h, d);
                if (sw < (minWidth ?? 1) || sh < (minHeight ?? 1))
                    break;

                // A scale that does not shrink the image (tiny images) is not taken, as Imaging.SkiaImageDecoder.ChooseSize does not.
                if ((long)sw * sh < best)
                {
                    best = (long)sw * sh;
                    denominator = d;
                }
            }
        }

        return denominator;
    }

    /// <summary>Decodes to BGRA (alpha 255) at 1/<paramref name="scaleDenominator"/>.</summary>
    /// <param name="jpeg">The JPEG bytes.</param>
    /// <param name="scaleDenominator">1, 2, 4 or 8.</param>
    /// <param name="sourceName">The file the bytes came from, for error messages, or null.</param>
    /// <param name="width">The decoded width (libjpeg's output width at that scale).</param>
    /// <param name="height">The decoded height.</param>
    /// <returns>The pixels, rows packed, in the decoder's buffer: valid until its next decode.</returns>
    /// <exception cref="PcrFormatException">The bytes are not a JPEG this decoder reads, or are truncated.</exception>
    public ReadOnlySpan<byte> DecodeBgra(ReadOnlySpan<byte> jpeg, int scaleDenominator, string? sourceName, out int width, out int height)
    {
        CheckScale(scaleDenominator);
        using var image = JpegCoefficientReader.Read(jpeg, _maxPixels, sourceName, skip: scaleDenominator == 8 ? s_dcOnlySkip : null);
        foreach (var warning in image.Warnings)
        {
            if (warning == JpegWarnings.PrematureEndOfFile)
            {
                // SkiaSharp reports such data as incomplete input, and DecodeImages refuses it.
                throw new PcrFormatException($"the JPEG of {image.Width}x{image.Height} is truncated", file: sourceName);
            }
        }

        if (image.ColorSpace == JpegColorSpace.Unknown || (image.Components.Length is not (1 or 3 or 4)))
            throw new PcrFormatException($"a JPEG with {image.Components.Length} components in an unknown colour space cannot be converted to RGB", file: sourceName);

        _progression.Read(jpeg);
        PlanLayout(image, scaleDenominator, sourceName);
        bool smooth = BlockSmoothing.Applies(image, _progression);
        for (int ci = 0; ci < image.Components.Length; ci++)
        {
            TransformComponent(image, ci, smooth);
        }

        ConvertRows(image);

        width = _width;
        height = _height;
        return _bgra.AsSpan(0, _width * _height * 4);
    }

    // At 1/8 a component whose IDCT stays 1x1 uses only its DC coefficient: a progressive AC scan of such components is
    // passed over undecoded. (At 1/4 and 1/2 libjpeg's reduced IDCTs read odd frequencies up to 7, so every band is used.)
    private static readonly ScanSkipFilter s_dcOnlySkip = static f =>
    {
        if (!f.Progressive || f.Ss == 0)
            return false;
        for (int i = 0; i < f.CompsInScan; i++)
        {
            var c = f.ScanComponents[i];
            if (f.MaxH % (2 * c.H) == 0 && f.MaxV % (2 * c.V) == 0)
                return false; // its IDCT is scaled up to 2x2 instead of upsampling
        }

        return true;
    };

    private static void CheckScale(int scaleDenominator)
    {
        if (scaleDenominator is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(scaleDenominator), scaleDenominator, "The scale denominator must be 1, 2, 4 or 8.");
    }

    private static (int X, int Y, int W, int H) ClipCrop((int X, int Y, int Width, int Height)? crop, int width, int height)
    {
        if (crop is not { } c)
            return (0, 0, width, height);
        int x0 = Math.Clamp(c.X, 0, width - 1), y0 = Math.Clamp(c.Y, 0, height - 1);
        int x1 = (int)Math.Clamp((long)c.X + c.Width, x0 + 1, width), y1 = (int)Math.Clamp((long)c.Y + c.Height, y0 + 1, height);
        return (x0, y0, x1 - x0, y1 - y0);
    }

    // The frame size from the SOF header, without decoding (the reader validates everything later).
    private (int Width, int Height) ReadSize(ReadOnlySpan<byte> jpeg, string? sourceName)
    {
        int pos = 2;
        while (pos + 9 < jpeg.Length)
        {
            if (jpeg[pos] != 0xFF)
                break;
            byte marker = jpeg[pos + 1];
            if (marker == 0xFF)
            {
                pos++;
                continue;
            }

            if (marker is 0xC0 or 0xC1 or 0xC2 or 0xC9 or 0xCA)
            {
                int height = (jpeg[pos + 5] << 8) | jpeg[pos + 6], width = (jpeg[pos + 7] << 8) | jpeg[pos + 8];
                if (width > 0 && height > 0)
                    return (width, height);
                break;
            }

            pos += 2 + ((jpeg[pos + 2] << 8) | jpeg[pos + 3]);
        }

        // Markers this quick walk does not follow (garbage between segments): the reader knows, or gives the precise error.
        using var image = JpegCoefficientReader.Read(jpeg, _maxPixels, sourceName);
        return (image.Width, image.Height);
    }

    private void PlanLayout(JpegCoefficientImage image, int scaleDenominator, string? sourceName)
    {
        int m = 8 / scaleDenominator;
        (_width, _height) = ScaledSize(image.Width, image.Height, scaleDenominator);
        int maxH = image.MaxHSamp, maxV = image.MaxVSamp;
        bool fancy = m > 1;
        int rowLength = 0;
        for (int ci = 0; ci < image.Components.Length; ci++)
        {
            var c = image.Components[ci];
            int s = m;
            while (s < 8 && (maxH * m) % (c.HSamp * s * 2) == 0 && (maxV * m) % (c.VSamp * s * 2) == 0)
            {
                s *= 2;
            }

            int dw = (int)((((long)image.Width * c.HSamp * s) + (maxH * 8) - 1) / (maxH * 8));
            int dh = (int)((((long)image.Height * c.VSamp * s) + (maxV * 8) - 1) / (maxV * 8));
            int hIn = c.HSamp * s / m, vIn = c.VSamp * s / m;
            UpsampleMethod method;
            if (hIn == maxH && vIn == maxV)
                method = UpsampleMethod.FullSize;
            else if (hIn * 2 == maxH && vIn == maxV)
                method = fancy && dw > 2 ? UpsampleMethod.FancyH2V1 : UpsampleMethod.Replicate;
            else if (hIn == maxH && vIn * 2 == maxV && fancy)
                method = UpsampleMethod.FancyH1V2;
            else if (hIn * 2 == maxH && vIn * 2 == maxV)
                method = fancy && dw > 2 ? UpsampleMethod.FancyH2V2 : UpsampleMethod.Replicate;
            else if (maxH % hIn == 0 && maxV % vIn == 0)
                method = UpsampleMethod.Replicate;
            else
                throw new PcrFormatException($"component {ci} has sampling factors {c.HSamp}x{c.VSamp} against {maxH}x{maxV}, a fractional ratio libjpeg cannot upsample", file: sourceName);

            int stride = c.WidthInBlocks * s;
            _layout[ci] = new ComponentLayout(s, stride, dw, dh, method, maxH / hIn, maxV / vIn);
            EnsureLength(ref _planes[ci], stride * c.HeightInBlocks * s);
            rowLength = Math.Max(rowLength, Math.Max(dw * (maxH / hIn), _width) + 16);

            var zq = c.QuantTable;
            var q = _quant[ci];
            // libjpeg-turbo's IDCT multipliers are 16-bit signed: a step above 32767 (a 16-bit table may hold up to
            // 65535) multiplies as its 16-bit wrap, and so it does here.
            for (int k = 0; k < 64; k++)
            {
                q[InverseDct.NaturalOrder[k]] = (short)zq[k];
            }
        }

        for (int ci = 0; ci < image.Components.Length; ci++)
        {
            EnsureLength(ref _rows[ci], rowLength);
        }

        EnsureLength(ref _bgra, _width * _height * 4);
    }

    private static void EnsureLength(ref byte[] buffer, long length)
    {
        if (buffer.Length < length)
            buffer = new byte[Math.Max(length, (long)buffer.Length * 3 / 2)];
    }

    private void TransformComponent(JpegCoefficientImage image, int ci, bool smooth)
    {
        var c = image.Components[ci];
        var layout = _layout[ci];
        int s = layout.IdctSize;
        int stride = layout.Stride;
        ref byte plane = ref MemoryMarshal.GetArrayDataReference(_planes[ci]);
        int[] q = _quant[ci];
        Span<int> block = stackalloc int[64];
        Span<int> dc = stackalloc int[25];
        Span<double> reciprocals = stackalloc double[ScanProgression.SavedCoefficients];
        if (smooth)
            BlockSmoothing.Reciprocals(q, reciprocals);
        var window = _window;
        var bits = _progression.CoefficientBits.AsSpan(ci * ScanProgression.SavedCoefficients, ScanProgression.SavedCoefficients);
        bool changeDc = true;
        for (int k = 1; k < bits.Length; k++)
        {
            changeDc &= bits[k] == -1;
        }

        var lanes = smooth && BlockSmoothing.IsVectorized ? new BlockSmoothing.Lanes(q, bits, changeDc) : default;
        int totalImcuRows = (image.Height + (image.MaxVSamp * 8) - 1) / (image.MaxVSamp * 8);
        int lastCol = c.WidthInBlocks - 1;
        int q0 = q[0];
        // 4x4 and 2x2 blocks a row at a time, smoothed or not (measured on clothing-small at 1/4: 1.2-1.9x at scan groups
        // 1-5 with the reads limited to the coded bands, 1.04x at full fidelity); 8x8 blocks, whose smoothing is already one
        // vector step each, gain nothing from it.
        if (UseRowTransform && BlockRowTransform.Applies(s, c.WidthInBlocks))
        {
            var plan = _rowTransform.CreatePlan(c, q, bits, changeDc, smooth, s);
            for (int by = 0; by < c.HeightInBlocks; by++)
            {
                _rowTransform.TransformRow(c, by, totalImcuRows, plan, q, s, ref Unsafe.Add(ref plane, by * s * stride), stride);
            }

            return;
        }

        for (int by = 0; by < c.HeightInBlocks; by++)
        {
            // Rows no scan reached (a truncated or forged file) were never allocated: they read as a shared zero row.
            short[] coefs = c.RowArray(by, out int rowStart);
            ref short row = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(coefs), rowStart);
            ref byte outRow = ref Unsafe.Add(ref plane, by * s * stride);
            if (!smooth)
            {
                if (s == 1)
                {
                    // DC only: 1x1 blocks straight from the coefficients, nothing else is dequantized.
                    for (int bx = 0; bx <= lastCol; bx++)
                    {
                        Unsafe.Add(ref outRow, bx) = InverseDct.DcOnly((long)Unsafe.Add(ref row, bx * 64) * q0);
                    }

                    continue;
                }

                for (int bx = 0; bx <= lastCol; bx++)
                {
                    ref short zigzag = ref Unsafe.Add(ref row, bx * 64);
                    ref byte output = ref Unsafe.Add(ref outRow, bx * s);
                    if (BlockDequantizer.Dequantize(ref zigzag, q, block))
                        InverseDct.Fill(InverseDct.DcOnly((long)zigzag * q0), s, ref output, stride);
                    else
                        InverseDct.Transform(ref MemoryMarshal.GetReference(block), s, ref output, stride);
                }

                continue;
            }

            window.Start(c, by, totalImcuRows, dc);
            for (int bx = 0; bx <= lastCol; bx++)
            {
                ref short zigzag = ref Unsafe.Add(ref row, bx * 64);
                if (bx == 0 && bx < lastCol)
                    window.LoadColumn(1, 3, dc);
                if (bx + 1 < lastCol)
                    window.LoadColumn(bx + 2, 4, dc);
                if (BlockSmoothing.IsVectorized)
                {
                    BlockSmoothing.SmoothAndDequantize(ref zigzag, dc, lanes, changeDc, q, block);
                }
                else
                {
                    BlockDequantizer.Dequantize(ref zigzag, q, block, always: true);
                    BlockSmoothing.Smooth(ref zigzag, block, dc, bits, q, reciprocals, changeDc);
                }

                BlockSmoothing.Shift(dc);
                InverseDct.Transform(ref MemoryMarshal.GetReference(block), s, ref Unsafe.Add(ref outRow, bx * s), stride);
            }
        }
    }

    private void ConvertRows(JpegCoefficientImage image)
    {
        int n = image.Components.Length;
        for (int y = 0; y < _height; y++)
        {
            for (int ci = 0; ci < n; ci++)
            {
                var l = _layout[ci];
                ComponentUpsampler.Row(_planes[ci], l.Stride, l.Width, l.Height, l.Method, l.HExpand, l.VExpand, y, _width, _rows[ci]);
            }

            var c0 = _rows[0].AsSpan();
            var c1 = n > 1 ? _rows[1].AsSpan() : c0;
            var c2 = n > 2 ? _rows[2].AsSpan() : c0;
            var c3 = n > 3 ? _rows[3].AsSpan() : c0;
            ColorConverter.ToBgra(image.ColorSpace, c0, c1, c2, c3, _width, _bgra.AsSpan(y * _width * 4, _width * 4));
        }
    }

    private readonly record struct ComponentLayout(int IdctSize, int Stride, int Width, int Height, UpsampleMethod Method, int HExpand, int VExpand);
}
