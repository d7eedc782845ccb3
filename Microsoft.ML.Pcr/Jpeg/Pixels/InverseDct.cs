using System.Runtime.CompilerServices;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// Dequantization and integer inverse DCTs producing 8x8, 4x4, 2x2 and 1x1 sample blocks, with the arithmetic of
/// libjpeg-turbo's "islow" method (jidctint.c) and its reduced-size variants (jidctred.c): 13-bit fixed-point
/// constants, two passes with 2 extra bits between them, and its post-IDCT range limit, so that the samples equal
/// libjpeg-turbo's bit for bit. Coefficients arrive in natural (row-major) order with the quantization table in the
/// same order.
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit]
internal static class InverseDct
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref int At(ref int p, int i) => ref Unsafe.Add(ref p, i);

    private const int ConstBits = 13;
    private const int Pass1Bits = 2;

    private const long Fix0_211164243 = 1730; // FIX(0.211164243): round(0.211164243 * 2^13)
    private const long Fix0_298631336 = 2446; // FIX(0.298631336): round(0.298631336 * 2^13)
    private const long Fix0_390180644 = 3196; // FIX(0.390180644): round(0.390180644 * 2^13)
    private const long Fix0_509795579 = 4176; // FIX(0.509795579): round(0.509795579 * 2^13)
    private const long Fix0_541196100 = 4433; // FIX(0.541196100): round(0.541196100 * 2^13)
    private const long Fix0_601344887 = 4926; // FIX(0.601344887): round(0.601344887 * 2^13)
    private const long Fix0_720959822 = 5906; // FIX(0.720959822): round(0.720959822 * 2^13)
    private const long Fix0_765366865 = 6270; // FIX(0.765366865): round(0.765366865 * 2^13)
    private const long Fix0_850430095 = 6967; // FIX(0.850430095): round(0.850430095 * 2^13)
    private const long Fix0_899976223 = 7373; // FIX(0.899976223): round(0.899976223 * 2^13)
    private const long Fix1_061594337 = 8697; // FIX(1.061594337): round(1.061594337 * 2^13)
    private const long Fix1_175875602 = 9633; // FIX(1.175875602): round(1.175875602 * 2^13)
    private const long Fix1_272758580 = 10426; // FIX(1.272758580): round(1.272758580 * 2^13)
    private const long Fix1_451774981 = 11893; // FIX(1.451774981): round(1.451774981 * 2^13)
    private const long Fix1_501321110 = 12299; // FIX(1.501321110): round(1.501321110 * 2^13)
    private const long Fix1_847759065 = 15137; // FIX(1.847759065): round(1.847759065 * 2^13)
    private const long Fix1_961570560 = 16069; // FIX(1.961570560): round(1.961570560 * 2^13)
    private const long Fix2_053119869 = 16819; // FIX(2.053119869): round(2.053119869 * 2^13)
    private const long Fix2_172734803 = 17799; // FIX(2.172734803): round(2.172734803 * 2^13)
    private const long Fix2_562915447 = 20995; // FIX(2.562915447): round(2.562915447 * 2^13)
    private const long Fix3_072711026 = 25172; // FIX(3.072711026): round(3.072711026 * 2^13)
    private const long Fix3_624509785 = 29692; // FIX(3.624509785): round(3.624509785 * 2^13)

    /// <summary>Natural-order index of each zigzag position k.</summary>
    public static ReadOnlySpan<byte> NaturalOrder =>
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Descale(long x, int n) => (x + (1L << (n - 1))) >> n;

    /// <summary>libjpeg's post-IDCT range limit: the value wraps modulo 1024 (as a signed -512..511), then +128 and clamps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Limit(long x)
    {
        int t = (int)(x & 1023);
        if (t >= 512)
        {
            t -= 1024;
        }

        t += 128;
        return (byte)(t < 0 ? 0 : t > 255 ? 255 : t);
    }

    /// <summary>Transforms one block to <paramref name="size"/> x <paramref name="size"/> samples (size 8, 4, 2 or 1).</summary>
    /// <param name="block">64 dequantized coefficients (coefficient times quantization step), natural order.</param>
    /// <param name="size">The output block size.</param>
    /// <param name="output">Where the first sample goes; the caller guarantees <paramref name="size"/> rows of
    /// <paramref name="size"/> samples fit at <paramref name="stride"/>.</param>
    /// <param name="stride">Distance between output rows.</param>
    public static void Transform(ref int block, int size, ref byte output, int stride)
    {
        switch (size)
        {
            case 8:
                Idct8x8(ref block, ref output, stride);
                break;
            case 4:
                Idct4x4(ref block, ref output, stride);
                break;
            case 2:
                Idct2x2(ref block, ref output, stride);
                break;
            default:
                output = DcOnly(block);
                break;
        }
    }

    /// <summary>
    /// The samples of a block whose AC coefficients are all zero, at any size: every IDCT (and libjpeg's shortcuts for
    /// zero columns and rows) reduces to one eighth of the dequantized DC, rounded, plus 128.
    /// </summary>
    /// <param name="dequantizedDc">The DC coefficient times its quantization step.</param>
    public static byte DcOnly(long dequantizedDc) => Limit(Descale(dequantizedDc, 3));

    /// <summary>Fills a <paramref name="size"/> x <paramref name="size"/> block of samples with one value.</summary>
    public static void Fill(byte value, int size, ref byte output, int stride)
    {
        for (int r = 0; r < size; r++)
        {
            Unsafe.InitBlockUnaligned(ref Unsafe.Add(ref output, r * stride), value, (uint)size);
        }
    }

    private static void Idct8x8(ref int c, ref byte output, int stride)
    {
        if (Avx2.IsSupported)
        {
            Idct8x8Vector(ref c, ref output, stride);
            return;
        }

        Span<int> wsSpan = stackalloc int[64];
        ref int ws = ref MemoryMarshal.GetReference(wsSpan);
        for (int col = 0; col < 8; col++)
        {
            if (At(ref c, 8 + col) == 0 && At(ref c, 16 + col) == 0 && At(ref c, 24 + col) == 0 && At(ref c, 32 + col) == 0 &&
                At(ref c, 40 + col) == 0 && At(ref c, 48 + col) == 0 && At(ref c, 56 + col) == 0)
            {
                int dc = At(ref c, col) << Pass1Bits;
                for (int r = 0; r < 8; r++)
                {
                    At(ref ws, (r * 8) + col) = dc;
                }

                continue;
            }

            long z2 = (long)At(ref c, 16 + col);
            long z3 = (long)At(ref c, 48 + col);
            long z1 = (z2 + z3) * Fix0_541196100;
            long tmp2 = z1 + (z3 * -Fix1_847759065);
            long tmp3 = z1 + (z2 * Fix0_765366865);
            z2 = (long)At(ref c, col);
            z3 = (long)At(ref c, 32 + col);
            long tmp0 = (z2 + z3) << ConstBits;
            long tmp1 = (z2 - z3) << ConstBits;
            long tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

            tmp0 = (long)At(ref c, 56 + col);
            tmp1 = (long)At(ref c, 40 + col);
            tmp2 = (long)At(ref c, 24 + col);
            tmp3 = (long)At(ref c, 8 + col);
            Odd8(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int s = ConstBits - Pass1Bits;
            At(ref ws, col) = (int)Descale(tmp10 + tmp3, s);
            At(ref ws, 56 + col) = (int)Descale(tmp10 - tmp3, s);
            At(ref ws, 8 + col) = (int)Descale(tmp11 + tmp2, s);
            At(ref ws, 48 + col) = (int)Descale(tmp11 - tmp2, s);
            At(ref ws, 16 + col) = (int)Descale(tmp12 + tmp1, s);
            At(ref ws, 40 + col) = (int)Descale(tmp12 - tmp1, s);
            At(ref ws, 24 + col) = (int)Descale(tmp13 + tmp0, s);
            At(ref ws, 32 + col) = (int)Descale(tmp13 - tmp0, s);
        }

        for (int row = 0; row < 8; row++)
        {
            ref int w = ref At(ref ws, row * 8);
            ref byte o = ref Unsafe.Add(ref output, row * stride);
            if (At(ref w, 1) == 0 && At(ref w, 2) == 0 && At(ref w, 3) == 0 && At(ref w, 4) == 0 && At(ref w, 5) == 0 && At(ref w, 6) == 0 && At(ref w, 7) == 0)
            {
                Unsafe.InitBlockUnaligned(ref o, Limit(Descale(At(ref w, 0), Pass1Bits + 3)), 8);
                continue;
            }

            long z2 = At(ref w, 2), z3 = At(ref w, 6);
            long z1 = (z2 + z3) * Fix0_541196100;
            long tmp2 = z1 + (z3 * -Fix1_847759065);
            long tmp3 = z1 + (z2 * Fix0_765366865);
            long tmp0 = ((long)At(ref w, 0) + At(ref w, 4)) << ConstBits;
            long tmp1 = ((long)At(ref w, 0) - At(ref w, 4)) << ConstBits;
            long tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
            tmp0 = At(ref w, 7);
            tmp1 = At(ref w, 5);
            tmp2 = At(ref w, 3);
            tmp3 = At(ref w, 1);
            Odd8(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int s = ConstBits + Pass1Bits + 3;
            Unsafe.Add(ref o, 0) = Limit(Descale(tmp10 + tmp3, s));
            Unsafe.Add(ref o, 7) = Limit(Descale(tmp10 - tmp3, s));
            Unsafe.Add(ref o, 1) = Limit(Descale(tmp11 + tmp2, s));
            Unsafe.Add(ref o, 6) = Limit(Descale(tmp11 - tmp2, s));
            Unsafe.Add(ref o, 2) = Limit(Descale(tmp12 + tmp1, s));
            Unsafe.Add(ref o, 5) = Limit(Descale(tmp12 - tmp1, s));
            Unsafe.Add(ref o, 3) = Limit(Descale(tmp13 + tmp0, s));
            Unsafe.Add(ref o, 4) = Limit(Descale(tmp13 - tmp0, s));
        }
    }

    // The 8x8 islow IDCT on eight columns (then, transposed, eight rows) at once in 32-bit lanes, as libjpeg-turbo's
    // own AVX2 version computes it. It omits the scalar path's zero-column and zero-row shortcuts, which give the
    // same values as the full computation; the products fit in 32 bits for any coefficients a real encoder writes.
    private static void Idct8x8Vector(ref int c, ref byte output, int stride)
    {
        var x0 = Vector256.LoadUnsafe(ref c);
        var x1 = Vector256.LoadUnsafe(ref c, 8);
        var x2 = Vector256.LoadUnsafe(ref c, 16);
        var x3 = Vector256.LoadUnsafe(ref c, 24);
        var x4 = Vector256.LoadUnsafe(ref c, 32);
        var x5 = Vector256.LoadUnsafe(ref c, 40);
        var x6 = Vector256.LoadUnsafe(ref c, 48);
        var x7 = Vector256.LoadUnsafe(ref c, 56);
        Pass8(ref x0, ref x1, ref x2, ref x3, ref x4, ref x5, ref x6, ref x7, ConstBits - Pass1Bits);
        Transpose8(ref x0, ref x1, ref x2, ref x3, ref x4, ref x5, ref x6, ref x7);
        Pass8(ref x0, ref x1, ref x2, ref x3, ref x4, ref x5, ref x6, ref x7, ConstBits + Pass1Bits + 3);
        x0 = LimitVector(x0);
        x1 = LimitVector(x1);
        x2 = LimitVector(x2);
        x3 = LimitVector(x3);
        x4 = LimitVector(x4);
        x5 = LimitVector(x5);
        x6 = LimitVector(x6);
        x7 = LimitVector(x7);
        Transpose8(ref x0, ref x1, ref x2, ref x3, ref x4, ref x5, ref x6, ref x7);
        StoreRow(x0, ref output);
        StoreRow(x1, ref Unsafe.Add(ref output, stride));
        StoreRow(x2, ref Unsafe.Add(ref output, 2 * stride));
        StoreRow(x3, ref Unsafe.Add(ref output, 3 * stride));
        StoreRow(x4, ref Unsafe.Add(ref output, 4 * stride));
        StoreRow(x5, ref Unsafe.Add(ref output, 5 * stride));
        StoreRow(x6, ref Unsafe.Add(ref output, 6 * stride));
        StoreRow(x7, ref Unsafe.Add(ref output, 7 * stride));
    }

    // One 1-D pass of the islow IDCT: inputs are the eight frequencies, outputs the eight samples, descaled by shift.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pass8(ref Vector256<int> x0, ref Vector256<int> x1, ref Vector256<int> x2, ref Vector256<int> x3,
        ref Vector256<int> x4, ref Vector256<int> x5, ref Vector256<int> x6, ref Vector256<int> x7, [ConstantExpected] int shift)
    {
        var z1 = (x2 + x6) * Vector256.Create((int)Fix0_541196100);
        var tmp2 = z1 + (x6 * Vector256.Create((int)-Fix1_847759065));
        var tmp3 = z1 + (x2 * Vector256.Create((int)Fix0_765366865));
        var tmp0 = Vector256.ShiftLeft(x0 + x4, ConstBits);
        var tmp1 = Vector256.ShiftLeft(x0 - x4, ConstBits);
        var tmp10 = tmp0 + tmp3;
        var tmp13 = tmp0 - tmp3;
        var tmp11 = tmp1 + tmp2;
        var tmp12 = tmp1 - tmp2;

        // The odd part: inputs x7, x5, x3, x1.
        var o1 = x7 + x1;
        var o2 = x5 + x3;
        var o3 = x7 + x3;
        var o4 = x5 + x1;
        var z5 = (o3 + o4) * Vector256.Create((int)Fix1_175875602);
        var t0 = x7 * Vector256.Create((int)Fix0_298631336);
        var t1 = x5 * Vector256.Create((int)Fix2_053119869);
        var t2 = x3 * Vector256.Create((int)Fix3_072711026);
        var t3 = x1 * Vector256.Create((int)Fix1_501321110);
        o1 *= Vector256.Create((int)-Fix0_899976223);
        o2 *= Vector256.Create((int)-Fix2_562915447);
        o3 = (o3 * Vector256.Create((int)-Fix1_961570560)) + z5;
        o4 = (o4 * Vector256.Create((int)-Fix0_390180644)) + z5;
        t0 += o1 + o3;
        t1 += o2 + o4;
        t2 += o2 + o3;
        t3 += o1 + o4;

        var round = Vector256.Create(1 << (shift - 1));
        x0 = Vector256.ShiftRightArithmetic(tmp10 + t3 + round, shift);
        x7 = Vector256.ShiftRightArithmetic(tmp10 - t3 + round, shift);
        x1 = Vector256.ShiftRightArithmetic(tmp11 + t2 + round, shift);
        x6 = Vector256.ShiftRightArithmetic(tmp11 - t2 + round, shift);
        x2 = Vector256.ShiftRightArithmetic(tmp12 + t1 + round, shift);
        x5 = Vector256.ShiftRightArithmetic(tmp12 - t1 + round, shift);
        x3 = Vector256.ShiftRightArithmetic(tmp13 + t0 + round, shift);
        x4 = Vector256.ShiftRightArithmetic(tmp13 - t0 + round, shift);
    }

    // The range limit of Limit, lane-wise: wrap to a signed 10-bit value, add 128, clamp to a byte.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> LimitVector(Vector256<int> x)
    {
        var t = Vector256.ShiftRightArithmetic(Vector256.ShiftLeft(x, 22), 22) + Vector256.Create(128);
        return Vector256.Min(Vector256.Max(t, Vector256<int>.Zero), Vector256.Create(255));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector256<int> row, ref byte output)
    {
        var shorts = Avx2.PackSignedSaturate(row, row);
        var bytes = Avx2.PackUnsignedSaturate(shorts, shorts);

        // Lanes 0-3 come out in bytes 0-3, lanes 4-7 in bytes 16-19.
        Unsafe.WriteUnaligned(ref output, bytes.AsInt32().GetElement(0));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref output, 4), bytes.AsInt32().GetElement(4));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(ref Vector256<int> r0, ref Vector256<int> r1, ref Vector256<int> r2, ref Vector256<int> r3,
        ref Vector256<int> r4, ref Vector256<int> r5, ref Vector256<int> r6, ref Vector256<int> r7)
    {
        var t0 = Avx2.UnpackLow(r0, r1);
        var t1 = Avx2.UnpackHigh(r0, r1);
        var t2 = Avx2.UnpackLow(r2, r3);
        var t3 = Avx2.UnpackHigh(r2, r3);
        var t4 = Avx2.UnpackLow(r4, r5);
        var t5 = Avx2.UnpackHigh(r4, r5);
        var t6 = Avx2.UnpackLow(r6, r7);
        var t7 = Avx2.UnpackHigh(r6, r7);
        var u0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64()).AsInt32();
        var u1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64()).AsInt32();
        var u2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64()).AsInt32();
        var u3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64()).AsInt32();
        var u4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64()).AsInt32();
        var u5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64()).AsInt32();
        var u6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64()).AsInt32();
        var u7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64()).AsInt32();
        r0 = Avx2.Permute2x128(u0, u4, 0x20);
        r1 = Avx2.Permute2x128(u1, u5, 0x20);
        r2 = Avx2.Permute2x128(u2, u6, 0x20);
        r3 = Avx2.Permute2x128(u3, u7, 0x20);
        r4 = Avx2.Permute2x128(u0, u4, 0x31);
        r5 = Avx2.Permute2x128(u1, u5, 0x31);
        r6 = Avx2.Permute2x128(u2, u6, 0x31);
        r7 = Avx2.Permute2x128(u3, u7, 0x31);
    }

    // The odd part of the 8-point islow IDCT: inputs x7, x5, x3, x1 in tmp0..tmp3, outputs in place.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Odd8(ref long tmp0, ref long tmp1, ref long tmp2, ref long tmp3)
    {
        long z1 = tmp0 + tmp3;
        long z2 = tmp1 + tmp2;
        long z3 = tmp0 + tmp2;
        long z4 = tmp1 + tmp3;
        long z5 = (z3 + z4) * Fix1_175875602;
        tmp0 *= Fix0_298631336;
        tmp1 *= Fix2_053119869;
        tmp2 *= Fix3_072711026;
        tmp3 *= Fix1_501321110;
        z1 *= -Fix0_899976223;
        z2 *= -Fix2_562915447;
        z3 = (z3 * -Fix1_961570560) + z5;
        z4 = (z4 * -Fix0_390180644) + z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;
    }

    // Row r of a block (eight coefficients) in 64-bit lanes, one lane per column.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<long> Row64(ref int c, int r) => Avx512F.ConvertToVector512Int64(Vector256.LoadUnsafe(ref c, (nuint)(r * 8)));

    // Descale in 64-bit lanes, narrowed to 32 bits as the scalar (int) cast does, stored as one work-space row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreDescaled(Vector512<long> x, int n, ref int ws, int r) =>
        Avx512F.ConvertToVector256Int32((x + Vector512.Create(1L << (n - 1))) >> n).StoreUnsafe(ref ws, (nuint)(r * 8));

    private static void Idct4x4(ref int c, ref byte output, int stride)
    {
        Span<int> wsSpan = stackalloc int[32];
        ref int ws = ref MemoryMarshal.GetReference(wsSpan);
        if (Avx512DQ.IsSupported)
        {
            // Pass 1 on all eight columns at once, in the scalar pass's 64-bit arithmetic (its shortcut for columns
            // whose AC terms are zero gives the same values, so it is not needed).
            var tmp0 = Row64(ref c, 0) << (ConstBits + 1);
            var tmp2 = (Row64(ref c, 2) * Fix1_847759065) + (Row64(ref c, 6) * -Fix0_765366865);
            var tmp10 = tmp0 + tmp2;
            var tmp12 = tmp0 - tmp2;
            var z1 = Row64(ref c, 7);
            var z2 = Row64(ref c, 5);
            var z3 = Row64(ref c, 3);
            var z4 = Row64(ref c, 1);
            tmp0 = (z1 * -Fix0_211164243) + (z2 * Fix1_451774981) + (z3 * -Fix2_172734803) + (z4 * Fix1_061594337);
            tmp2 = (z1 * -Fix0_509795579) + (z2 * -Fix0_601344887) + (z3 * Fix0_899976223) + (z4 * Fix2_562915447);
            const int s1 = ConstBits - Pass1Bits + 1;
            StoreDescaled(tmp10 + tmp2, s1, ref ws, 0);
            StoreDescaled(tmp10 - tmp2, s1, ref ws, 3);
            StoreDescaled(tmp12 + tmp0, s1, ref ws, 1);
            StoreDescaled(tmp12 - tmp0, s1, ref ws, 2);
            Idct4x4Rows(ref ws, ref output, stride);
            return;
        }

        for (int col = 0; col < 8; col++)
        {
            if (col == 4)
            {
                continue; // the second pass does not read column 4
            }

            if (At(ref c, 8 + col) == 0 && At(ref c, 16 + col) == 0 && At(ref c, 24 + col) == 0 && At(ref c, 40 + col) == 0 && At(ref c, 48 + col) == 0 && At(ref c, 56 + col) == 0)
            {
                int dc = At(ref c, col) << Pass1Bits;
                At(ref ws, col) = At(ref ws, 8 + col) = At(ref ws, 16 + col) = At(ref ws, 24 + col) = dc;
                continue;
            }

            long tmp0 = ((long)At(ref c, col)) << (ConstBits + 1);
            long z2 = (long)At(ref c, 16 + col);
            long z3 = (long)At(ref c, 48 + col);
            long tmp2 = (z2 * Fix1_847759065) + (z3 * -Fix0_765366865);
            long tmp10 = tmp0 + tmp2, tmp12 = tmp0 - tmp2;
            Odd4((long)At(ref c, 56 + col), (long)At(ref c, 40 + col), (long)At(ref c, 24 + col), (long)At(ref c, 8 + col), out tmp0, out tmp2);

            const int s = ConstBits - Pass1Bits + 1;
            At(ref ws, col) = (int)Descale(tmp10 + tmp2, s);
            At(ref ws, 24 + col) = (int)Descale(tmp10 - tmp2, s);
            At(ref ws, 8 + col) = (int)Descale(tmp12 + tmp0, s);
            At(ref ws, 16 + col) = (int)Descale(tmp12 - tmp0, s);
        }

        Idct4x4Rows(ref ws, ref output, stride);
    }

    private static void Idct4x4Rows(ref int ws, ref byte output, int stride)
    {
        for (int row = 0; row < 4; row++)
        {
            ref int w = ref At(ref ws, row * 8);
            ref byte o = ref Unsafe.Add(ref output, row * stride);
            if (At(ref w, 1) == 0 && At(ref w, 2) == 0 && At(ref w, 3) == 0 && At(ref w, 5) == 0 && At(ref w, 6) == 0 && At(ref w, 7) == 0)
            {
                Unsafe.InitBlockUnaligned(ref o, Limit(Descale(At(ref w, 0), Pass1Bits + 3)), 4);
                continue;
            }

            long tmp0 = (long)At(ref w, 0) << (ConstBits + 1);
            long tmp2 = (At(ref w, 2) * Fix1_847759065) + (At(ref w, 6) * -Fix0_765366865);
            long tmp10 = tmp0 + tmp2, tmp12 = tmp0 - tmp2;
            Odd4(At(ref w, 7), At(ref w, 5), At(ref w, 3), At(ref w, 1), out tmp0, out tmp2);

            const int s = ConstBits + Pass1Bits + 3 + 1;
            Unsafe.Add(ref o, 0) = Limit(Descale(tmp10 + tmp2, s));
            Unsafe.Add(ref o, 3) = Limit(Descale(tmp10 - tmp2, s));
            Unsafe.Add(ref o, 1) = Limit(Descale(tmp12 + tmp0, s));
            Unsafe.Add(ref o, 2) = Limit(Descale(tmp12 - tmp0, s));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Odd4(long z1, long z2, long z3, long z4, out long tmp0, out long tmp2)
    {
        tmp0 = (z1 * -Fix0_211164243) + (z2 * Fix1_451774981) + (z3 * -Fix2_172734803) + (z4 * Fix1_061594337);
        tmp2 = (z1 * -Fix0_509795579) + (z2 * -Fix0_601344887) + (z3 * Fix0_899976223) + (z4 * Fix2_562915447);
    }

    private static void Idct2x2(ref int c, ref byte output, int stride)
    {
        Span<int> wsSpan = stackalloc int[16];
        ref int ws = ref MemoryMarshal.GetReference(wsSpan);
        if (Avx512DQ.IsSupported)
        {
            // Pass 1 on all eight columns at once (the second pass reads only columns 0, 1, 3, 5 and 7 of it).
            var tmp10 = Row64(ref c, 0) << (ConstBits + 2);
            var tmp0 = (Row64(ref c, 7) * -Fix0_720959822) + (Row64(ref c, 5) * Fix0_850430095) + (Row64(ref c, 3) * -Fix1_272758580) + (Row64(ref c, 1) * Fix3_624509785);
            const int s1 = ConstBits - Pass1Bits + 2;
            StoreDescaled(tmp10 + tmp0, s1, ref ws, 0);
            StoreDescaled(tmp10 - tmp0, s1, ref ws, 1);
            Idct2x2Rows(ref ws, ref output, stride);
            return;
        }

        for (int col = 0; col < 8; col++)
        {
            if (col is 2 or 4 or 6)
            {
                continue; // the second pass reads columns 0, 1, 3, 5, 7 only
            }

            if (At(ref c, 8 + col) == 0 && At(ref c, 24 + col) == 0 && At(ref c, 40 + col) == 0 && At(ref c, 56 + col) == 0)
            {
                int dc = At(ref c, col) << Pass1Bits;
                At(ref ws, col) = At(ref ws, 8 + col) = dc;
                continue;
            }

            long tmp10 = ((long)At(ref c, col)) << (ConstBits + 2);
            long tmp0 = Odd2((long)At(ref c, 56 + col), (long)At(ref c, 40 + col), (long)At(ref c, 24 + col), (long)At(ref c, 8 + col));
            const int s = ConstBits - Pass1Bits + 2;
            At(ref ws, col) = (int)Descale(tmp10 + tmp0, s);
            At(ref ws, 8 + col) = (int)Descale(tmp10 - tmp0, s);
        }

        Idct2x2Rows(ref ws, ref output, stride);
    }

    private static void Idct2x2Rows(ref int ws, ref byte output, int stride)
    {
        for (int row = 0; row < 2; row++)
        {
            ref int w = ref At(ref ws, row * 8);
            ref byte o = ref Unsafe.Add(ref output, row * stride);
            if (At(ref w, 1) == 0 && At(ref w, 3) == 0 && At(ref w, 5) == 0 && At(ref w, 7) == 0)
            {
                Unsafe.InitBlockUnaligned(ref o, Limit(Descale(At(ref w, 0), Pass1Bits + 3)), 2);
                continue;
            }

            long tmp10 = (long)At(ref w, 0) << (ConstBits + 2);
            long tmp0 = Odd2(At(ref w, 7), At(ref w, 5), At(ref w, 3), At(ref w, 1));
            const int s = ConstBits + Pass1Bits + 3 + 2;
            Unsafe.Add(ref o, 0) = Limit(Descale(tmp10 + tmp0, s));
            Unsafe.Add(ref o, 1) = Limit(Descale(tmp10 - tmp0, s));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Odd2(long x7, long x5, long x3, long x1) =>
        (x7 * -Fix0_720959822) + (x5 * Fix0_850430095) + (x3 * -Fix1_272758580) + (x1 * Fix3_624509785);
}
