using System.Buffers;

namespace Microsoft.ML.Pcr.Jpeg.Encoder;

/// <summary>
/// The DC coefficients of a DC scan in the order the scan codes them, gathered once and shared
/// by the first and refinement DC scans (which have the same components). In an interleaved
/// scan this includes jctrans.c's dummy blocks at the right and bottom edges: blocks outside a
/// component's real area whose DC repeats the previous block of the MCU (their AC is zero).
/// </summary>
internal sealed class DcSequence : IDisposable
{
    private short[] _values = ArrayPool<short>.Shared.Rent(16 * 1024);
    private readonly int[] _components = new int[10];
    private int _componentCount = -1;

    /// <summary>DC values, <see cref="Count"/> of them.</summary>
    public short[] Values => _values;

    /// <summary>Number of blocks coded.</summary>
    public int Count { get; private set; }

    /// <summary>Blocks per MCU (1 in a noninterleaved scan).</summary>
    public int BlocksInMcu { get; private set; }

    /// <summary>For each block of an MCU, the index of its component within the scan.</summary>
    public byte[] McuSlots { get; } = new byte[10];

    /// <summary>Capacity of the value buffer.</summary>
    public int Capacity => _values.Length;

    /// <summary>Forgets the gathered values (call per image).</summary>
    public void Invalidate() => _componentCount = -1;

    /// <summary>Gathers the DC sequence of a scan over <paramref name="scanComponents"/> unless it is already held.</summary>
    public void Gather(JpegOutputFrame frame, int[] scanComponents)
    {
        if (_componentCount == scanComponents.Length && scanComponents.AsSpan().SequenceEqual(_components.AsSpan(0, _componentCount)))
        {
            return;
        }

        if (scanComponents.Length == 1)
        {
            GatherNoninterleaved(frame.Components[scanComponents[0]]);
        }
        else
        {
            GatherInterleaved(frame, scanComponents);
        }

        scanComponents.CopyTo(_components, 0);
        _componentCount = scanComponents.Length;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_values.Length > 0)
        {
            ArrayPool<short>.Shared.Return(_values);
            _values = [];
        }
    }

    private void GatherNoninterleaved(OutputComponent c)
    {
        BlocksInMcu = 1;
        McuSlots[0] = 0;
        int w = c.WidthInBlocks, h = c.HeightInBlocks;
        EnsureCapacity(w * h);
        var values = _values;
        int n = 0;
        for (int row = 0; row < h; row++)
        {
            var coef = c.Source.RowArray(row, out int p);
            for (int col = 0; col < w; col++, p += 64)
            {
                values[n++] = coef[p];
            }
        }

        Count = n;
    }

    private void GatherInterleaved(JpegOutputFrame frame, int[] scanComponents)
    {
        int blocksInMcu = 0;
        foreach (int ci in scanComponents)
        {
            var c = frame.Components[ci];
            blocksInMcu += c.HSamp * c.VSamp;
        }

        if (blocksInMcu > 10)
        {
            throw new PcrFormatException($"an MCU of {blocksInMcu} blocks exceeds JPEG's limit of 10");
        }

        int b = 0;
        for (int s = 0; s < scanComponents.Length; s++)
        {
            var c = frame.Components[scanComponents[s]];
            for (int i = 0; i < c.HSamp * c.VSamp; i++)
            {
                McuSlots[b++] = (byte)s;
            }
        }

        BlocksInMcu = blocksInMcu;
        int mcus = frame.McusPerRow * frame.McuRows;
        EnsureCapacity(mcus * blocksInMcu);
        var values = _values;

        // Write each component's blocks straight into their MCU positions, row by row.
        int offsetInMcu = 0;
        foreach (int ci in scanComponents)
        {
            var c = frame.Components[ci];
            var coef = c.Source.Coefficients;
            int bpr = c.Source.BlocksPerRow, hs = c.HSamp, vs = c.VSamp;
            int allocated = c.Source.AllocatedRows;
            int wib = c.WidthInBlocks, hib = c.HeightInBlocks;
            for (int mcuRow = 0; mcuRow < frame.McuRows; mcuRow++)
            {
                int n = (mcuRow * frame.McusPerRow * blocksInMcu) + offsetInMcu;
                for (int mcuCol = 0; mcuCol < frame.McusPerRow; mcuCol++, n += blocksInMcu)
                {
                    short dc = 0;
                    int k = n;
                    for (int y = 0; y < vs; y++)
                    {
                        int row = (mcuRow * vs) + y;
                        for (int x = 0; x < hs; x++)
                        {
                            int col = (mcuCol * hs) + x;
                            if (row < hib && col < wib)
                            {
                                dc = row < allocated ? coef[((row * bpr) + col) * 64] : (short)0;
                            }

                            values[k++] = dc; // a dummy block keeps the previous block's DC
                        }
                    }
                }
            }

            offsetInMcu += hs * vs;
        }

        Count = mcus * blocksInMcu;
    }

    private void EnsureCapacity(int count)
    {
        if (_values.Length < count)
        {
            ArrayPool<short>.Shared.Return(_values);
            _values = ArrayPool<short>.Shared.Rent(count);
        }
    }
}
