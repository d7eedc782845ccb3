using System.Buffers;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.Pcr.Jpeg.Decoder;

/// <summary>A frame component while decoding: geometry, its coefficient array and the tables a scan assigns it.</summary>
internal sealed class FrameComponent
{
    /// <summary>Position in the frame header.</summary>
    public int Index;

    /// <summary>Component identifier.</summary>
    public byte Id;

    /// <summary>Sampling factors.</summary>
    public int H, V;

    /// <summary>Quantization table slot named by the frame header.</summary>
    public int QuantSlot;

    /// <summary>libjpeg's width_in_blocks and height_in_blocks.</summary>
    public int WidthInBlocks, HeightInBlocks;

    /// <summary>The allocated array size in blocks (rounded up to the sampling factors).</summary>
    public int BlocksPerRow, BlockRows;

    /// <summary>Coefficients, zigzag order per block, of the first <see cref="AllocatedRows"/> block rows; pooled.</summary>
    public short[] Coefs = [];

    /// <summary>
    /// Block rows backed by <see cref="Coefs"/>. The array grows as the scans reach further rows, so a file whose
    /// header declares far more blocks than its entropy-coded data describes costs memory in proportion to its data;
    /// rows past this are all zero.
    /// </summary>
    public int AllocatedRows;

    /// <summary>Makes sure block rows 0..<paramref name="rows"/>-1 are backed by <see cref="Coefs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnsureRows(int rows)
    {
        if (rows > AllocatedRows)
        {
            Grow(rows);
        }
    }

    /// <summary>Allocates the first <paramref name="rows"/> block rows (at most <see cref="BlockRows"/>), zeroed.</summary>
    public void AllocateRows(int rows)
    {
        AllocatedRows = 0;
        Coefs = [];
        Grow(rows);
    }

    /// <summary>Returns the pooled array.</summary>
    public void ReturnCoefficients()
    {
        if (Coefs.Length > 0)
        {
            ArrayPool<short>.Shared.Return(Coefs);
        }

        Coefs = [];
        AllocatedRows = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int rows)
    {
        // At least doubling keeps the copies linear in the final size.
        int target = Math.Min(BlockRows, Math.Max(rows, AllocatedRows * 2));
        int used = AllocatedRows * BlocksPerRow * 64;
        int count = target * BlocksPerRow * 64;
        short[] next = ArrayPool<short>.Shared.Rent(Math.Max(count, 1));
        Coefs.AsSpan(0, used).CopyTo(next);

        // libjpeg's coefficient arrays start zeroed; pooled arrays do not.
        Array.Clear(next, used, count - used);
        if (Coefs.Length > 0)
        {
            ArrayPool<short>.Shared.Return(Coefs);
        }

        Coefs = next;
        AllocatedRows = target;
    }

    /// <summary>The quantization table latched when the component's first scan started (libjpeg's latch_quant_tables); null before.</summary>
    public ushort[]? LatchedQuant;

    /// <summary>Bit k set: a scan header that included this component covered zigzag position k (all 64 for a sequential
    /// scan). Positions never covered are zero in every block, whatever the entropy-coded data holds.</summary>
    public ulong SpectralBands;

    /// <summary>Huffman or arithmetic table slots the current scan assigns.</summary>
    public int DcTable, AcTable;
}

/// <summary>
/// Everything the marker reader and the scan decoders share while one image is read: the tables
/// defined so far (they may be redefined between scans), the frame and the current scan. One
/// instance is cached per thread and reset for each image, so steady-state reading allocates little.
/// </summary>
internal sealed class FrameState
{
    /// <summary>libjpeg's D_MAX_BLOCKS_IN_MCU.</summary>
    public const int MaxBlocksInMcu = 10;

    [ThreadStatic]
    private static FrameState? t_cached;

    /// <summary>DHT definitions by slot.</summary>
    public readonly HuffmanTableDefinition[] DcDefs = [new(), new(), new(), new()];

    /// <summary>DHT definitions by slot.</summary>
    public readonly HuffmanTableDefinition[] AcDefs = [new(), new(), new(), new()];

    /// <summary>Derived Huffman tables by slot.</summary>
    public readonly HuffmanTable[] DcTables = [new(), new(), new(), new()];

    /// <summary>Derived Huffman tables by slot.</summary>
    public readonly HuffmanTable[] AcTables = [new(), new(), new(), new()];

    /// <summary>Quantization tables by slot (zigzag order), valid where <see cref="QuantDefined"/>.</summary>
    public readonly ushort[][] Quant = [new ushort[64], new ushort[64], new ushort[64], new ushort[64]];

    /// <summary>Which quantization slots a DQT defined.</summary>
    public readonly bool[] QuantDefined = new bool[4];

    /// <summary>libjpeg's NUM_ARITH_TBLS: arithmetic conditioning tables are numbered 0..15.</summary>
    public const int ArithTables = 16;

    /// <summary>Arithmetic DC conditioning bounds L and U and AC conditioning K by slot (DAC).</summary>
    public readonly byte[] ArithDcL = new byte[ArithTables], ArithDcU = new byte[ArithTables], ArithAcK = new byte[ArithTables];

    /// <summary>Arithmetic coding statistics bins by slot (64 per DC table, 256 per AC table).</summary>
    public readonly byte[][] DcStats = NewStats(64);

    /// <summary>Arithmetic coding statistics bins by slot.</summary>
    public readonly byte[][] AcStats = NewStats(256);

    /// <summary>The frame's components (the first <see cref="ComponentCount"/> are used).</summary>
    public readonly FrameComponent[] Components = [new(), new(), new(), new()];

    /// <summary>Number of frame components.</summary>
    public int ComponentCount;

    /// <summary>Image size.</summary>
    public int Width, Height;

    /// <summary>Largest sampling factors.</summary>
    public int MaxH, MaxV;

    /// <summary>Restart interval in MCUs (DRI), 0 for none.</summary>
    public int RestartInterval;

    /// <summary>Frame kind.</summary>
    public bool Progressive, Arithmetic;

    /// <summary>Components of the current scan, in scan order.</summary>
    public readonly FrameComponent[] ScanComponents = new FrameComponent[4];

    /// <summary>Number of components in the current scan.</summary>
    public int CompsInScan;

    /// <summary>Spectral selection and successive approximation of the current scan.</summary>
    public int Ss, Se, Ah, Al;

    /// <summary>MCU grid of the current scan.</summary>
    public int McusPerRow, McuRows;

    /// <summary>Blocks per MCU of the current scan.</summary>
    public int BlocksInMcu;

    /// <summary>For each block of an MCU: its scan component index and its offset inside the MCU in blocks.</summary>
    public readonly int[] BlockComp = new int[MaxBlocksInMcu], BlockDx = new int[MaxBlocksInMcu], BlockDy = new int[MaxBlocksInMcu];

    /// <summary>For each block of an MCU in a run decoder: the coefficient array of its component for the current MCU row.</summary>
    public readonly short[][] McuBlockArrays = new short[MaxBlocksInMcu][];

    /// <summary>For each block of an MCU in a run decoder: the Huffman table it is decoded with.</summary>
    public readonly HuffmanTable[] McuBlockTables = new HuffmanTable[MaxBlocksInMcu];

    /// <summary>JFIF APP0 evidence as libjpeg's examine_app0 records it (defaults as get_soi sets them).</summary>
    public bool SawJfif;

    /// <summary>JFIF fields.</summary>
    public byte JfifMajor, JfifMinor, DensityUnit;

    /// <summary>JFIF densities.</summary>
    public ushort XDensity, YDensity;

    /// <summary>Adobe APP14 evidence as libjpeg's examine_app14 records it.</summary>
    public bool SawAdobe;

    /// <summary>Adobe transform flag.</summary>
    public byte AdobeTransform;

    /// <summary>Returns this thread's instance, reset for a new image.</summary>
    public static FrameState Rent()
    {
        var s = t_cached ?? new FrameState();
        t_cached = null;
        s.Reset();
        return s;
    }

    /// <summary>Gives the instance back to this thread's cache (dropping references to pooled arrays).</summary>
    public static void Return(FrameState s)
    {
        for (int i = 0; i < s.Components.Length; i++)
        {
            s.Components[i].Coefs = [];
            s.Components[i].AllocatedRows = 0;
            s.Components[i].LatchedQuant = null;
        }

        Array.Clear(s.ScanComponents);
        Array.Clear(s.McuBlockArrays);
        Array.Clear(s.McuBlockTables);
        t_cached = s;
    }

    private static byte[][] NewStats(int bins)
    {
        var stats = new byte[ArithTables][];
        for (int i = 0; i < stats.Length; i++)
        {
            stats[i] = new byte[bins];
        }

        return stats;
    }

    private void Reset()
    {
        for (int i = 0; i < 4; i++)
        {
            DcDefs[i].Defined = false;
            AcDefs[i].Defined = false;
            DcDefs[i].Version++;
            AcDefs[i].Version++;
            QuantDefined[i] = false;
        }

        // libjpeg's get_soi defaults for arithmetic conditioning.
        for (int i = 0; i < ArithTables; i++)
        {
            ArithDcL[i] = 0;
            ArithDcU[i] = 1;
            ArithAcK[i] = 5;
        }

        ComponentCount = 0;
        RestartInterval = 0;
        SawJfif = false;
        JfifMajor = 1;
        JfifMinor = 1;
        DensityUnit = 0;
        XDensity = 1;
        YDensity = 1;
        SawAdobe = false;
        AdobeTransform = 0;
        CompsInScan = 0;
    }

    /// <summary>
    /// libjpeg's per_scan_setup: the MCU grid and block membership of the current scan. Returns false when an
    /// MCU would hold more than <see cref="MaxBlocksInMcu"/> blocks.
    /// </summary>
    public bool SetUpScanLayout()
    {
        if (CompsInScan == 1)
        {
            var c = ScanComponents[0];
            McusPerRow = c.WidthInBlocks;
            McuRows = c.HeightInBlocks;
            BlocksInMcu = 1;
            BlockComp[0] = 0;
            BlockDx[0] = 0;
            BlockDy[0] = 0;
            return true;
        }

        McusPerRow = (Width + (MaxH * 8) - 1) / (MaxH * 8);
        McuRows = (Height + (MaxV * 8) - 1) / (MaxV * 8);
        int n = 0;
        for (int ci = 0; ci < CompsInScan; ci++)
        {
            var c = ScanComponents[ci];
            if (n + (c.H * c.V) > MaxBlocksInMcu)
            {
                return false;
            }

            for (int y = 0; y < c.V; y++)
            {
                for (int x = 0; x < c.H; x++)
                {
                    BlockComp[n] = ci;
                    BlockDx[n] = x;
                    BlockDy[n] = y;
                    n++;
                }
            }
        }

        BlocksInMcu = n;
        return true;
    }

    /// <summary>Makes sure the coefficient arrays of the current scan's components back MCU row <paramref name="mcuRow"/>.</summary>
    public void EnsureMcuRow(int mcuRow)
    {
        if (CompsInScan == 1)
        {
            ScanComponents[0].EnsureRows(mcuRow + 1);
            return;
        }

        for (int ci = 0; ci < CompsInScan; ci++)
        {
            var c = ScanComponents[ci];
            c.EnsureRows((mcuRow + 1) * c.V);
        }
    }

    /// <summary>
    /// Moves an MCU position (<paramref name="mcuX"/>, <paramref name="mcuY"/>) forward by <paramref name="count"/> MCUs;
    /// the position may land past the last MCU row (the scan is then done).
    /// </summary>
    public void SkipMcus(ref int mcuX, ref int mcuY, int count)
    {
        long next = ((long)mcuY * McusPerRow) + mcuX + count;
        mcuY = (int)Math.Min(next / McusPerRow, McuRows);
        mcuX = (int)(next % McusPerRow);
    }

    /// <summary>Fills <paramref name="offsets"/> with the coefficient offset of each block of MCU (<paramref name="mcuX"/>, <paramref name="mcuY"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void McuBlockOffsets(int mcuX, int mcuY, Span<int> offsets)
    {
        if (CompsInScan == 1)
        {
            var c = ScanComponents[0];
            offsets[0] = ((mcuY * c.BlocksPerRow) + mcuX) * 64;
            return;
        }

        InterleavedBlockOffsets(mcuX, mcuY, offsets);
    }

    /// <summary>
    /// For a run decoder: makes sure MCU row <paramref name="mcuRow"/> is backed, and sets, for each block of the MCU,
    /// its component's array in <see cref="McuBlockArrays"/>, the offset of its block in the row's first MCU
    /// (<paramref name="rowBase"/>) and the distance in coefficients from one MCU to the next (<paramref name="step"/>),
    /// so that block b of MCU x is at <c>rowBase[b] + x * step[b]</c>, as <see cref="McuBlockOffsets"/> computes it.
    /// </summary>
    public void SetUpMcuRow(int mcuRow, Span<int> rowBase, Span<int> step)
    {
        EnsureMcuRow(mcuRow);
        if (CompsInScan == 1)
        {
            var c = ScanComponents[0];
            McuBlockArrays[0] = c.Coefs;
            rowBase[0] = mcuRow * c.BlocksPerRow * 64;
            step[0] = 64;
            return;
        }

        for (int b = 0; b < BlocksInMcu; b++)
        {
            var c = ScanComponents[BlockComp[b]];
            McuBlockArrays[b] = c.Coefs;
            rowBase[b] = ((((mcuRow * c.V) + BlockDy[b]) * c.BlocksPerRow) + BlockDx[b]) * 64;
            step[b] = c.H * 64;
        }
    }

    private void InterleavedBlockOffsets(int mcuX, int mcuY, Span<int> offsets)
    {
        for (int b = 0; b < BlocksInMcu; b++)
        {
            var c = ScanComponents[BlockComp[b]];
            int row = (mcuY * c.V) + BlockDy[b];
            int col = (mcuX * c.H) + BlockDx[b];
            offsets[b] = ((row * c.BlocksPerRow) + col) * 64;
        }
    }
}
