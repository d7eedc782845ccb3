using System.Buffers;

namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>
/// One image component's quantized DCT coefficients, laid out as libjpeg lays out a
/// whole-image coefficient array: block rows padded to a multiple of the vertical sampling
/// factor, blocks per row padded to a multiple of the horizontal one. Each block holds 64
/// coefficients in zigzag order (index k as in the JPEG spectral selection), so a spectral
/// band Ss..Se is contiguous.
/// </summary>
internal sealed class JpegComponent
{
    /// <summary>Component identifier from the frame header.</summary>
    public byte Id { get; init; }

    /// <summary>Horizontal sampling factor (1..4).</summary>
    public int HSamp { get; init; }

    /// <summary>Vertical sampling factor (1..4).</summary>
    public int VSamp { get; init; }

    /// <summary>Quantization table slot (0..3) named by the frame header.</summary>
    public int QuantTableSlot { get; init; }

    /// <summary>libjpeg's width_in_blocks: ceil(ceil(width * HSamp / maxH) / 8).</summary>
    public int WidthInBlocks { get; init; }

    /// <summary>libjpeg's height_in_blocks: ceil(ceil(height * VSamp / maxV) / 8).</summary>
    public int HeightInBlocks { get; init; }

    /// <summary>Allocated blocks per row: WidthInBlocks rounded up to a multiple of HSamp.</summary>
    public int BlocksPerRow { get; init; }

    /// <summary>Allocated block rows: HeightInBlocks rounded up to a multiple of VSamp.</summary>
    public int BlockRows { get; init; }

    private static short[] s_zeroRow = [];
    private readonly int? _allocatedRows;

    /// <summary>
    /// Block rows held in <see cref="Coefficients"/>, at most <see cref="BlockRows"/> (the default); the rows past them
    /// are all zero (no scan reached them, as in a truncated or forged file) and cost no memory.
    /// </summary>
    public int AllocatedRows
    {
        get => _allocatedRows ?? BlockRows;
        init => _allocatedRows = value;
    }

    /// <summary>Coefficients, <c>AllocatedRows * BlocksPerRow * 64</c> values used (the array is pooled and may be longer).</summary>
    public short[] Coefficients { get; internal set; } = [];

    /// <summary>
    /// Returns the array holding block row <paramref name="row"/> and, in <paramref name="offset"/>, where the row starts
    /// in it: <see cref="Coefficients"/> for allocated rows, a shared all-zero row (never to be written) past them.
    /// </summary>
    public short[] RowArray(int row, out int offset)
    {
        if (row < AllocatedRows)
        {
            offset = row * BlocksPerRow * 64;
            return Coefficients;
        }

        offset = 0;
        return ZeroRow(BlocksPerRow * 64);
    }

    private static short[] ZeroRow(int length)
    {
        short[] zeros = s_zeroRow;
        if (zeros.Length < length)
        {
            // Never written, so one array serves every thread; a larger one replaces it.
            zeros = new short[length];
            s_zeroRow = zeros;
        }

        return zeros;
    }

    /// <summary>
    /// Bit k set: some scan of this component covered zigzag position k (every bit after a sequential scan). A position
    /// whose bit is clear is zero in every block; the default, all set, claims nothing.
    /// </summary>
    public ulong SpectralBands { get; init; } = ulong.MaxValue;

    /// <summary>The quantization table (64 values, zigzag order) this component was coded with.</summary>
    public ushort[] QuantTable { get; internal set; } = [];

    /// <summary>Returns block (<paramref name="row"/>, <paramref name="col"/>) as a 64-value span.</summary>
    public Span<short> Block(int row, int col) => Coefficients.AsSpan(((row * BlocksPerRow) + col) * 64, 64);
}

/// <summary>
/// A JPEG held as quantized DCT coefficients plus what a lossless transcode must carry over:
/// the frame geometry, quantization tables and the colour-space evidence from the markers.
/// Owns pooled coefficient arrays; dispose to return them.
/// </summary>
internal sealed class JpegCoefficientImage : IDisposable
{
    /// <summary>Image width in pixels.</summary>
    public int Width { get; init; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; init; }

    /// <summary>The frame's components in frame-header order.</summary>
    public JpegComponent[] Components { get; init; } = [];

    /// <summary>Largest horizontal sampling factor.</summary>
    public int MaxHSamp { get; init; }

    /// <summary>Largest vertical sampling factor.</summary>
    public int MaxVSamp { get; init; }

    /// <summary>Quantization tables by slot (0..3), zigzag order; null where the input defined none.</summary>
    public ushort[]?[] QuantTables { get; } = new ushort[]?[4];

    /// <summary>The SOF marker the input used (0xC0, 0xC1, 0xC2, 0xC9, 0xCA).</summary>
    public byte FrameMarker { get; init; }

    /// <summary>Whether the input had a JFIF APP0 marker, and its fields.</summary>
    public bool SawJfif { get; set; }

    /// <summary>JFIF major version (valid when <see cref="SawJfif"/>).</summary>
    public byte JfifMajor { get; set; }

    /// <summary>JFIF minor version (valid when <see cref="SawJfif"/>).</summary>
    public byte JfifMinor { get; set; }

    /// <summary>JFIF density unit (valid when <see cref="SawJfif"/>).</summary>
    public byte DensityUnit { get; set; }

    /// <summary>JFIF horizontal density (valid when <see cref="SawJfif"/>).</summary>
    public ushort XDensity { get; set; }

    /// <summary>JFIF vertical density (valid when <see cref="SawJfif"/>).</summary>
    public ushort YDensity { get; set; }

    /// <summary>Whether the input had an Adobe APP14 marker, and its transform flag.</summary>
    public bool SawAdobe { get; set; }

    /// <summary>Adobe transform (0 none/RGB/CMYK, 1 YCbCr, 2 YCCK); valid when <see cref="SawAdobe"/>.</summary>
    public byte AdobeTransform { get; set; }

    /// <summary>The input's restart interval in MCUs (DRI), 0 for none; informational, the transcode writes none.</summary>
    public int RestartInterval { get; init; }

    /// <summary>The coded colour space as libjpeg-turbo decides it from the markers and component ids (jpegtran keeps it).</summary>
    public JpegColorSpace ColorSpace { get; set; }

    /// <summary>Whether the frame is progressive (SOF2, SOF10).</summary>
    public bool IsProgressive => FrameMarker is JpegMarkers.SOF2 or JpegMarkers.SOF10;

    /// <summary>Whether the frame is arithmetic coded (SOF9, SOF10).</summary>
    public bool IsArithmetic => FrameMarker is JpegMarkers.SOF9 or JpegMarkers.SOF10;

    /// <summary>Warnings met while reading (for example a premature end of entropy data, filled with zeros as libjpeg does).</summary>
    public List<string> Warnings { get; } = [];

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var c in Components)
        {
            if (c.Coefficients.Length > 0)
            {
                ArrayPool<short>.Shared.Return(c.Coefficients);
                c.Coefficients = [];
            }
        }
    }
}
