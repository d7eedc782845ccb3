using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>How one component's samples reach the output resolution, as libjpeg-turbo's jdsample.c chooses it.</summary>
internal enum UpsampleMethod
{
    /// <summary>Already at output resolution (the IDCT was scaled up instead).</summary>
    FullSize,

    /// <summary>Pixel replication by integral factors (int_upsample, and h2v1/h2v2 without fancy upsampling).</summary>
    Replicate,

    /// <summary>Triangle filter, 2:1 horizontally.</summary>
    FancyH2V1,

    /// <summary>Triangle filter, 2:1 vertically.</summary>
    FancyH1V2,

    /// <summary>Triangle filter, 2:1 both ways.</summary>
    FancyH2V2,
}

/// <summary>
/// Produces one output-resolution row of a component from its sample plane, with the filters and edge rules of
/// libjpeg-turbo's jdsample.c (first and last columns special-cased, rows above the top and below
/// <c>downsampled_height</c> replicated as its main buffer controller does).
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit]
internal static class ComponentUpsampler
{
    /// <summary>Writes output row <paramref name="y"/> of the component into <paramref name="row"/> (at least as long as the output width).</summary>
    /// <param name="plane">The component's samples.</param>
    /// <param name="stride">Plane row length.</param>
    /// <param name="width">Valid samples per plane row (libjpeg's downsampled_width).</param>
    /// <param name="height">Valid plane rows (downsampled_height).</param>
    /// <param name="method">The filter.</param>
    /// <param name="hExpand">Horizontal factor for <see cref="UpsampleMethod.Replicate"/>.</param>
    /// <param name="vExpand">Vertical factor for <see cref="UpsampleMethod.Replicate"/>.</param>
    /// <param name="y">The output row.</param>
    /// <param name="outputWidth">Output samples needed.</param>
    /// <param name="row">Where the samples go.</param>
    public static void Row(byte[] plane, int stride, int width, int height, UpsampleMethod method, int hExpand, int vExpand, int y, int outputWidth, Span<byte> row)
    {
        switch (method)
        {
            case UpsampleMethod.FullSize:
                plane.AsSpan(y * stride, outputWidth).CopyTo(row);
                break;
            case UpsampleMethod.Replicate:
            {
                var src = plane.AsSpan((y / vExpand) * stride, width);
                for (int x = 0; x < outputWidth; x++)
                {
                    row[x] = src[x / hExpand];
                }

                break;
            }

            case UpsampleMethod.FancyH2V1:
                FancyH2V1(plane.AsSpan(y * stride, width), row);
                break;
            case UpsampleMethod.FancyH1V2:
            {
                var near = plane.AsSpan((y >> 1) * stride, width);
                var far = plane.AsSpan(Neighbour(y, height) * stride, width);
                int bias = (y & 1) == 0 ? 1 : 2;
                for (int x = 0; x < width; x++)
                {
                    row[x] = (byte)(((near[x] * 3) + far[x] + bias) >> 2);
                }

                break;
            }

            default:
                FancyH2V2(plane.AsSpan((y >> 1) * stride, width), plane.AsSpan(Neighbour(y, height) * stride, width), row);
                break;
        }
    }

    // The next-nearest input row of output row y under 2:1 vertical upsampling, replicated at both edges.
    private static int Neighbour(int y, int height)
    {
        int r = (y >> 1) + ((y & 1) == 0 ? -1 : 1);
        return r < 0 ? 0 : r >= height ? height - 1 : r;
    }

    private static void FancyH2V1(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        int w = src.Length;
        dst[0] = src[0];
        dst[1] = (byte)(((src[0] * 3) + src[1] + 2) >> 2);
        for (int x = 1; x < w - 1; x++)
        {
            int v = src[x] * 3;
            dst[2 * x] = (byte)((v + src[x - 1] + 1) >> 2);
            dst[(2 * x) + 1] = (byte)((v + src[x + 1] + 2) >> 2);
        }

        dst[(2 * w) - 2] = (byte)(((src[w - 1] * 3) + src[w - 2] + 1) >> 2);
        dst[(2 * w) - 1] = src[w - 1];
    }

    private static void FancyH2V2(ReadOnlySpan<byte> near, ReadOnlySpan<byte> far, Span<byte> dst)
    {
        int w = near.Length;
        if (Vector128.IsHardwareAccelerated && w >= 18 && w <= 4096)
        {
            FancyH2V2Vector(near, far, dst);
            return;
        }

        int last = (near[0] * 3) + far[0];
        int cur = last;
        int next = (near[1] * 3) + far[1];
        dst[0] = (byte)(((cur * 4) + 8) >> 4);
        dst[1] = (byte)(((cur * 3) + next + 7) >> 4);
        last = cur;
        cur = next;
        for (int x = 1; x < w - 1; x++)
        {
            next = (near[x + 1] * 3) + far[x + 1];
            dst[2 * x] = (byte)(((cur * 3) + last + 8) >> 4);
            dst[(2 * x) + 1] = (byte)(((cur * 3) + next + 7) >> 4);
            last = cur;
            cur = next;
        }

        dst[(2 * w) - 2] = (byte)(((cur * 3) + last + 8) >> 4);
        dst[(2 * w) - 1] = (byte)(((cur * 4) + 7) >> 4);
    }

    // The same filter, eight columns at a time: column sums first, then each output pair (even | odd << 8) as one
    // 16-bit lane, which stored little-endian is the two output bytes in order.
    private static void FancyH2V2Vector(ReadOnlySpan<byte> near, ReadOnlySpan<byte> far, Span<byte> dst)
    {
        int w = near.Length;
        Span<ushort> sums = stackalloc ushort[w];
        for (int x = 0; x < w; x++)
        {
            sums[x] = (ushort)((near[x] * 3) + far[x]);
        }

        var pairs = MemoryMarshal.Cast<byte, ushort>(dst);
        var three = Vector128.Create((ushort)3);
        var eight = Vector128.Create((ushort)8);
        var seven = Vector128.Create((ushort)7);
        int c = 1;
        for (; c + 9 <= w; c += 8)
        {
            var cur = Vector128.Create((ReadOnlySpan<ushort>)sums.Slice(c, 8));
            var left = Vector128.Create((ReadOnlySpan<ushort>)sums.Slice(c - 1, 8));
            var right = Vector128.Create((ReadOnlySpan<ushort>)sums.Slice(c + 1, 8));
            var even = Vector128.ShiftRightLogical((cur * three) + left + eight, 4);
            var odd = Vector128.ShiftRightLogical((cur * three) + right + seven, 4);
            (even | Vector128.ShiftLeft(odd, 8)).CopyTo(pairs.Slice(c, 8));
        }

        for (; c < w - 1; c++)
        {
            dst[2 * c] = (byte)(((sums[c] * 3) + sums[c - 1] + 8) >> 4);
            dst[(2 * c) + 1] = (byte)(((sums[c] * 3) + sums[c + 1] + 7) >> 4);
        }

        dst[0] = (byte)(((sums[0] * 4) + 8) >> 4);
        dst[1] = (byte)(((sums[0] * 3) + sums[1] + 7) >> 4);
        dst[(2 * w) - 2] = (byte)(((sums[w - 1] * 3) + sums[w - 2] + 8) >> 4);
        dst[(2 * w) - 1] = (byte)(((sums[w - 1] * 4) + 7) >> 4);
    }
}
