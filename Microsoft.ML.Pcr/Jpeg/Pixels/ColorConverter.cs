using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.Pcr.Jpeg.Pixels;

/// <summary>
/// Colour conversion to BGRA with libjpeg-turbo's arithmetic (jdcolor.c: 16-bit fixed-point YCbCr tables, YCCK to
/// CMYK), and for CMYK the conversion Skia applies to libjpeg's output (inverted "Adobe" CMYK: each of R, G, B is
/// the rounded product of its ink and K over 255).
/// </summary>
internal static class ColorConverter
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);

    private static readonly int[] CrToR = new int[256];
    private static readonly int[] CbToB = new int[256];
    private static readonly int[] CrToG = new int[256];
    private static readonly int[] CbToG = new int[256];

    static ColorConverter()
    {
        for (int i = 0; i < 256; i++)
        {
            int x = i - 128;
            CrToR[i] = (int)(((Fix(1.40200) * x) + OneHalf) >> ScaleBits);
            CbToB[i] = (int)(((Fix(1.77200) * x) + OneHalf) >> ScaleBits);
            CrToG[i] = (int)(-Fix(0.71414) * x);
            CbToG[i] = (int)((-Fix(0.34414) * x) + OneHalf);
        }
    }

    private static long Fix(double x) => (long)((x * (1L << ScaleBits)) + 0.5);

    private static byte Clamp(int v) => (byte)(v < 0 ? 0 : v > 255 ? 255 : v);

    /// <summary>Converts one row to BGRA (4 bytes a pixel, alpha 255).</summary>
    /// <param name="space">The coded colour space.</param>
    /// <param name="c0">First component's row (Y, gray, R, C).</param>
    /// <param name="c1">Second component's row (unused for grayscale).</param>
    /// <param name="c2">Third component's row (unused for grayscale).</param>
    /// <param name="c3">Fourth component's row (CMYK/YCCK only).</param>
    /// <param name="width">Pixels in the row.</param>
    /// <param name="bgra">The output row.</param>
    public static void ToBgra(JpegColorSpace space, ReadOnlySpan<byte> c0, ReadOnlySpan<byte> c1, ReadOnlySpan<byte> c2, ReadOnlySpan<byte> c3, int width, Span<byte> bgra)
    {
        switch (space)
        {
            case JpegColorSpace.Grayscale:
                for (int x = 0; x < width; x++)
                {
                    byte g = c0[x];
                    bgra[(4 * x) + 0] = g;
                    bgra[(4 * x) + 1] = g;
                    bgra[(4 * x) + 2] = g;
                    bgra[(4 * x) + 3] = 255;
                }

                break;
            case JpegColorSpace.Rgb:
                for (int x = 0; x < width; x++)
                {
                    bgra[(4 * x) + 0] = c2[x];
                    bgra[(4 * x) + 1] = c1[x];
                    bgra[(4 * x) + 2] = c0[x];
                    bgra[(4 * x) + 3] = 255;
                }

                break;
            case JpegColorSpace.YCbCr:
                int done = Vector256.IsHardwareAccelerated ? YCbCrToBgraVector(c0, c1, c2, width, bgra) : 0;
                for (int x = done; x < width; x++)
                {
                    int y = c0[x], cb = c1[x], cr = c2[x];
                    bgra[(4 * x) + 0] = Clamp(y + CbToB[cb]);
                    bgra[(4 * x) + 1] = Clamp(y + ((CbToG[cb] + CrToG[cr]) >> ScaleBits));
                    bgra[(4 * x) + 2] = Clamp(y + CrToR[cr]);
                    bgra[(4 * x) + 3] = 255;
                }

                break;
            case JpegColorSpace.Cmyk:
                for (int x = 0; x < width; x++)
                {
                    int k = c3[x];
                    bgra[(4 * x) + 0] = MulDiv255(c2[x], k);
                    bgra[(4 * x) + 1] = MulDiv255(c1[x], k);
                    bgra[(4 * x) + 2] = MulDiv255(c0[x], k);
                    bgra[(4 * x) + 3] = 255;
                }

                break;
            default: // YCCK: YCbCr to inverted CMY first, as libjpeg's ycck_cmyk_convert
                for (int x = 0; x < width; x++)
                {
                    int y = c0[x], cb = c1[x], cr = c2[x], k = c3[x];
                    int cyan = Clamp(255 - (y + CrToR[cr]));
                    int magenta = Clamp(255 - (y + ((CbToG[cb] + CrToG[cr]) >> ScaleBits)));
                    int yellow = Clamp(255 - (y + CbToB[cb]));
                    bgra[(4 * x) + 0] = MulDiv255(yellow, k);
                    bgra[(4 * x) + 1] = MulDiv255(magenta, k);
                    bgra[(4 * x) + 2] = MulDiv255(cyan, k);
                    bgra[(4 * x) + 3] = 255;
                }

                break;
        }
    }

    // Eight pixels at a time in 32-bit lanes, the table entries computed from their formulas (the same integers), each
    // pixel assembled as one little-endian int B | G << 8 | R << 16 | A << 24. Returns the pixels done.
    private static int YCbCrToBgraVector(ReadOnlySpan<byte> c0, ReadOnlySpan<byte> c1, ReadOnlySpan<byte> c2, int width, Span<byte> bgra)
    {
        var output = MemoryMarshal.Cast<byte, int>(bgra);
        var center = Vector256.Create(128);
        var half = Vector256.Create(OneHalf);
        var crr = Vector256.Create((int)Fix(1.40200));
        var cbb = Vector256.Create((int)Fix(1.77200));
        var crg = Vector256.Create((int)-Fix(0.71414));
        var cbg = Vector256.Create((int)-Fix(0.34414));
        var max = Vector256.Create(255);
        var alpha = Vector256.Create(unchecked((int)0xFF000000));
        int x = 0;
        for (; x + 8 <= width; x += 8)
        {
            var y = Widen(c0.Slice(x, 8));
            var cb = Widen(c1.Slice(x, 8)) - center;
            var cr = Widen(c2.Slice(x, 8)) - center;
            var r = y + Vector256.ShiftRightArithmetic((crr * cr) + half, ScaleBits);
            var g = y + Vector256.ShiftRightArithmetic((cbg * cb) + half + (crg * cr), ScaleBits);
            var b = y + Vector256.ShiftRightArithmetic((cbb * cb) + half, ScaleBits);
            r = Vector256.Min(Vector256.Max(r, Vector256<int>.Zero), max);
            g = Vector256.Min(Vector256.Max(g, Vector256<int>.Zero), max);
            b = Vector256.Min(Vector256.Max(b, Vector256<int>.Zero), max);
            var pixel = b | Vector256.ShiftLeft(g, 8) | Vector256.ShiftLeft(r, 16) | alpha;
            pixel.CopyTo(output.Slice(x, 8));
        }

        return x;
    }

    private static Vector256<int> Widen(ReadOnlySpan<byte> eight)
    {
        var bytes = Vector128.CreateScalar(MemoryMarshal.Read<long>(eight)).AsByte();
        var shorts = Vector128.WidenLower(bytes);
        return Vector256.WidenLower(shorts.ToVector256Unsafe()).AsInt32();
    }

    private static byte MulDiv255(int a, int b) => (byte)(((a * b) + 127) / 255);
}
