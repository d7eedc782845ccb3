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
                for (int x = 0; x < width; x++)
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

    private static byte MulDiv255(int a, int b) => (byte)(((a * b) + 127) / 255);
}
