using System.Runtime.CompilerServices;

namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// libjpeg-turbo's inter-block smoothing for progressive JPEGs whose low AC coefficients are not yet (fully) known,
/// as in a PCR prefix (jdcoefct.c, 2.1 and later: a 5x5 window of DC values). Where a coefficient among the first
/// nine AC positions is still zero and not known to be exact, it is estimated from the neighbouring DC values; when
/// no AC data at all has arrived, the DC is re-estimated too. Applied to a copy of each block just before its IDCT.
/// </summary>
internal static class BlockSmoothing
{
    /// <summary>Whether libjpeg would smooth this image (its smoothing_ok): progressive, every component scanned with
    /// a known DC and the first ten quantization steps non-zero, and some component with an inexact low AC coefficient.</summary>
    public static bool Applies(JpegCoefficientImage image, ScanProgression progression)
    {
        if (!image.IsProgressive)
        {
            return false;
        }

        bool useful = false;
        for (int ci = 0; ci < image.Components.Length; ci++)
        {
            if (!progression.Scanned[ci])
            {
                return false;
            }

            var zq = image.Components[ci].QuantTable;
            for (int k = 0; k < ScanProgression.SavedCoefficients; k++)
            {
                if (zq[k] == 0)
                {
                    return false;
                }
            }

            var bits = progression.CoefficientBits.AsSpan(ci * ScanProgression.SavedCoefficients, ScanProgression.SavedCoefficients);
            if (bits[0] < 0)
            {
                return false;
            }

            for (int k = 1; k < bits.Length; k++)
            {
                useful |= bits[k] != 0;
            }
        }

        return useful;
    }

    /// <summary>
    /// The five block rows (two above, this, two below) libjpeg's smoothing reads for block row <paramref name="row"/>,
    /// replicating at the image edges exactly as its iMCU-row buffering does.
    /// </summary>
    public static void NeighbourRows(int row, int vSamp, int heightInBlocks, int totalImcuRows, Span<int> rows)
    {
        int imcu = row / vSamp, b = row % vSamp, last = totalImcuRows - 1;
        int blockRows = vSamp;
        if (imcu >= last)
        {
            blockRows = heightInBlocks % vSamp;
            if (blockRows == 0)
            {
                blockRows = vSamp;
            }
        }

        int prev = b > 0 || imcu > 0 ? row - 1 : row;
        int prevPrev = b > 1 || imcu > 1 ? row - 2 : prev;
        int next = b < blockRows - 1 || imcu < last ? row + 1 : row;
        int nextNext = b < blockRows - 2 || imcu + 1 < last ? row + 2 : next;
        rows[0] = prevPrev;
        rows[1] = prev;
        rows[2] = row;
        rows[3] = next;
        rows[4] = nextNext;
    }

    /// <summary>The five coefficient rows a block row's smoothing window reads, resolved once per block row.</summary>
    public sealed class Window
    {
        private readonly short[][] _arrays = new short[5][];
        private readonly int[] _offsets = new int[5];
        private readonly int[] _rows = new int[5];

        /// <summary>Resolves the rows around block row <paramref name="row"/> and loads column 0 into all five window columns.</summary>
        public void Start(JpegComponent c, int row, int totalImcuRows, Span<int> dc)
        {
            NeighbourRows(row, c.VSamp, c.HeightInBlocks, totalImcuRows, _rows);
            for (int i = 0; i < 5; i++)
            {
                _arrays[i] = c.RowArray(_rows[i], out _offsets[i]);
            }

            for (int slot = 0; slot < 5; slot++)
            {
                LoadColumn(0, slot, dc);
            }
        }

        /// <summary>Loads the DC values of column <paramref name="col"/> of the five rows into window column <paramref name="slot"/>.</summary>
        public void LoadColumn(int col, int slot, Span<int> dc)
        {
            for (int i = 0; i < 5; i++)
            {
                dc[(i * 5) + slot] = _arrays[i][_offsets[i] + (col * 64)];
            }
        }
    }

    /// <summary>Shifts the 5x5 DC window one block to the right (the rightmost column stays, as libjpeg's registers do).</summary>
    public static void Shift(Span<int> dc)
    {
        for (int i = 0; i < 5; i++)
        {
            var r = dc.Slice(i * 5, 5);
            r[0] = r[1];
            r[1] = r[2];
            r[2] = r[3];
            r[3] = r[4];
        }
    }

    /// <summary>Applies the estimates to <paramref name="block"/> (dequantized, natural order) from the DC window <paramref name="d"/> (d[0] is the top-left block).</summary>
    /// <param name="zigzag">The block's quantized coefficients in zigzag order (which of them are zero decides what is estimated).</param>
    /// <param name="block">The block's dequantized coefficients in natural order; estimated ones are replaced.</param>
    /// <param name="d">The 25 DC values, row-major, the block itself at index 12.</param>
    /// <param name="bits">The component's coefficient bits (10 values).</param>
    /// <param name="q">The component's quantization table in natural order.</param>
    /// <param name="changeDc">Whether no AC coefficient has arrived at all (then DC and four more ACs are estimated too).</param>
    public static void Smooth(ref short zigzag, Span<int> block, ReadOnlySpan<int> d, ReadOnlySpan<int> bits, ReadOnlySpan<int> q, bool changeDc)
    {
        long q00 = q[0];

        if (bits[1] != 0 && Unsafe.Add(ref zigzag, 1) == 0)
        {
            long num = changeDc
                ? -d[0] - d[1] + d[3] + d[4] - (3 * d[5]) + (13 * d[6]) - (13 * d[8]) + (3 * d[9]) - (3 * d[10]) + (38 * d[11]) - (38 * d[13]) +
                  (3 * d[14]) - (3 * d[15]) + (13 * d[16]) - (13 * d[18]) + (3 * d[19]) - d[20] - d[21] + d[23] + d[24]
                : (-7 * d[10]) + (50 * d[11]) - (50 * d[13]) + (7 * d[14]);
            block[1] = Predict(q00 * num, q[1], bits[1]) * q[1];
        }

        if (bits[2] != 0 && Unsafe.Add(ref zigzag, 2) == 0)
        {
            long num = changeDc
                ? -d[0] - (3 * d[1]) - (3 * d[2]) - (3 * d[3]) - d[4] - d[5] + (13 * d[6]) + (38 * d[7]) + (13 * d[8]) - d[9] + d[15] -
                  (13 * d[16]) - (38 * d[17]) - (13 * d[18]) + d[19] + d[20] + (3 * d[21]) + (3 * d[22]) + (3 * d[23]) + d[24]
                : (-7 * d[2]) + (50 * d[7]) - (50 * d[17]) + (7 * d[22]);
            block[8] = Predict(q00 * num, q[8], bits[2]) * q[8];
        }

        if (bits[3] != 0 && Unsafe.Add(ref zigzag, 3) == 0)
        {
            long num = changeDc
                ? d[2] + (2 * d[6]) + (7 * d[7]) + (2 * d[8]) - (5 * d[11]) - (14 * d[12]) - (5 * d[13]) + (2 * d[16]) + (7 * d[17]) + (2 * d[18]) + d[22]
                : -d[2] + (13 * d[7]) - (24 * d[12]) + (13 * d[17]) - d[22];
            block[16] = Predict(q00 * num, q[16], bits[3]) * q[16];
        }

        if (bits[4] != 0 && Unsafe.Add(ref zigzag, 4) == 0)
        {
            long num = changeDc
                ? -d[0] + d[4] + (9 * d[6]) - (9 * d[8]) - (9 * d[16]) + (9 * d[18]) + d[20] - d[24]
                : d[9] + d[15] - (10 * d[16]) + (10 * d[18]) - d[1] - d[19] + d[21] - d[23] + d[3] - d[5] + (10 * d[6]) - (10 * d[8]);
            block[9] = Predict(q00 * num, q[9], bits[4]) * q[9];
        }

        if (bits[5] != 0 && Unsafe.Add(ref zigzag, 5) == 0)
        {
            long num = changeDc
                ? (2 * d[6]) - (5 * d[7]) + (2 * d[8]) + d[10] + (7 * d[11]) - (14 * d[12]) + (7 * d[13]) + d[14] + (2 * d[16]) - (5 * d[17]) + (2 * d[18])
                : -d[10] + (13 * d[11]) - (24 * d[12]) + (13 * d[13]) - d[14];
            block[2] = Predict(q00 * num, q[2], bits[5]) * q[2];
        }

        if (!changeDc)
        {
            return;
        }

        if (bits[6] != 0 && Unsafe.Add(ref zigzag, 6) == 0)
        {
            block[3] = Predict(q00 * (d[6] - d[8] + (2 * d[11]) - (2 * d[13]) + d[16] - d[18]), q[3], bits[6]) * q[3];
        }

        if (bits[7] != 0 && Unsafe.Add(ref zigzag, 7) == 0)
        {
            block[10] = Predict(q00 * (d[6] - (3 * d[7]) + d[8] - d[16] + (3 * d[17]) - d[18]), q[10], bits[7]) * q[10];
        }

        if (bits[8] != 0 && Unsafe.Add(ref zigzag, 8) == 0)
        {
            block[17] = Predict(q00 * (d[6] - d[8] - (3 * d[11]) + (3 * d[13]) + d[16] - d[18]), q[17], bits[8]) * q[17];
        }

        if (bits[9] != 0 && Unsafe.Add(ref zigzag, 9) == 0)
        {
            block[24] = Predict(q00 * (d[6] + (2 * d[7]) + d[8] - d[16] - (2 * d[17]) - d[18]), q[24], bits[9]) * q[24];
        }

        long dcNum = q00 *
            ((-2 * d[0]) - (6 * d[1]) - (8 * d[2]) - (6 * d[3]) - (2 * d[4]) - (6 * d[5]) + (6 * d[6]) + (42 * d[7]) + (6 * d[8]) - (6 * d[9]) -
             (8 * d[10]) + (42 * d[11]) + (152 * d[12]) + (42 * d[13]) - (8 * d[14]) - (6 * d[15]) + (6 * d[16]) + (42 * d[17]) + (6 * d[18]) -
             (6 * d[19]) - (2 * d[20]) - (6 * d[21]) - (8 * d[22]) - (6 * d[23]) - (2 * d[24]));
        block[0] = Predict(dcNum, q00, 0) * (int)q00;
    }

    // libjpeg's estimate: the rounded quotient, capped below 2^Al when only the low bits are unknown.
    private static short Predict(long num, long q, int al)
    {
        // Most estimates are below one step: the comparison saves the 64-bit division.
        long dividend = (q << 7) + (num >= 0 ? num : -num), divisor = q << 8;
        long magnitude = dividend < divisor ? 0 : dividend / divisor;
        if (al > 0 && magnitude >= (1L << al))
        {
            magnitude = (1L << al) - 1;
        }

        return (short)(num >= 0 ? magnitude : -magnitude);
    }
}
