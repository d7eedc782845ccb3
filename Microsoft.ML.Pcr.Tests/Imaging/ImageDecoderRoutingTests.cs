using Microsoft.ML.Pcr.Imaging;
using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Jpeg.Pixels;
using Microsoft.ML.Pcr.Tests.Jpeg;
using SkiaSharp;
using System.Buffers;

namespace Microsoft.ML.Pcr.Tests.Imaging;

/// <summary>
/// <see cref="ImageDecoder"/> (what <c>DecodeImages</c> calls) routes every JPEG to our pixel decoder at every DCT scale:
/// the pixels must be SkiaSharp's, and what SkiaSharp refuses must still be refused with SkiaSharp's reason.
/// </summary>
[TestClass]
public sealed class ImageDecoderRoutingTests
{
    /// <summary>
    /// Real JPEGs: every input fixture and its progressive golden, and every 190th clothing-small photo (when the
    /// machine has the dataset) with its PCR prefixes at scan groups 1, 2 and 5 and all its scans.
    /// </summary>
    internal static IEnumerable<(string Name, byte[] Jpeg)> RealJpegs(bool includeFixtures = true)
    {
        if (includeFixtures)
        {
            foreach (string name in TestFiles.GoldenNames())
            {
                byte[] input = TestFiles.ReadInput(name);
                if (SkiaDecodes(input))
                    yield return (name, input);
                if (File.Exists(TestFiles.Golden(name)) && TestFiles.ReadGolden(name) is var golden && SkiaDecodes(golden))
                    yield return ($"golden {name}", golden);
            }
        }

        if (TestFiles.ClothingSmall() is not { } root)
            yield break;
        string[] files = [.. Directory.EnumerateFiles(root, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
        var transcoder = new JpegTranscoder();
        for (int i = 0; i < files.Length; i += 190)
        {
            byte[] original = File.ReadAllBytes(files[i]);
            string name = Path.GetFileName(files[i]);
            yield return (name, original);
            byte[] progressive = transcoder.Transcode(original, out var result, files[i]);
            foreach (int k in (int[])[1, 2, 5])
            {
                if (k < result.ScanEnds.Length)
                    yield return ($"{name} k={k}", [.. progressive.AsSpan(0, result.ScanEnds.Span[k - 1]), 0xFF, 0xD9]);
            }

            yield return ($"{name} all scans", progressive);
        }
    }

    /// <summary>Whether SkiaSharp decodes the bytes completely at full size (the fixtures include truncated files).</summary>
    private static bool SkiaDecodes(byte[] bytes)
    {
        try
        {
            ArrayPool<byte>.Shared.Return(SkiaImageDecoder.DecodePixels(bytes, SKColorType.Bgra8888, SKAlphaType.Premul, null, null, out _));
            return true;
        }
        catch (ImageDecodeFailure)
        {
            return false;
        }
    }

    /// <summary>SkiaSharp's idea of a JPEG's size, or null when it is no JPEG SkiaSharp recognises.</summary>
    private static SKSizeI? SkiaJpegSize(byte[] bytes)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        return codec is { EncodedFormat: SKEncodedImageFormat.Jpeg } ? codec.Info.Size : null;
    }

    [TestMethod]
    public void JpegsDecodeToSkiaSharpsPixelsAtEveryScaleThroughOurDecoder()
    {
        var failures = new List<string>();
        var scalesSeen = new HashSet<int>();
        int compared = 0;
        bool clothing = false;
        foreach (var (name, jpeg) in RealJpegs())
        {
            clothing |= name.EndsWith(" all scans", StringComparison.Ordinal);
            SKSizeI size = SkiaJpegSize(jpeg) ?? throw new AssertFailedException($"{name}: SkiaSharp does not read it");
            foreach (int d in (int[])[1, 2, 4, 8])
            {
                // The smallest size at which 1/d is the scale chosen; no size at all for full size.
                int? minWidth = d == 1 ? null : (size.Width + d - 1) / d, minHeight = d == 1 ? null : (size.Height + d - 1) / d;
                byte[] skia = SkiaImageDecoder.DecodePixels(jpeg, SKColorType.Bgra8888, SKAlphaType.Premul, minWidth, minHeight, out SKSizeI skiaSize);
                try
                {
                    Assert.IsTrue(ImageDecoder.TryDecodeJpeg(jpeg, minWidth, minHeight, out _, out _, out _), $"{name} at 1/{d} is not routed to our decoder");
                    scalesSeen.Add((size.Width + skiaSize.Width - 1) / skiaSize.Width);
                    using BgraPixels ours = ImageDecoder.DecodeBgra(jpeg, minWidth, minHeight);
                    compared++;
                    if (ours.Width != skiaSize.Width || ours.Height != skiaSize.Height)
                        failures.Add($"{name} at 1/{d}: {ours.Width}x{ours.Height}, SkiaSharp {skiaSize.Width}x{skiaSize.Height}");
                    else if (!ours.Span.SequenceEqual(skia.AsSpan(0, skiaSize.Width * skiaSize.Height * 4)))
                        failures.Add($"{name} at 1/{d}: pixels differ from SkiaSharp's");
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(skia);
                }
            }
        }

        Assert.IsEmpty(failures, string.Join("\n", failures));
        Assert.IsGreaterThan(200, compared);
        CollectionAssert.IsSubsetOf(new[] { 1, 2, 4, 8 }, scalesSeen.ToArray(), "every DCT scale was exercised");
        if (!clothing)
            Assert.Inconclusive($"compared {compared} fixture decodes; clothing-small is not on this machine");
    }

    [TestMethod]
    public void TruncatedJpegsFailWithSkiaSharpsReasonAtEveryScale()
    {
        foreach (string name in (string[])["truncated-baseline.jpg", "truncated-progressive.jpg"])
        {
            byte[] jpeg = TestFiles.ReadInput(name);
            foreach (int? size in (int?[])[null, 200, 100, 4])
            {
                var skia = Assert.ThrowsExactly<ImageDecodeFailure>(() => SkiaImageDecoder.DecodePixels(jpeg, SKColorType.Bgra8888, SKAlphaType.Premul, size, size, out _));
                Assert.IsFalse(ImageDecoder.TryDecodeJpeg(jpeg, size, size, out _, out _, out _), $"{name} at {size}: our decoder accepts it");
                var routed = Assert.ThrowsExactly<ImageDecodeFailure>(() => ImageDecoder.DecodeBgra(jpeg, size, size).Dispose());
                Assert.AreEqual(skia.Message, routed.Message, $"{name} at {size}");
            }
        }

        // A photo cut at several points, its EOI stripped, and its PCR prefix cut inside a scan: refused as SkiaSharp refuses.
        byte[] photo = TestFiles.ReadInput("photo-clothing.jpg");
        byte[] prefix = new JpegTranscoder().Transcode(photo, out var result, "photo-clothing.jpg").AsSpan(0, result.ScanEnds.Span[2] - 7).ToArray();
        foreach (byte[] cut in (byte[][])[photo[..(photo.Length / 3)], photo[..(photo.Length * 2 / 3)], photo[..^2], prefix])
        {
            foreach (int? size in (int?[])[null, 200, 100, 4])
            {
                string skia = SkiaOutcome(cut, size, out byte[]? skiaPixels);
                string ours = RoutedOutcome(cut, size, out byte[]? oursPixels);
                Assert.AreEqual(skia, ours, $"{cut.Length} bytes at {size}");
                if (skiaPixels is not null)
                    CollectionAssert.AreEqual(skiaPixels, oursPixels, $"{cut.Length} bytes at {size}");
            }
        }
    }

    [TestMethod]
    public void DamagedJpegsAreRefusedWheneverSkiaSharpRefusesThem()
    {
        // Seeded mutations of every fixture (the fuzz tests' set): whenever SkiaSharp refuses the bytes, so does
        // DecodeImages' decoder, with SkiaSharp's reason; whenever SkiaSharp decodes them, so does it.
        var rng = new Random(5);
        int refused = 0, equal = 0, differing = 0;
        var failures = new List<string>();
        foreach (string name in TestFiles.GoldenNames())
        {
            byte[] original = TestFiles.ReadInput(name);
            var segments = JpegSegments.List(original);
            for (int i = 0; i < 60; i++)
            {
                var (mutated, what) = JpegCoefficientReaderFuzzTests.Mutate(original, segments, rng);
                int? size = (i % 4) switch { 0 => null, 1 => 300, 2 => 100, _ => 4 };
                if (SkiaJpegSize(mutated) is { } declared && (long)declared.Width * declared.Height > 4_000_000)
                    continue; // a forged size: SkiaSharp would allocate it whole
                string skia = SkiaOutcome(mutated, size, out byte[]? skiaPixels);
                string ours = RoutedOutcome(mutated, size, out byte[]? oursPixels);
                if (skia != ours)
                    failures.Add($"{name} ({what}) at {size}: SkiaSharp '{skia}', DecodeImages '{ours}'");
                else if (skiaPixels is null)
                    refused++;
                else if (skiaPixels.AsSpan().SequenceEqual(oursPixels))
                    equal++;
                else
                    differing++;
            }
        }

        Assert.IsEmpty(failures, string.Join("\n", failures));
        Assert.IsGreaterThan(500, refused);
        Assert.IsGreaterThan(500, equal);
        // Entropy data that libjpeg and our reader both read past (a bad Huffman code, a stray marker: coefficients
        // lost) can give other garbage pixels; the seeded set has 3 such cases against 705 equal decodes.
        Assert.IsLessThan(equal / 50, differing);
    }

    private static string SkiaOutcome(byte[] bytes, int? size, out byte[]? pixels)
    {
        pixels = null;
        try
        {
            byte[] rented = SkiaImageDecoder.DecodePixels(bytes, SKColorType.Bgra8888, SKAlphaType.Premul, size, size, out SKSizeI s);
            pixels = rented[..(s.Width * s.Height * 4)];
            ArrayPool<byte>.Shared.Return(rented);
            return $"{s.Width}x{s.Height}";
        }
        catch (ImageDecodeFailure e)
        {
            return e.Message;
        }
    }

    private static string RoutedOutcome(byte[] bytes, int? size, out byte[]? pixels)
    {
        pixels = null;
        try
        {
            using BgraPixels decoded = ImageDecoder.DecodeBgra(bytes, size, size);
            pixels = decoded.Span.ToArray();
            return $"{decoded.Width}x{decoded.Height}";
        }
        catch (ImageDecodeFailure e)
        {
            return e.Message;
        }
    }
}
