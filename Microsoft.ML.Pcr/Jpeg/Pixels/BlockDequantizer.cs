using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// Turns one block of quantized coefficients in zigzag order (as the coefficient reader stores them) into dequantized
/// coefficients in natural order for the inverse DCT, and tells blocks whose AC coefficients are all zero, which need
/// no transform at all. With AVX-512 the reordering is two two-register word permutes; otherwise a scalar scatter.
/// </summary>
[SkipLocalsInit]
internal static class BlockDequantizer
{
    // For each natural position p, the zigzag index holding it: the inverse of InverseDct.NaturalOrder.
    internal static ReadOnlySpan<short> ZigzagOfNatural =>
    [
        0, 1, 5, 6, 14, 15, 27, 28, 2, 4, 7, 13, 16, 26, 29, 42,
        3, 8, 12, 17, 25, 30, 41, 43, 9, 11, 18, 24, 31, 40, 44, 53,
        10, 19, 23, 32, 39, 45, 52, 54, 20, 22, 33, 38, 46, 51, 55, 60,
        21, 34, 37, 47, 50, 56, 59, 61, 35, 36, 48, 49, 57, 58, 62, 63,
    ];

    /// <summary>
    /// Writes the block's dequantized coefficients, natural order, into <paramref name="natural"/>, unless its AC
    /// coefficients are all zero and <paramref name="always"/> is false: then nothing is written and it returns true.
    /// </summary>
    /// <param name="zigzag">The block's first coefficient; 64 follow in zigzag order.</param>
    /// <param name="quant">64 quantization steps, natural order.</param>
    /// <param name="natural">64 values, written.</param>
    /// <param name="always">Whether to write the block even when only its DC is nonzero.</param>
    /// <returns>Whether every AC coefficient is zero.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Dequantize(ref short zigzag, int[] quant, Span<int> natural, bool always = false)
    {
        ref int q = ref MemoryMarshal.GetArrayDataReference(quant);
        ref int output = ref MemoryMarshal.GetReference(natural);
        if (Avx512BW.IsSupported)
        {
            var low = Vector512.LoadUnsafe(ref zigzag);
            var high = Vector512.LoadUnsafe(ref zigzag, 32);
            bool acZero = ((low & Vector512.Create(0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, (short)-1)) | high) == Vector512<short>.Zero;
            if (acZero && !always)
                return true;
            Dequantize(low, high, quant, natural);
            return acZero;
        }

        return DequantizeScalar(ref zigzag, ref q, ref output, always);
    }

    /// <summary>The AVX-512 step of <see cref="Dequantize(ref short, int[], Span{int}, bool)"/> for a block already in registers (zigzag coefficients 0-31 and 32-63).</summary>
    /// <param name="low">Zigzag coefficients 0-31.</param>
    /// <param name="high">Zigzag coefficients 32-63.</param>
    /// <param name="quant">64 quantization steps, natural order.</param>
    /// <param name="natural">64 values, written.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dequantize(Vector512<short> low, Vector512<short> high, int[] quant, Span<int> natural)
    {
        ref int q = ref MemoryMarshal.GetArrayDataReference(quant);
        ref int output = ref MemoryMarshal.GetReference(natural[..64]);
        var order = ZigzagOfNatural;
        var first = Avx512BW.PermuteVar32x16x2(low, Vector512.Create(order[..32]), high);
        var second = Avx512BW.PermuteVar32x16x2(low, Vector512.Create(order[32..]), high);
        (Vector512.WidenLower(first) * Vector512.LoadUnsafe(ref q)).StoreUnsafe(ref output);
        (Vector512.WidenUpper(first) * Vector512.LoadUnsafe(ref q, 16)).StoreUnsafe(ref output, 16);
        (Vector512.WidenLower(second) * Vector512.LoadUnsafe(ref q, 32)).StoreUnsafe(ref output, 32);
        (Vector512.WidenUpper(second) * Vector512.LoadUnsafe(ref q, 48)).StoreUnsafe(ref output, 48);
    }

    private static bool DequantizeScalar(ref short zigzag, ref int q, ref int output, bool always)
    {
        bool acZero;
        if (Vector128.IsHardwareAccelerated)
        {
            var any = Vector128.LoadUnsafe(ref zigzag) & Vector128.Create(0, -1, -1, -1, -1, -1, -1, (short)-1);
            for (int i = 8; i < 64; i += 8)
            {
                any |= Vector128.LoadUnsafe(ref zigzag, (nuint)i);
            }

            acZero = any == Vector128<short>.Zero;
        }
        else
        {
            acZero = true;
            for (int i = 1; i < 64 && acZero; i++)
            {
                acZero = Unsafe.Add(ref zigzag, i) == 0;
            }
        }

        if (acZero && !always)
            return true;
        var order = ZigzagOfNatural;
        for (int p = 0; p < 64; p++)
        {
            Unsafe.Add(ref output, p) = Unsafe.Add(ref zigzag, order[p]) * Unsafe.Add(ref q, p);
        }

        return acZero;
    }
}
