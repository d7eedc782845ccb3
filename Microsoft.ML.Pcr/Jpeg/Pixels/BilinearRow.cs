using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// The vector step of a bilinear resample of 32-bit pixels into normalised float planes, shared by
/// <see cref="TensorSampler"/> and the trainer's resampler: eight output pixels at a time (AVX2), their four neighbours
/// gathered as whole pixels, each channel weighted with the float operations the scalar loops use, in the same order
/// (((p00 w00 + p01 w01) + p10 w10) + p11 w11) x scale + offset, so vector and scalar outputs are identical.
/// </summary>
[SkipLocalsInit]
internal static class BilinearRow
{
    /// <summary>Whether <see cref="Sample"/> does anything here.</summary>
    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>
    /// Writes output pixels 0 to the largest multiple of eight of one row into the three planes and returns how many
    /// (0 without AVX2); the caller's scalar loop does the rest with the same weights.
    /// </summary>
    /// <param name="top">The upper source row (whole 32-bit pixels).</param>
    /// <param name="bottom">The lower source row.</param>
    /// <param name="left">Each output pixel's left source column.</param>
    /// <param name="right">Each output pixel's right source column.</param>
    /// <param name="weight">Each output pixel's horizontal weight (of the right column).</param>
    /// <param name="wy">The row's vertical weight (of the lower row).</param>
    /// <param name="shifts">The bit position of the R, G and B bytes in a little-endian pixel.</param>
    /// <param name="scale">Per plane, the factor of the weighted sum.</param>
    /// <param name="offset">Per plane, what is added after scaling.</param>
    /// <param name="output">The row's first float in plane R; planes G and B follow at <paramref name="plane"/> apart.</param>
    /// <param name="plane">The distance between planes, in floats.</param>
    public static unsafe int Sample(ReadOnlySpan<byte> top, ReadOnlySpan<byte> bottom, ReadOnlySpan<int> left, ReadOnlySpan<int> right,
        ReadOnlySpan<float> weight, float wy, (int R, int G, int B) shifts, (float R, float G, float B) scale, (float R, float G, float B) offset,
        Span<float> output, int plane)
    {
        if (!Avx2.IsSupported)
            return 0;
        int count = left.Length & ~7;
        var one = Vector256.Create(1f);
        var y = Vector256.Create(wy);
        var y1 = one - y;
        var bytes = Vector256.Create(0xFF);
        ReadOnlySpan<int> shift = [shifts.R, shifts.G, shifts.B];
        ReadOnlySpan<float> scales = [scale.R, scale.G, scale.B];
        ReadOnlySpan<float> offsets = [offset.R, offset.G, offset.B];
        fixed (byte* t = top)
        fixed (byte* b = bottom)
        {
            ref float o = ref MemoryMarshal.GetReference(output);
            for (int u = 0; u < count; u += 8)
            {
                var l = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(left), (nuint)u);
                var r = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(right), (nuint)u);
                var x = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(weight), (nuint)u);
                var x1 = one - x;
                var w00 = x1 * y1;
                var w01 = x * y1;
                var w10 = x1 * y;
                var w11 = x * y;
                var p00 = Avx2.GatherVector256((int*)t, l, 4);
                var p01 = Avx2.GatherVector256((int*)t, r, 4);
                var p10 = Avx2.GatherVector256((int*)b, l, 4);
                var p11 = Avx2.GatherVector256((int*)b, r, 4);
                for (int c = 0; c < 3; c++)
                {
                    int s = shift[c];
                    var s00 = Avx.ConvertToVector256Single(Vector256.ShiftRightLogical(p00, s) & bytes);
                    var s01 = Avx.ConvertToVector256Single(Vector256.ShiftRightLogical(p01, s) & bytes);
                    var s10 = Avx.ConvertToVector256Single(Vector256.ShiftRightLogical(p10, s) & bytes);
                    var s11 = Avx.ConvertToVector256Single(Vector256.ShiftRightLogical(p11, s) & bytes);
                    var value = (s00 * w00) + (s01 * w01) + (s10 * w10) + (s11 * w11);
                    ((value * Vector256.Create(scales[c])) + Vector256.Create(offsets[c])).StoreUnsafe(ref o, (nuint)((c * plane) + u));
                }
            }
        }

        return count;
    }
}
