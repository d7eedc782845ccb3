using Microsoft.ML.Pcr.Jpeg.Pixels;
using SkiaSharp;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>
/// The pixel decoder against SkiaSharp (libjpeg-turbo 2.1.5 inside) on the same bytes at the same DCT scale:
/// every fixture kind, every scale, and every scan-group prefix of the progressive goldens.
/// </summary>
[TestClass]
public sealed class JpegPixelDecoderTests
{
    private static readonly int[] Scales = [1, 2, 4, 8];

    /// <summary>SkiaSharp's BGRA decode at 1/denominator, or null when it refuses the bytes.</summary>
    internal static unsafe byte[]? SkiaDecode(byte[] jpeg, int denominator, out int width, out int height)
    {
        width = height = 0;
        using var data = SKData.CreateCopy(jpeg);
        using var codec = SKCodec.Create(data);
        if (codec is null)
            return null;
        var size = codec.GetScaledDimensions(1f / denominator);
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Bgra8888, SKAlphaType.Opaque);
        var pixels = new byte[info.BytesSize];
        fixed (byte* p = pixels)
        {
            if (codec.GetPixels(info, (IntPtr)p) != SKCodecResult.Success)
                return null;
        }

        width = size.Width;
        height = size.Height;
        return pixels;
    }

    /// <summary>Decodes with both and returns a description of the first difference, or null when identical.</summary>
    internal static string? Compare(JpegPixelDecoder decoder, byte[] jpeg, int denominator)
    {
        var expected = SkiaDecode(jpeg, denominator, out int ew, out int eh);
        if (expected is null)
            return null;
        var actual = decoder.DecodeBgra(jpeg, denominator, "test", out int w, out int h).ToArray();
        if (w != ew || h != eh)
            return $"size {w}x{h}, SkiaSharp {ew}x{eh}";
        int differing = 0, max = 0, first = -1;
        for (int i = 0; i < actual.Length; i++)
        {
            int d = Math.Abs(actual[i] - expected[i]);
            if (d != 0)
            {
                differing++;
                max = Math.Max(max, d);
                if (first < 0)
                    first = i;
            }
        }

        return differing == 0 ? null
            : $"{differing} of {actual.Length} bytes differ (max {max}); first at pixel ({first / 4 % w}, {first / 4 / w}) channel {first % 4}: {actual[first]} vs {expected[first]}";
    }

    [TestMethod]
    public void FixturesDecodeAsSkiaSharpAtEveryScale()
    {
        var decoder = new JpegPixelDecoder();
        var failures = new List<string>();
        int compared = 0;
        foreach (var name in TestFiles.GoldenNames())
        {
            var jpeg = TestFiles.ReadInput(name);
            foreach (int d in Scales)
            {
                if (SkiaDecode(jpeg, d, out _, out _) is null)
                    continue;
                compared++;
                try
                {
                    if (Compare(decoder, jpeg, d) is { } diff)
                        failures.Add($"{name} 1/{d}: {diff}");
                }
                catch (PcrFormatException e)
                {
                    failures.Add($"{name} 1/{d}: SkiaSharp decodes it, we refuse: {e.Message}");
                }
            }
        }

        Assert.IsGreaterThan(80, compared);
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    [TestMethod]
    public void ProgressivePrefixesDecodeAsSkiaSharpAtEveryScanGroup()
    {
        var decoder = new JpegPixelDecoder();
        var failures = new List<string>();
        int compared = 0;
        foreach (var name in TestFiles.GoldenNames())
        {
            var jpeg = TestFiles.ReadGolden(name);
            var ends = JpegSegments.ScanEnds(jpeg);
            for (int k = 1; k < ends.Length; k++)
            {
                byte[] prefix = [.. jpeg.AsSpan(0, ends[k - 1]), 0xFF, 0xD9];
                foreach (int d in Scales)
                {
                    if (SkiaDecode(prefix, d, out _, out _) is null)
                    {
                        failures.Add($"{name} k={k} 1/{d}: SkiaSharp refuses the prefix");
                        continue;
                    }

                    compared++;
                    try
                    {
                        if (Compare(decoder, prefix, d) is { } diff)
                            failures.Add($"{name} k={k} 1/{d}: {diff}");
                    }
                    catch (PcrFormatException e)
                    {
                        failures.Add($"{name} k={k} 1/{d}: we refuse: {e.Message}");
                    }
                }
            }
        }

        Assert.IsGreaterThan(200, compared);
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }
}
