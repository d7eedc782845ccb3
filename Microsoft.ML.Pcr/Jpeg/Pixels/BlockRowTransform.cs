using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// Smoothing (where the image is smoothed), dequantization and the reduced 4x4 and 2x2 inverse DCTs for a whole block
/// row at once, eight blocks a step with one block per 32-bit lane (AVX2): the smoothing estimates the IDCT reads are
/// computed for every block of the row from five rows of the component's DC plane (only the nonzero window weights, no
/// per-block window), the eight blocks' coefficients are transposed into lanes eight zigzag positions at a time (groups
/// no scan coded, by <see cref="JpegComponent.SpectralBands"/>, are skipped), and both IDCT passes run without
/// transposes or branches. Output equals
/// <see cref="BlockSmoothing"/> followed by <see cref="InverseDct"/>: the first pass is exact in 32 bits whenever every
/// dequantized coefficient is below 2^14 in magnitude (checked per step; otherwise those blocks take the per-block
/// path), and the second pass may wrap because libjpeg's range limit keeps only bits that 32-bit arithmetic keeps too.
/// </summary>
[SkipLocalsInit]
internal sealed class BlockRowTransform
{
    private const int Lanes = 8;
    private const int SafeMagnitude = (1 << 14) - 1;

    // The natural positions each reduced IDCT reads: rows and columns {0,1,3,5,7} for 2x2, all but 4 for 4x4.
    private static readonly byte[] s_positions2 = Positions([0, 1, 3, 5, 7]);
    private static readonly byte[] s_positions4 = Positions([0, 1, 2, 3, 5, 6, 7]);

    // For the estimates of a block with no AC yet, the window features (see Terms) with nonzero weight and the weights,
    // estimate k's at [Starts[k], Starts[k + 1]): 41 terms for the ten estimates where the window has 119 nonzero weights.
    private static readonly (byte[] Features, int[] Weights, int[] Starts) s_featureTerms = Terms(BlockSmoothing.WeightsNoAc);

    // For the estimates of a block with some AC, the window positions (5 row + column) with nonzero weight and the
    // weights, estimate k's at [Starts[k], Starts[k + 1]): 30 in all, fewer multiplies than building the
    // features would cost.
    private static readonly (byte[] Positions, int[] Weights, int[] Starts) s_windowTerms = WindowTerms(BlockSmoothing.WeightsSomeAc);

    // Zigzag estimates 0-9 each IDCT size reads (2x2 skips natural row and column 2, so estimates 3, 5, 7 and 8).
    private static readonly int s_estimatesRead2 = EstimatesRead(s_positions2);
    private static readonly int s_estimatesRead4 = EstimatesRead(s_positions4);

    private int[] _dc = [];
    private int _dcStride;

    // What one step reads for the current component, resolved once per plan: natural positions whose coefficients
    // are zero in every block (dead), and those replaced by the smoothing estimate where zero (or always, for the DC
    // when no AC has arrived), with their zigzag position and quantization step; every other position is read as the
    // transpose dequantizes it, by the multiplier of its zigzag position (the step in the 16-bit half of a coefficient
    // pair it multiplies, 0 in the other). That needs every step to be a 16-bit signed value, as JpegPixelDecoder's
    // wrapped IDCT multipliers always are; other steps send the blocks to the per-block path.
    private readonly byte[] _dead = new byte[64];
    private readonly Read[] _estimated = new Read[64];
    private readonly int[] _pairSteps = new int[64];
    private bool _stepsFit;
    private int _deadCount, _estimatedCount, _resolvedSize;
    private int[] _estimates = [];
    private readonly int[] _rows = new int[5];
    private readonly double[] _caps = new double[ScanProgression.SavedCoefficients];
    private readonly double[] _steps = new double[ScanProgression.SavedCoefficients];
    private readonly Quotient[] _quotients = new Quotient[ScanProgression.SavedCoefficients];
    private readonly int[] _windowOffsets = new int[s_windowTerms.Positions.Length];

    /// <summary>
    /// The smoothing plan of component <paramref name="c"/> of a smoothed image, in this instance's buffers (valid until
    /// the next call); when anything is estimated, the component's DC values are gathered once here for every block row.
    /// </summary>
    /// <param name="c">The component.</param>
    /// <param name="q">The quantization table, natural order.</param>
    /// <param name="bits">The component's coefficient bits (10 values).</param>
    /// <param name="changeDc">Whether no AC coefficient has arrived at all.</param>
    /// <param name="smooth">Whether the image is smoothed at all (when not, nothing is estimated).</param>
    /// <param name="size">The IDCT size the rows will be transformed at, 2 or 4.</param>
    public Plan CreatePlan(JpegComponent c, ReadOnlySpan<int> q, ReadOnlySpan<int> bits, bool changeDc, bool smooth, int size)
    {
        var plan = new Plan(q, bits, changeDc, smooth, c.SpectralBands, _caps, _steps);
        for (int k = 0; k < _quotients.Length; k++)
        {
            _quotients[k] = new Quotient(_steps[0], _steps[k], _caps[k]);
        }

        if (plan.EstimatedMask != 0)
            GatherDc(c);
        ResolveReads(size == 2 ? s_positions2 : s_positions4, plan, q);
        _resolvedSize = size;
        return plan;
    }

    /// <summary>Whether the row transform runs here (AVX2: 32-bit lanes, transposes that dequantize by 16-bit multiply-adds).</summary>
    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>Whether a component of <paramref name="widthInBlocks"/> blocks at IDCT size <paramref name="size"/> takes this path.</summary>
    public static bool Applies(int size, int widthInBlocks) => IsSupported && size is 2 or 4 && widthInBlocks >= Lanes;

    private static byte[] Positions(ReadOnlySpan<int> used)
    {
        var list = new List<byte>();
        foreach (int r in used)
        {
            foreach (int c in used)
            {
                list.Add((byte)((r * 8) + c));
            }
        }

        return [.. list];
    }

    private static int EstimatesRead(byte[] positions)
    {
        int mask = 0;
        for (int k = 0; k < ScanProgression.SavedCoefficients; k++)
        {
            if (Array.IndexOf(positions, (byte)InverseDct.NaturalOrder[k]) >= 0)
                mask |= 1 << k;
        }

        return mask;
    }

    private static (byte[] Positions, int[] Weights, int[] Starts) WindowTerms(ReadOnlySpan<int> weights)
    {
        var positions = new List<byte>();
        var values = new List<int>();
        var starts = new int[ScanProgression.SavedCoefficients + 1];
        for (int k = 0; k < ScanProgression.SavedCoefficients; k++)
        {
            starts[k] = positions.Count;
            for (int j = 0; j < 25; j++)
            {
                int w = weights[(j * 16) + k];
                if (w != 0)
                {
                    positions.Add((byte)j);
                    values.Add(w);
                }
            }
        }

        starts[^1] = positions.Count;
        return ([.. positions], [.. values], starts);
    }

    // Every estimate's 5x5 window weights are even or odd about the window's middle row and, separately, its middle
    // column (as the DCT basis functions they approximate are), so each numerator is a combination of 25 window
    // features: vertical combination v (0: rows 0+4, 1: rows 1+3, 2: row 2, 3: rows 0-4, 4: rows 1-3) of horizontal
    // combination h (the same of the columns), feature 5v + h. An even estimate reads v or h 0-2, an odd one 3-4, with
    // the weight of the window position in row (v % 3), column (h % 3).
    private static (byte[] Features, int[] Weights, int[] Starts) Terms(ReadOnlySpan<int> weights)
    {
        var features = new List<byte>();
        var values = new List<int>();
        var starts = new int[ScanProgression.SavedCoefficients + 1];
        int[] table = weights.ToArray();
        for (int k = 0; k < ScanProgression.SavedCoefficients; k++)
        {
            starts[k] = features.Count;
            int W(int row, int col) => table[(((row * 5) + col) * 16) + k];
            bool verticalEven = true, verticalOdd = true, horizontalEven = true, horizontalOdd = true;
            for (int r = 0; r < 5; r++)
            {
                for (int col = 0; col < 5; col++)
                {
                    verticalEven &= W(r, col) == W(4 - r, col);
                    verticalOdd &= W(r, col) == -W(4 - r, col);
                    horizontalEven &= W(r, col) == W(r, 4 - col);
                    horizontalOdd &= W(r, col) == -W(r, 4 - col);
                }
            }

            if (!(verticalEven || verticalOdd) || !(horizontalEven || horizontalOdd))
                throw new InvalidOperationException($"smoothing weights of estimate {k} are neither even nor odd about the window's middle");

            int rows = verticalEven ? 3 : 2, cols = horizontalEven ? 3 : 2;
            for (int r = 0; r < rows; r++)
            {
                for (int col = 0; col < cols; col++)
                {
                    if (W(r, col) == 0)
                        continue;
                    features.Add((byte)((((verticalEven ? 0 : 3) + r) * 5) + (horizontalEven ? 0 : 3) + col));
                    values.Add(W(r, col));
                }
            }

        }

        starts[^1] = features.Count;
        return ([.. features], [.. values], starts);
    }

    /// <summary>The per-component smoothing plan: which zigzag coefficients are estimated, their caps and steps.</summary>
    public readonly struct Plan
    {
        /// <summary>Bit k set: zigzag coefficient k is estimated where it is zero (or always, for the DC when no AC has arrived).</summary>
        public readonly int EstimatedMask;

        /// <summary>Whether no AC coefficient has arrived at all (the DC is estimated unconditionally).</summary>
        public readonly bool ChangeDc;

        /// <summary>The cap on each estimate's magnitude (2^Al - 1, or no cap).</summary>
        public readonly double[] Caps;

        /// <summary>The quantization step of each zigzag coefficient 0-9.</summary>
        public readonly double[] Steps;

        /// <summary>Bit k set: zigzag coefficient k may be nonzero in some block (a scan covered it, or it is estimated);
        /// the others are zero everywhere and are not read.</summary>
        public readonly ulong Live;

        /// <summary>Builds the plan of a smoothed image's component from its quantization table (natural order) and coefficient bits.</summary>
        /// <param name="q">The quantization table, natural order.</param>
        /// <param name="bits">The component's coefficient bits (10 values).</param>
        /// <param name="changeDc">Whether no AC coefficient has arrived at all.</param>
        /// <param name="smooth">Whether the image is smoothed at all (when not, nothing is estimated).</param>
        /// <param name="bands">The component's <see cref="JpegComponent.SpectralBands"/>.</param>
        /// <param name="caps">10 values, written: the plan's <see cref="Caps"/>.</param>
        /// <param name="steps">10 values, written: the plan's <see cref="Steps"/>.</param>
        public Plan(ReadOnlySpan<int> q, ReadOnlySpan<int> bits, bool changeDc, bool smooth, ulong bands, double[] caps, double[] steps)
        {
            var natural = InverseDct.NaturalOrder;
            Caps = caps;
            Steps = steps;
            ChangeDc = smooth && changeDc;
            int mask = 0;
            int last = changeDc ? 9 : 5;
            for (int k = 0; k < ScanProgression.SavedCoefficients; k++)
            {
                Steps[k] = q[natural[k]];
                Caps[k] = double.PositiveInfinity;
                if (smooth && k >= 1 && k <= last && bits[k] != 0)
                {
                    mask |= 1 << k;
                    if (bits[k] > 0)
                        Caps[k] = (1L << bits[k]) - 1;
                }
            }

            if (ChangeDc)
                mask |= 1;
            EstimatedMask = mask;
            Live = bands | (uint)mask;
        }
    }

    /// <summary>
    /// Transforms block row <paramref name="by"/> of component <paramref name="c"/> into <paramref name="outRow"/>:
    /// smoothed (as <paramref name="plan"/> says), dequantized and inverse transformed at <paramref name="size"/>.
    /// </summary>
    /// <param name="c">The component.</param>
    /// <param name="by">The block row.</param>
    /// <param name="totalImcuRows">The image's iMCU rows (for the smoothing window's bottom edge).</param>
    /// <param name="plan">The component's smoothing plan, the latest this instance made.</param>
    /// <param name="quant">64 quantization steps, natural order.</param>
    /// <param name="size">The IDCT size, 2 or 4, as the plan was made for.</param>
    /// <param name="outRow">The first sample of the block row's output.</param>
    /// <param name="stride">The plane's row length.</param>
    public unsafe void TransformRow(JpegComponent c, int by, int totalImcuRows, in Plan plan, int[] quant, int size, ref byte outRow, int stride)
    {
        if (size != _resolvedSize)
            throw new ArgumentException($"The plan was made for IDCT size {_resolvedSize}, not {size}.", nameof(size));
        int width = c.WidthInBlocks;
        short[] coefs = c.RowArray(by, out int rowStart);
        int estimated = plan.EstimatedMask & (size == 2 ? s_estimatesRead2 : s_estimatesRead4);
        if (estimated != 0)
            Estimate(c, by, totalImcuRows, plan, estimated);

        Span<int> block = stackalloc int[64];
        Span<short> patched = stackalloc short[64];
        fixed (short* row = &coefs[rowStart])
        {
            for (int bx0 = 0; bx0 < width; bx0 += Lanes)
            {
                int start = Math.Min(bx0, width - Lanes);
                ref byte output = ref Unsafe.Add(ref outRow, start * size);
                bool done = size switch
                {
                    2 => Step2(row + (start * 64), start, width, plan, ref output, stride),
                    4 => Step4(row + (start * 64), start, width, plan, ref output, stride),
                    _ => false,
                };
                if (done)
                    continue;

                for (int b = start; b < start + Lanes; b++)
                {
                    ref short zigzag = ref Unsafe.AsRef<short>(row + (b * 64));
                    if (estimated != 0)
                    {
                        MemoryMarshal.CreateReadOnlySpan(ref zigzag, 64).CopyTo(patched);
                        for (int k = 0; k < ScanProgression.SavedCoefficients; k++)
                        {
                            if ((estimated & (1 << k)) != 0 && ((k == 0 && plan.ChangeDc) || patched[k] == 0))
                                patched[k] = (short)_estimates[(k * width) + b];
                        }

                        BlockDequantizer.Dequantize(ref MemoryMarshal.GetReference(patched), quant, block, always: true);
                    }
                    else
                    {
                        BlockDequantizer.Dequantize(ref zigzag, quant, block, always: true);
                    }

                    InverseDct.Transform(ref MemoryMarshal.GetReference(block), size, ref Unsafe.Add(ref outRow, b * size), stride);
                }
            }
        }
    }

    // The component's DC values, one padded row per block row (two replicated columns at each end, so the 5x5 window's
    // column for block b + s - 2 is at b + s), gathered once so that each block row's window reads five of these rows.
    private void GatherDc(JpegComponent c)
    {
        int width = c.WidthInBlocks, padded = width + 4, rows = c.BlockRows;
        if (_dc.Length < (long)rows * padded)
            _dc = new int[Math.Max((long)rows * padded, _dc.Length * 3L / 2)];
        _dcStride = padded;
        for (int y = 0; y < rows; y++)
        {
            short[] source = c.RowArray(y, out int offset);
            var dc = _dc.AsSpan(y * padded, padded);
            ref short first = ref source[offset];
            for (int x = 0; x < width; x++)
            {
                dc[x + 2] = Unsafe.Add(ref first, x * 64);
            }

            dc[0] = dc[1] = dc[2];
            dc[width + 2] = dc[width + 3] = dc[width + 1];
        }
    }

    // The estimates in <paramref name="estimated"/> of every block of the row, estimate k of block b at
    // _estimates[k * width + b], wrapped to 16 bits: in single precision, and again in double precision where some
    // dividend is beyond single precision's exact range (large quantization steps only).
    private void Estimate(JpegComponent c, int by, int totalImcuRows, in Plan plan, int estimated)
    {
        int width = c.WidthInBlocks;
        if (_estimates.Length < ScanProgression.SavedCoefficients * width)
            _estimates = new int[Math.Max(ScanProgression.SavedCoefficients * width, _estimates.Length * 3 / 2)];

        BlockSmoothing.NeighbourRows(by, c.VSamp, c.HeightInBlocks, totalImcuRows, _rows);
        for (int i = 0; i < _rows.Length; i++)
        {
            _rows[i] *= _dcStride;
        }

        if (!plan.ChangeDc)
        {
            var positions = s_windowTerms.Positions;
            for (int t = 0; t < positions.Length; t++)
            {
                _windowOffsets[t] = _rows[positions[t] / 5] + (positions[t] % 5);
            }
        }

        if (!EstimateRow<SingleQuotient>(width, estimated, plan.ChangeDc))
            EstimateRow<DoubleQuotient>(width, estimated, plan.ChangeDc);
    }

    // Estimate for one way of dividing; false when some dividend was beyond what TQuotient divides exactly.
    private bool EstimateRow<TQuotient>(int width, int estimated, bool features)
        where TQuotient : struct, IQuotient
    {
        ref int plane = ref MemoryMarshal.GetArrayDataReference(_dc);
        ref int est0 = ref MemoryMarshal.GetArrayDataReference(_estimates);
        ref int offsets = ref MemoryMarshal.GetArrayDataReference(_windowOffsets);
        ref int rows = ref MemoryMarshal.GetArrayDataReference(_rows);
        ref Quotient quotients = ref MemoryMarshal.GetArrayDataReference(_quotients);

        // The terms each estimate sums: window features (a step's, below) or DC values at their offsets in the plane.
        var (termSources, termWeights, termStarts) = features ? s_featureTerms : s_windowTerms;
        ref byte sources = ref MemoryMarshal.GetArrayDataReference(termSources);
        ref int weights = ref MemoryMarshal.GetArrayDataReference(termWeights);
        ref int starts = ref MemoryMarshal.GetArrayDataReference(termStarts);
        Unsafe.SkipInit(out Features window);
        ref var f = ref Unsafe.As<Features, Vector256<int>>(ref window);
        var beyond = Vector256<int>.Zero;
        for (int bx0 = 0; bx0 < width; bx0 += Lanes)
        {
            int start = Math.Min(bx0, width - Lanes);
            if (features)
                LoadFeatures(ref plane, start, ref rows, ref f);

            for (int k = 0; k < ScanProgression.SavedCoefficients; k++)
            {
                if ((estimated & (1 << k)) == 0)
                    continue;
                var num = Vector256<int>.Zero;
                int end = Unsafe.Add(ref starts, k + 1);
                if (features)
                {
                    for (int t = Unsafe.Add(ref starts, k); t < end; t++)
                    {
                        num += Unsafe.Add(ref f, Unsafe.Add(ref sources, t)) * Vector256.Create(Unsafe.Add(ref weights, t));
                    }
                }
                else
                {
                    for (int t = Unsafe.Add(ref starts, k); t < end; t++)
                    {
                        num += Vector256.LoadUnsafe(ref plane, (nuint)(Unsafe.Add(ref offsets, t) + start)) * Vector256.Create(Unsafe.Add(ref weights, t));
                    }
                }

                // libjpeg's estimate: (q << 7) + |q00 num| over q << 8, floored, capped, with num's sign (vpsignd zeroes
                // where num is 0, where the quotient is 0 anyway).
                var estimate = TQuotient.Divide(Vector256.Abs(num), Unsafe.Add(ref quotients, k), ref beyond);
                estimate = Avx2.Sign(estimate, num);
                Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(estimate, 16), 16).StoreUnsafe(ref est0, (nuint)((k * width) + start));
            }
        }

        return beyond == Vector256<int>.Zero;
    }

    // The 25 window features (see Terms) of eight blocks from the 5x5 windows of DC values starting at column start of
    // the five rows (at the plane offsets in rows): columns 0 and 4, then 1 and 3, combined vertically, then horizontally.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadFeatures(ref int plane, int start, ref int rows, ref Vector256<int> f)
    {
        ref int row0 = ref Unsafe.Add(ref plane, Unsafe.Add(ref rows, 0) + start);
        ref int row1 = ref Unsafe.Add(ref plane, Unsafe.Add(ref rows, 1) + start);
        ref int row2 = ref Unsafe.Add(ref plane, Unsafe.Add(ref rows, 2) + start);
        ref int row3 = ref Unsafe.Add(ref plane, Unsafe.Add(ref rows, 3) + start);
        ref int row4 = ref Unsafe.Add(ref plane, Unsafe.Add(ref rows, 4) + start);
        Pair(ref row0, ref row1, ref row2, ref row3, ref row4, 0, ref f);
        Pair(ref row0, ref row1, ref row2, ref row3, ref row4, 1, ref f);
        var r0 = Vector256.LoadUnsafe(ref row0, 2);
        var r1 = Vector256.LoadUnsafe(ref row1, 2);
        var r3 = Vector256.LoadUnsafe(ref row3, 2);
        var r4 = Vector256.LoadUnsafe(ref row4, 2);
        Unsafe.Add(ref f, 2) = r0 + r4;
        Unsafe.Add(ref f, 7) = r1 + r3;
        Unsafe.Add(ref f, 12) = Vector256.LoadUnsafe(ref row2, 2);
        Unsafe.Add(ref f, 17) = r0 - r4;
        Unsafe.Add(ref f, 22) = r1 - r3;

        // Features h and h + 3 (columns h and 4 - h, summed and differenced) of every vertical combination.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Pair(ref int row0, ref int row1, ref int row2, ref int row3, ref int row4, nuint h, ref Vector256<int> f)
        {
            nuint right = 4 - h;
            var l0 = Vector256.LoadUnsafe(ref row0, h);
            var l1 = Vector256.LoadUnsafe(ref row1, h);
            var l3 = Vector256.LoadUnsafe(ref row3, h);
            var l4 = Vector256.LoadUnsafe(ref row4, h);
            var r0 = Vector256.LoadUnsafe(ref row0, right);
            var r1 = Vector256.LoadUnsafe(ref row1, right);
            var r3 = Vector256.LoadUnsafe(ref row3, right);
            var r4 = Vector256.LoadUnsafe(ref row4, right);
            Store(l0 + l4, r0 + r4, 0, h, ref f);
            Store(l1 + l3, r1 + r3, 5, h, ref f);
            Store(Vector256.LoadUnsafe(ref row2, h), Vector256.LoadUnsafe(ref row2, right), 10, h, ref f);
            Store(l0 - l4, r0 - r4, 15, h, ref f);
            Store(l1 - l3, r1 - r3, 20, h, ref f);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Store(Vector256<int> left, Vector256<int> right, nuint v, nuint h, ref Vector256<int> f)
        {
            Unsafe.Add(ref f, v + h) = left + right;
            Unsafe.Add(ref f, v + h + 3) = left - right;
        }
    }

    /// <summary>One way of dividing libjpeg's smoothing dividends for eight blocks.</summary>
    internal interface IQuotient
    {
        /// <summary>The capped quotients of (q &lt;&lt; 7) + q00 <paramref name="magnitude"/> over q &lt;&lt; 8.</summary>
        /// <param name="magnitude">The numerators' magnitudes, one block per lane.</param>
        /// <param name="quotient">The estimate's steps and cap.</param>
        /// <param name="beyond">Lanes set (others kept) where this way is not exact.</param>
        static abstract Vector256<int> Divide(Vector256<int> magnitude, in Quotient quotient, ref Vector256<int> beyond);
    }

    /// <summary>
    /// Division in single precision, without a divide: where the dividend is at most 2^22 - 64 (the magnitude at most
    /// <see cref="Quotient.SingleLimit"/>), dividend + 1/2 is exact in single precision, and times the rounded reciprocal
    /// of the divisor d = q &lt;&lt; 8 it is within a relative 2^-23 of (dividend + 1/2) / d, which is at least 1 / (2d)
    /// from an integer: it floors to the exact quotient.
    /// </summary>
    internal readonly struct SingleQuotient : IQuotient
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Divide(Vector256<int> magnitude, in Quotient quotient, ref Vector256<int> beyond)
        {
            beyond |= Vector256.GreaterThan(magnitude, Vector256.Create(quotient.SingleLimit));
            var dividend = (Avx.ConvertToVector256Single(magnitude) * Vector256.Create(quotient.DcStep)) + Vector256.Create(quotient.Half);
            var floored = Avx.Floor(dividend * Vector256.Create(quotient.Reciprocal));
            return Avx.ConvertToVector256Int32WithTruncation(Avx.Min(floored, Vector256.Create(quotient.Cap)));
        }
    }

    /// <summary>Division in double precision, exact for every dividend: each is an integer below 2^48, so its correctly
    /// rounded quotient floors to the exact one.</summary>
    internal readonly struct DoubleQuotient : IQuotient
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Divide(Vector256<int> magnitude, in Quotient quotient, ref Vector256<int> beyond)
        {
            var dcStep = Vector256.Create(quotient.WideDcStep);
            var half = Vector256.Create(quotient.WideHalf);
            var divisor = Vector256.Create(quotient.WideDivisor);
            var cap = Vector256.Create(quotient.WideCap);
            var low = Avx.Min(Avx.Floor((half + (dcStep * Avx.ConvertToVector256Double(magnitude.GetLower()))) / divisor), cap);
            var high = Avx.Min(Avx.Floor((half + (dcStep * Avx.ConvertToVector256Double(magnitude.GetUpper()))) / divisor), cap);
            return Vector256.Create(Avx.ConvertToVector128Int32WithTruncation(low), Avx.ConvertToVector128Int32WithTruncation(high));
        }
    }

    private static Vector256<int> Round(Vector256<int> x, [System.Diagnostics.CodeAnalysis.ConstantExpected] int shift) =>
        Vector256.ShiftRightArithmetic(x + Vector256.Create(1 << (shift - 1)), shift);

    // libjpeg's range limit on a descaled value: keep 10 bits as a signed value, add 128, clamp to a byte.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Limit(Vector256<int> x)
    {
        var t = Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(x, 22), 22) + Vector256.Create(128);
        return Vector256.Min(Vector256.Max(t, Vector256<int>.Zero), Vector256.Create(255));
    }

    private void ResolveReads(byte[] positions, in Plan plan, ReadOnlySpan<int> quant)
    {
        var zigzagOf = BlockDequantizer.ZigzagOfNatural;
        var natural = InverseDct.NaturalOrder;
        _deadCount = _estimatedCount = 0;
        foreach (byte p in positions)
        {
            int z = zigzagOf[p];
            if (((plan.Live >> z) & 1) == 0)
            {
                _dead[_deadCount++] = p;
            }
            else if (z < ScanProgression.SavedCoefficients && (plan.EstimatedMask & (1 << z)) != 0)
            {
                _estimated[_estimatedCount++] = new Read(p, z, quant[p]);
            }
        }

        _stepsFit = true;
        for (int z = 0; z < 64; z++)
        {
            int step = quant[natural[z]];
            _stepsFit &= step >= short.MinValue && step <= short.MaxValue;
            _pairSteps[z] = (z & 1) == 0 ? step & 0xFFFF : step << 16;
        }
    }

    // Loads the natural positions an IDCT reads into x (transposed, dequantized, estimated where the plan says); false
    // when one is too large for the 32-bit first pass, or a quantization step too large for the 16-bit multiply (then
    // the blocks take the per-block path). The eight blocks' zigzag coefficients are transposed eight positions at a
    // time: the positions are taken in pairs, one 32-bit value each, so that a 4x4 transpose of 32-bit values (blocks b
    // and b + 4 sharing a register) puts pair q of every block in one register; one multiply-add of 16-bit halves
    // then sign-extends and dequantizes each position of the pair, stored at its natural position. Groups of eight
    // positions none of which is live are skipped (what they hold that a step reads is in the dead list). Every index
    // below is a natural or zigzag position (0-63) and x holds 64 vectors, so the code indexes by reference.
    private unsafe bool LoadPositions(short* blocks, int start, int width, in Plan plan, Span<Vector256<int>> x)
    {
        if (!_stepsFit)
            return false;
        var max = Vector256<int>.Zero;
        ref var x0 = ref MemoryMarshal.GetReference(x[..64]);
        ref int pairSteps = ref MemoryMarshal.GetArrayDataReference(_pairSteps);
        ref byte natural = ref MemoryMarshal.GetReference(InverseDct.NaturalOrder[..64]);
        ulong live = plan.Live;
        for (int g = 0; g < 8; g++)
        {
            if (((live >> (g * 8)) & 0xFF) == 0)
                continue;
            short* p = blocks + (g * 8);
            var r0 = Vector256.Create(Vector128.Load(p).AsInt32(), Vector128.Load(p + 256).AsInt32());
            var r1 = Vector256.Create(Vector128.Load(p + 64).AsInt32(), Vector128.Load(p + 320).AsInt32());
            var r2 = Vector256.Create(Vector128.Load(p + 128).AsInt32(), Vector128.Load(p + 384).AsInt32());
            var r3 = Vector256.Create(Vector128.Load(p + 192).AsInt32(), Vector128.Load(p + 448).AsInt32());
            var t0 = Avx2.UnpackLow(r0, r1).AsInt64();
            var t1 = Avx2.UnpackHigh(r0, r1).AsInt64();
            var t2 = Avx2.UnpackLow(r2, r3).AsInt64();
            var t3 = Avx2.UnpackHigh(r2, r3).AsInt64();
            // The group's steps and natural positions, so that the four pairs index them by constants.
            ref int groupSteps = ref Unsafe.Add(ref pairSteps, g * 8);
            ref byte groupNatural = ref Unsafe.Add(ref natural, g * 8);
            max = Dequantize(Avx2.UnpackLow(t0, t2).AsInt16(), 0, ref x0, ref groupSteps, ref groupNatural, max);
            max = Dequantize(Avx2.UnpackHigh(t0, t2).AsInt16(), 2, ref x0, ref groupSteps, ref groupNatural, max);
            max = Dequantize(Avx2.UnpackLow(t1, t3).AsInt16(), 4, ref x0, ref groupSteps, ref groupNatural, max);
            max = Dequantize(Avx2.UnpackHigh(t1, t3).AsInt16(), 6, ref x0, ref groupSteps, ref groupNatural, max);
        }

        ref byte dead = ref MemoryMarshal.GetArrayDataReference(_dead);
        for (int i = 0, n = _deadCount; i < n; i++)
        {
            Unsafe.Add(ref x0, Unsafe.Add(ref dead, i)) = Vector256<int>.Zero;
        }

        // An estimated position's dequantized value is zero exactly where its coefficient is (or its step is zero, where
        // the estimate dequantizes to zero too).
        ref int estimates = ref MemoryMarshal.GetArrayDataReference(_estimates);
        ref Read estimated = ref MemoryMarshal.GetArrayDataReference(_estimated);
        for (int i = 0, n = _estimatedCount; i < n; i++)
        {
            ref readonly Read read = ref Unsafe.Add(ref estimated, i);
            int z = read.Zigzag;
            ref var at = ref Unsafe.Add(ref x0, read.Natural);
            var estimate = Vector256.LoadUnsafe(ref estimates, (nuint)((z * width) + start)) * Vector256.Create(read.Step);
            var use = z == 0 && plan.ChangeDc ? Vector256<int>.AllBitsSet : Vector256.Equals(at, Vector256<int>.Zero);
            var v = Vector256.ConditionalSelect(use, estimate, at);
            max = Vector256.Max(max, Vector256.Abs(v));
            at = v;
        }

        return !Vector256.GreaterThanAny(max, Vector256.Create(SafeMagnitude));

        // Zigzag positions z and z + 1 of the group (from its steps and natural positions) in the eight blocks (a 16-bit
        // pair per lane), dequantized into their natural places.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<int> Dequantize(Vector256<short> pair, int z, ref Vector256<int> x0, ref int pairSteps, ref byte natural, Vector256<int> max)
        {
            var even = Avx2.MultiplyAddAdjacent(pair, Vector256.Create(Unsafe.Add(ref pairSteps, z)).AsInt16());
            var odd = Avx2.MultiplyAddAdjacent(pair, Vector256.Create(Unsafe.Add(ref pairSteps, z + 1)).AsInt16());
            Unsafe.Add(ref x0, Unsafe.Add(ref natural, z)) = even;
            Unsafe.Add(ref x0, Unsafe.Add(ref natural, z + 1)) = odd;
            return Vector256.Max(max, Vector256.Max(Vector256.Abs(even), Vector256.Abs(odd)));
        }
    }

    // One position a step reads: its natural and zigzag positions and its quantization step.
    private readonly record struct Read(int Natural, int Zigzag, int Step);

    /// <summary>One estimate's steps and cap as <see cref="SingleQuotient"/> (single precision) and
    /// <see cref="DoubleQuotient"/> (the Wide fields) read them.</summary>
    internal readonly struct Quotient
    {
        /// <summary>q00, (q &lt;&lt; 7) + 1/2, the rounded reciprocal of q &lt;&lt; 8 and the cap, in single precision.</summary>
        public readonly float DcStep, Half, Reciprocal, Cap;

        /// <summary>The largest numerator magnitude whose dividend, (q &lt;&lt; 7) + q00 |num|, is at most 2^22 - 64; -1
        /// where none is (quantization steps of 2^15 and more).</summary>
        public readonly int SingleLimit;

        /// <summary>q00, q &lt;&lt; 7, q &lt;&lt; 8 and the cap in double precision.</summary>
        public readonly double WideDcStep, WideHalf, WideDivisor, WideCap;

        /// <summary>The constants for an estimate of quantization step <paramref name="step"/>.</summary>
        /// <param name="dcStep">The DC's quantization step, q00.</param>
        /// <param name="step">The estimated coefficient's step, q.</param>
        /// <param name="cap">The cap on the estimate (2^Al - 1, or infinity).</param>
        public Quotient(double dcStep, double step, double cap)
        {
            double room = (1 << 22) - 64 - (step * 128.0);
            SingleLimit = room < 0 || dcStep <= 0 ? -1 : (int)Math.Min(int.MaxValue, Math.Floor(room / dcStep));
            DcStep = (float)dcStep;
            Half = (float)((step * 128.0) + 0.5);
            Reciprocal = (float)(1.0 / (step * 256.0));
            Cap = (float)cap;
            WideDcStep = dcStep;
            WideHalf = step * 128.0;
            WideDivisor = step * 256.0;
            WideCap = cap;
        }
    }

    // The 25 window features of eight blocks (see Terms).
    [InlineArray(25)]
    private struct Features
    {
        private Vector256<int> _first;
    }

    private unsafe bool Step2(short* blocks, int start, int width, in Plan plan, ref byte output, int stride)
    {
        Span<Vector256<int>> x = stackalloc Vector256<int>[64];
        if (!LoadPositions(blocks, start, width, plan, x))
            return false;

        // Pass 1 on columns 0, 1, 3, 5, 7 (into rows 0 and 1 of x), then pass 2 on both rows.
        var c7 = Vector256.Create(-5906);
        var c5 = Vector256.Create(6967);
        var c3 = Vector256.Create(-10426);
        var c1 = Vector256.Create(29692);
        foreach (int col in (ReadOnlySpan<int>)[0, 1, 3, 5, 7])
        {
            var tmp10 = Vector256.ShiftLeft(x[col], 15);
            var tmp0 = (x[56 + col] * c7) + (x[40 + col] * c5) + (x[24 + col] * c3) + (x[8 + col] * c1);
            x[col] = Round(tmp10 + tmp0, 13);
            x[8 + col] = Round(tmp10 - tmp0, 13);
        }

        for (int r = 0; r < 2; r++)
        {
            int w = r * 8;
            var tmp10 = Vector256.ShiftLeft(x[w], 15);
            var tmp0 = (x[w + 7] * c7) + (x[w + 5] * c5) + (x[w + 3] * c3) + (x[w + 1] * c1);
            var left = Limit(Round(tmp10 + tmp0, 20));
            var right = Limit(Round(tmp10 - tmp0, 20));
            var pairs = (left | Vector256.ShiftLeft(right, 8)).AsUInt32();
            Vector256.Narrow(pairs, pairs).GetLower().StoreUnsafe(ref Unsafe.As<byte, ushort>(ref Unsafe.Add(ref output, r * stride)));
        }

        return true;
    }

    private unsafe bool Step4(short* blocks, int start, int width, in Plan plan, ref byte output, int stride)
    {
        Span<Vector256<int>> x = stackalloc Vector256<int>[64];
        if (!LoadPositions(blocks, start, width, plan, x))
            return false;

        // Pass 1 on every column but 4 (into rows 0-3 of x), then pass 2 on the four rows.
        foreach (int col in (ReadOnlySpan<int>)[0, 1, 2, 3, 5, 6, 7])
        {
            Pass4(x[col], x[8 + col], x[16 + col], x[24 + col], x[40 + col], x[48 + col], x[56 + col],
                out var o0, out var o1, out var o2, out var o3);
            x[col] = Round(o0, 12);
            x[8 + col] = Round(o1, 12);
            x[16 + col] = Round(o2, 12);
            x[24 + col] = Round(o3, 12);
        }

        for (int r = 0; r < 4; r++)
        {
            int w = r * 8;
            Pass4(x[w], x[w + 1], x[w + 2], x[w + 3], x[w + 5], x[w + 6], x[w + 7], out var o0, out var o1, out var o2, out var o3);
            var samples = Limit(Round(o0, 19)) | Vector256.ShiftLeft(Limit(Round(o1, 19)), 8) |
                Vector256.ShiftLeft(Limit(Round(o2, 19)), 16) | Vector256.ShiftLeft(Limit(Round(o3, 19)), 24);
            samples.StoreUnsafe(ref Unsafe.As<byte, int>(ref Unsafe.Add(ref output, r * stride)));
        }

        return true;
    }

    // One 4-point pass of libjpeg's reduced IDCT (jidctred.c's 4x4) before descaling: frequencies 0-3, 5-7 in, samples 0-3 out.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pass4(Vector256<int> x0, Vector256<int> x1, Vector256<int> x2, Vector256<int> x3, Vector256<int> x5,
        Vector256<int> x6, Vector256<int> x7, out Vector256<int> o0, out Vector256<int> o1, out Vector256<int> o2, out Vector256<int> o3)
    {
        var tmp0 = Vector256.ShiftLeft(x0, 14);
        var tmp2 = (x2 * Vector256.Create(15137)) + (x6 * Vector256.Create(-6270));
        var tmp10 = tmp0 + tmp2;
        var tmp12 = tmp0 - tmp2;
        var odd0 = (x7 * Vector256.Create(-1730)) + (x5 * Vector256.Create(11893)) + (x3 * Vector256.Create(-17799)) + (x1 * Vector256.Create(8697));
        var odd2 = (x7 * Vector256.Create(-4176)) + (x5 * Vector256.Create(-4926)) + (x3 * Vector256.Create(7373)) + (x1 * Vector256.Create(20995));
        o0 = tmp10 + odd2;
        o3 = tmp10 - odd2;
        o1 = tmp12 + odd0;
        o2 = tmp12 - odd0;
    }
}
