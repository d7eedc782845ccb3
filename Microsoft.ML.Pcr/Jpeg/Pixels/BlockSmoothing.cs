using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// libjpeg-turbo's inter-block smoothing for progressive JPEGs whose low AC coefficients are not yet (fully) known,
/// as in a PCR prefix (jdcoefct.c, 2.1 and later: a 5x5 window of DC values). Where a coefficient among the first
/// nine AC positions is still zero and not known to be exact, it is estimated from the neighbouring DC values; when
/// no AC data at all has arrived, the DC is re-estimated too. Applied to a copy of each block just before its IDCT.
/// </summary>
[SkipLocalsInit]
internal static class BlockSmoothing
{
    private const int SavedCoefficients = ScanProgression.SavedCoefficients;

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

    /// <summary>The reciprocals of the divisors of each estimate (lane k: zigzag coefficient k, lane 0 the DC) for a quantization table.</summary>
    /// <param name="q">The component's quantization table in natural order.</param>
    /// <param name="reciprocals">10 values, written.</param>
    public static void Reciprocals(ReadOnlySpan<int> q, Span<double> reciprocals)
    {
        var natural = InverseDct.NaturalOrder;
        for (int k = 0; k < SavedCoefficients; k++)
        {
            reciprocals[k] = 1.0 / ((long)q[natural[k]] << 8);
        }
    }

    /// <summary>Shifts the 5x5 DC window one block to the right (the rightmost column stays, as libjpeg's registers do).</summary>
    public static void Shift(Span<int> dc)
    {
        // One move of the whole window (two vector loads before two stores), then the rightmost column put back (it
        // moved into the next row's first slot).
        int c4 = dc[4], c9 = dc[9], c14 = dc[14], c19 = dc[19];
        ref int d = ref MemoryMarshal.GetReference(dc[..25]);
        var first = Vector512.LoadUnsafe(ref d, 1);
        var rest = Vector256.LoadUnsafe(ref d, 17);
        first.StoreUnsafe(ref d);
        rest.StoreUnsafe(ref d, 16);
        dc[4] = c4;
        dc[9] = c9;
        dc[14] = c14;
        dc[19] = c19;
    }

    /// <summary>Applies the estimates to <paramref name="block"/> (dequantized, natural order) from the DC window <paramref name="d"/> (d[0] is the top-left block).</summary>
    /// <param name="zigzag">The block's quantized coefficients in zigzag order (which of them are zero decides what is estimated).</param>
    /// <param name="block">The block's dequantized coefficients in natural order; estimated ones are replaced.</param>
    /// <param name="d">The 25 DC values, row-major, the block itself at index 12.</param>
    /// <param name="bits">The component's coefficient bits (10 values).</param>
    /// <param name="q">The component's quantization table in natural order.</param>
    /// <param name="reciprocals">From <see cref="Reciprocals"/> for <paramref name="q"/>.</param>
    /// <param name="changeDc">Whether no AC coefficient has arrived at all (then DC and four more ACs are estimated too).</param>
    public static void Smooth(ref short zigzag, Span<int> block, ReadOnlySpan<int> d, ReadOnlySpan<int> bits, ReadOnlySpan<int> q, ReadOnlySpan<double> reciprocals, bool changeDc)
    {
        // Every numerator is a fixed combination of the 25 DC values (in int: 25 values below 2^15 times weights
        // summing to at most 432), computed for all ten estimates at once.
        Span<int> num = stackalloc int[16];
        Numerators(d, changeDc ? WeightsNoAc : WeightsSomeAc, num);
        long q00 = q[0];
        var natural = InverseDct.NaturalOrder;
        int last = changeDc ? 9 : 5;
        for (int k = 1; k <= last; k++)
        {
            if (bits[k] != 0 && Unsafe.Add(ref zigzag, k) == 0)
            {
                int pos = natural[k];
                block[pos] = Predict(q00 * num[k], q[pos], bits[k], reciprocals[k]) * q[pos];
            }
        }

        if (changeDc)
        {
            block[0] = Predict(q00 * num[0], q00, 0, reciprocals[0]) * (int)q00;
        }
    }

    /// <summary>Whether <see cref="SmoothAndDequantize"/> can run here (AVX-512 F, BW and DQ).</summary>
    public static bool IsVectorized => Avx512BW.IsSupported && Avx512DQ.IsSupported;

    /// <summary>The per-component constants of <see cref="SmoothAndDequantize"/>, built once per component.</summary>
    public readonly struct Lanes
    {
        /// <summary>Each lane's quantization step (lane k: zigzag coefficient k), lanes 0-7 and 8-15.</summary>
        public readonly Vector512<double> StepLow, StepHigh;

        /// <summary>Each lane's cap on the estimate's magnitude, 2^Al - 1 or no cap.</summary>
        public readonly Vector512<double> CapLow, CapHigh;

        /// <summary>The lanes that are estimated: AC lanes among the first five (or nine) with known bits, and the DC when no AC has arrived.</summary>
        public readonly Vector512<short> Estimated;

        /// <summary>The lanes estimated whatever their coefficient (the DC when no AC has arrived).</summary>
        public readonly Vector512<short> Unconditional;

        /// <summary>The DC's quantization step.</summary>
        public readonly double StepDc;

        /// <summary>Builds the lanes of a component from its quantization table (natural order) and coefficient bits.</summary>
        public Lanes(ReadOnlySpan<int> q, ReadOnlySpan<int> bits, bool changeDc)
        {
            var natural = InverseDct.NaturalOrder;
            Span<double> step = stackalloc double[16];
            Span<double> cap = stackalloc double[16];
            Span<short> estimated = stackalloc short[32];
            Span<short> unconditional = stackalloc short[32];
            step.Fill(1);
            cap.Fill(double.PositiveInfinity);
            estimated.Clear();
            unconditional.Clear();
            int last = changeDc ? 9 : 5;
            for (int k = 0; k < SavedCoefficients; k++)
            {
                step[k] = q[natural[k]];
                if (k >= 1 && k <= last && bits[k] != 0)
                {
                    estimated[k] = -1;
                    if (bits[k] > 0)
                        cap[k] = (1L << bits[k]) - 1;
                }
            }

            if (changeDc)
            {
                estimated[0] = -1;
                unconditional[0] = -1;
            }

            StepLow = Vector512.Create((ReadOnlySpan<double>)step[..8]);
            StepHigh = Vector512.Create((ReadOnlySpan<double>)step[8..]);
            CapLow = Vector512.Create((ReadOnlySpan<double>)cap[..8]);
            CapHigh = Vector512.Create((ReadOnlySpan<double>)cap[8..]);
            Estimated = Vector512.Create((ReadOnlySpan<short>)estimated);
            Unconditional = Vector512.Create((ReadOnlySpan<short>)unconditional);
            StepDc = q[0];
        }
    }

    /// <summary>
    /// <see cref="Smooth"/> fused with <see cref="BlockDequantizer.Dequantize(ref short, int[], Span{int}, bool)"/> on AVX-512: the ten estimates are
    /// computed at once in double lanes (every dividend is an integer below 2^41, so a correctly rounded quotient
    /// floors to the exact integer quotient), written into the block's zigzag coefficients as libjpeg writes them into
    /// its copy, and the block then dequantized and reordered. Only when <see cref="IsVectorized"/>.
    /// </summary>
    /// <param name="zigzag">The block's quantized coefficients in zigzag order (not modified).</param>
    /// <param name="d">The 25 DC values, row-major, the block itself at index 12.</param>
    /// <param name="lanes">The component's constants.</param>
    /// <param name="changeDc">Whether no AC coefficient has arrived at all.</param>
    /// <param name="quant">64 quantization steps, natural order.</param>
    /// <param name="natural">64 values, written: the block's dequantized coefficients in natural order.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SmoothAndDequantize(ref short zigzag, ReadOnlySpan<int> d, in Lanes lanes, bool changeDc, int[] quant, Span<int> natural)
    {
        ref int dj0 = ref MemoryMarshal.GetReference(d[..25]);
        ref int w = ref MemoryMarshal.GetReference(changeDc ? WeightsNoAc : WeightsSomeAc);
        // Two independent sums, so that the additions do not wait on each other.
        var sum = Vector512.Create(Unsafe.Add(ref dj0, 24)) * Vector512.LoadUnsafe(ref w, 24 * 16);
        var odd = Vector512<int>.Zero;
        for (int j = 0; j < 24; j += 2)
        {
            sum += Vector512.Create(Unsafe.Add(ref dj0, j)) * Vector512.LoadUnsafe(ref w, (nuint)(j * 16));
            odd += Vector512.Create(Unsafe.Add(ref dj0, j + 1)) * Vector512.LoadUnsafe(ref w, (nuint)((j + 1) * 16));
        }

        sum += odd;
        var low = Vector512.LoadUnsafe(ref zigzag);
        var high = Vector512.LoadUnsafe(ref zigzag, 32);
        var q00 = Vector512.Create(lanes.StepDc);
        var estimates = Vector256.Create(
            Estimate(Avx512F.ConvertToVector512Double(sum.GetLower()), q00, lanes.StepLow, lanes.CapLow),
            Estimate(Avx512F.ConvertToVector512Double(sum.GetUpper()), q00, lanes.StepHigh, lanes.CapHigh));
        var estimated = lanes.Estimated & (Vector512.Equals(low, Vector512<short>.Zero) | lanes.Unconditional);
        low = Vector512.ConditionalSelect(estimated, Vector512.Create(estimates, Vector256<short>.Zero), low);
        BlockDequantizer.Dequantize(low, high, quant, natural);
    }

    // Predict on eight lanes: the rounded quotient of |q00 * num| by 256 q, capped, with num's sign, wrapped to 16 bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Estimate(Vector512<double> num, Vector512<double> q00, Vector512<double> q, Vector512<double> cap)
    {
        var dividend = (q * 128.0) + (q00 * Vector512.Abs(num));
        var magnitude = Vector512.Min(Vector512.Floor(dividend / (q * 256.0)), cap);
        var signed = Vector512.ConditionalSelect(Vector512.LessThan(num, Vector512<double>.Zero), -magnitude, magnitude);
        return Avx512F.ConvertToVector128Int16(Avx512DQ.ConvertToVector512Int64WithTruncation(signed));
    }

    private static void Numerators(ReadOnlySpan<int> d, ReadOnlySpan<int> weights, Span<int> num)
    {
        ref int dj0 = ref MemoryMarshal.GetReference(d[..25]);
        if (Vector512.IsHardwareAccelerated)
        {
            ref int w = ref MemoryMarshal.GetReference(weights);
            var sum = Vector512<int>.Zero;
            for (int j = 0; j < 25; j++)
            {
                sum += Vector512.Create(Unsafe.Add(ref dj0, j)) * Vector512.LoadUnsafe(ref w, (nuint)(j * 16));
            }

            sum.CopyTo(num);
            return;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            ref int w = ref MemoryMarshal.GetReference(weights);
            var low = Vector256<int>.Zero;
            var high = Vector256<int>.Zero;
            for (int j = 0; j < 25; j++)
            {
                var dj = Vector256.Create(Unsafe.Add(ref dj0, j));
                low += dj * Vector256.LoadUnsafe(ref w, (nuint)(j * 16));
                high += dj * Vector256.LoadUnsafe(ref w, (nuint)((j * 16) + 8));
            }

            low.CopyTo(num);
            high.CopyTo(num[8..]);
            return;
        }

        num.Clear();
        for (int j = 0; j < 25; j++)
        {
            for (int k = 0; k < 10; k++)
            {
                num[k] += d[j] * weights[(j * 16) + k];
            }
        }
    }

    // The weights of the DC window in each estimate's numerator, one row of 16 lanes per window position j (lane k:
    // zigzag coefficient k, lane 0 the DC), for blocks that have no AC data yet and for blocks that have some.
    internal static ReadOnlySpan<int> WeightsNoAc =>
    [
        -2, -1, -1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -6, -1, -3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -8, 0, -3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -6, 1, -3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -2, 1, -1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -6, -3, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        6, 13, 13, 2, 9, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
        42, 0, 38, 7, 0, -5, 0, -3, 0, 2, 0, 0, 0, 0, 0, 0,
        6, -13, 13, 2, -9, 2, -1, 1, -1, 1, 0, 0, 0, 0, 0, 0,
        -6, 3, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -8, -3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        42, 38, 0, -5, 0, 7, 2, 0, -3, 0, 0, 0, 0, 0, 0, 0,
        152, 0, 0, -14, 0, -14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        42, -38, 0, -5, 0, 7, -2, 0, 3, 0, 0, 0, 0, 0, 0, 0,
        -8, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -6, -3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        6, 13, -13, 2, -9, 2, 1, -1, 1, -1, 0, 0, 0, 0, 0, 0,
        42, 0, -38, 7, 0, -5, 0, 3, 0, -2, 0, 0, 0, 0, 0, 0,
        6, -13, -13, 2, 9, 2, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0,
        -6, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -2, -1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -6, -1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -8, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -6, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -2, 1, 1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    internal static ReadOnlySpan<int> WeightsSomeAc =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, -7, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 50, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, -10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, -7, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 50, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, -24, 0, -24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, -50, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 7, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, -10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, -50, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 7, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    // libjpeg's estimate: the rounded quotient, capped below 2^Al when only the low bits are unknown.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static short Predict(long num, long q, int al, double reciprocal)
    {
        // The quotient from a multiplication by the divisor's reciprocal, corrected by one where rounding put it off: the
        // dividends stay below 2^41, far inside a double's exact integers, so the estimate is never off by more. Written
        // without branches: whether an estimate rounds to zero is as good as random.
        long dividend = (q << 7) + Math.Abs(num), divisor = q << 8;
        long magnitude = (long)(dividend * reciprocal);
        magnitude -= magnitude * divisor > dividend ? 1 : 0;
        magnitude += (magnitude + 1) * divisor <= dividend ? 1 : 0;
        long cap = al > 0 ? (1L << al) - 1 : long.MaxValue;
        magnitude = Math.Min(magnitude, cap);
        return (short)(num >= 0 ? magnitude : -magnitude);
    }
}
