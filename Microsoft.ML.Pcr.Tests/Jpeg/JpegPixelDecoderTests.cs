using Microsoft.ML.Pcr.Jpeg;
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

    [TestMethod]
    public void ClothingSmallPhotosAndTheirPrefixesDecodeAsSkiaSharp()
    {
        string root = TestFiles.ClothingSmall() ?? throw new AssertInconclusiveException("clothing-small is not on this machine");
        var files = Directory.EnumerateFiles(root, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var decoder = new JpegPixelDecoder();
        var transcoder = new JpegTranscoder();
        var failures = new List<string>();
        int compared = 0;

        // Every 190th photo (20, every split and most classes): the original, and its PCR prefixes at scan groups 1, 2, 3, 5 and all.
        for (int i = 0; i < files.Length; i += 190)
        {
            var original = File.ReadAllBytes(files[i]);
            var progressive = transcoder.Transcode(original, out var result, files[i]);
            var inputs = new List<(string What, byte[] Bytes)> { ("original", original) };
            foreach (int k in (int[])[1, 2, 3, 5])
            {
                if (k < result.ScanEnds.Length)
                    inputs.Add(($"k={k}", [.. progressive.AsSpan(0, result.ScanEnds.Span[k - 1]), 0xFF, 0xD9]));
            }

            inputs.Add(("all scans", progressive));
            foreach (var (what, bytes) in inputs)
            {
                foreach (int d in Scales)
                {
                    compared++;
                    if (Compare(decoder, bytes, d) is { } diff)
                        failures.Add($"{Path.GetFileName(files[i])} {what} 1/{d}: {diff}");
                }
            }
        }

        Assert.IsGreaterThan(300, compared);
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    [TestMethod]
    public void TruncatedDataIsRefusedAsSkiaSharpRefusesIt()
    {
        var decoder = new JpegPixelDecoder();
        foreach (var name in (string[])["truncated-baseline.jpg", "truncated-progressive.jpg"])
        {
            var jpeg = TestFiles.ReadInput(name);
            Assert.IsNull(SkiaDecode(jpeg, 1, out _, out _), $"SkiaSharp decodes {name}");
            var e = Assert.ThrowsExactly<PcrFormatException>(() => decoder.DecodeBgra(jpeg, 1, name, out _, out _));
            StringAssert.Contains(e.Message, "truncated");
            StringAssert.Contains(e.Message, name);
        }
    }

    [TestMethod]
    public void TensorHoldsTheNormalisedResizedCrop()
    {
        var jpeg = TestFiles.ReadInput("photo-clothing.jpg");
        var decoder = new JpegPixelDecoder();
        var full = decoder.DecodeBgra(jpeg, 1, null, out int w, out int h).ToArray();

        // A crop resized to its own size at full scale is the crop itself, normalised.
        var crop = (X: 10, Y: 20, Width: 16, Height: 8);
        var options = new TensorDecodeOptions(16, 8) { Crop = crop, Mean = (0.5f, 0.25f, 0f), StdDev = (0.5f, 0.25f, 2f) };
        var chw = new float[options.TensorLength];
        decoder.DecodeToTensor(jpeg, chw, options);
        for (int y = 0; y < 8; y++)
        {
            for (int x = 0; x < 16; x++)
            {
                int p = (((crop.Y + y) * w) + crop.X + x) * 4;
                Assert.AreEqual(((full[p + 2] / 255f) - 0.5f) / 0.5f, chw[(y * 16) + x], 1e-5f);
                Assert.AreEqual(((full[p + 1] / 255f) - 0.25f) / 0.25f, chw[128 + (y * 16) + x], 1e-5f);
                Assert.AreEqual((full[p] / 255f) / 2f, chw[256 + (y * 16) + x], 1e-5f);
            }
        }

        // Flipped: the same values mirrored.
        var flipped = new float[options.TensorLength];
        decoder.DecodeToTensor(jpeg, flipped, options with { FlipHorizontal = true });
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 8; y++)
            {
                for (int x = 0; x < 16; x++)
                    Assert.AreEqual(chw[(c * 128) + (y * 16) + x], flipped[(c * 128) + (y * 16) + 15 - x]);
            }
        }

        // Downscaled 8x: decoded at 1/8, where a pixel centre maps onto a pixel of the reduced decode.
        var small = new TensorDecodeOptions((w + 7) / 8, (h + 7) / 8);
        var tensor = new float[small.TensorLength];
        decoder.DecodeToTensor(jpeg, tensor, small);
        var eighth = decoder.DecodeBgra(jpeg, 8, null, out int w8, out int h8).ToArray();
        Assert.AreEqual(small.Width, w8);
        Assert.AreEqual(small.Height, h8);
        if (w % 8 == 0 && h % 8 == 0)
            Assert.AreEqual(eighth[2] / 255f, tensor[0], 1e-5f);
        Assert.IsTrue(tensor.All(v => v is >= 0f and <= 1f));
        Assert.ThrowsExactly<ArgumentException>(() => decoder.DecodeToTensor(jpeg, new float[10], small));
    }

    [TestMethod]
    public void VectorTensorSamplingEqualsTheScalarLoop()
    {
        var rng = new Random(5);
        var decoder = new JpegPixelDecoder();
        var pixels = decoder.DecodeBgra(TestFiles.ReadInput("photo-clothing.jpg"), 2, null, out int w, out int h).ToArray();
        int compared = 0;
        foreach (var (tw, th) in new[] { (64, 64), (24, 16), (13, 7), (1, 1), (224, 224), (9, 33) })
        {
            for (int trial = 0; trial < 4; trial++)
            {
                int cx = rng.Next(0, w / 2), cy = rng.Next(0, h / 2);
                var options = new TensorDecodeOptions(tw, th) { FlipHorizontal = trial % 2 == 1, Mean = (0.485f, 0.456f, 0.406f), StdDev = (0.229f, 0.224f, 0.225f) };
                var vector = new float[options.TensorLength];
                var scalar = new float[options.TensorLength];
                int cw = rng.Next(1, w - cx), ch = rng.Next(1, h - cy);
                TensorSampler.Sample(pixels, w, h, 0.5, 0.5, cx * 2, cy * 2, cw * 2, ch * 2, vector, options);
                TensorSampler.Sample(pixels, w, h, 0.5, 0.5, cx * 2, cy * 2, cw * 2, ch * 2, scalar, options, vectors: false);
                CollectionAssert.AreEqual(scalar, vector, $"{tw}x{th} from ({cx}, {cy}) {cw}x{ch}, flipped {options.FlipHorizontal}");
                compared++;
            }
        }

        // A one-pixel-wide source: both neighbours are the same pixel.
        var column = pixels.AsSpan(0, 4 * 5).ToArray();
        var narrow = new TensorDecodeOptions(16, 5);
        var v1 = new float[narrow.TensorLength];
        var s1 = new float[narrow.TensorLength];
        TensorSampler.Sample(column, 1, 5, 1, 1, 0, 0, 1, 5, v1, narrow);
        TensorSampler.Sample(column, 1, 5, 1, 1, 0, 0, 1, 5, s1, narrow, vectors: false);
        CollectionAssert.AreEqual(s1, v1);
        Assert.AreEqual(24, compared);
    }

    [TestMethod]
    public void AtOneEighthLumaAcScansAreNotDecoded()
    {
        // Scramble the entropy data of every AC scan of luma (which at 1/8 needs only DC): the pixels do not change,
        // because those scans are skipped; at 1/4 the same bytes decode differently.
        var jpeg = TestFiles.ReadGolden("progressive-420.jpg");
        var expected = SkiaDecode(jpeg, 8, out _, out _)!;
        var scrambled = (byte[])jpeg.Clone();
        var rng = new Random(7);
        int scrambledScans = 0;
        byte lumaId = jpeg[JpegSegments.Find(jpeg, 0xC2) + 10];
        for (int offset = 0; offset + 9 < jpeg.Length; offset++)
        {
            // FF DA cannot occur inside entropy-coded data (an FF there is followed by 00 or RSTn).
            if (jpeg[offset] != 0xFF || jpeg[offset + 1] != 0xDA || jpeg[offset + 4] != 1 || jpeg[offset + 5] != lumaId || jpeg[offset + 7] == 0)
                continue;
            int length = (jpeg[offset + 2] << 8) | jpeg[offset + 3];
            int start = offset + 2 + length;
            int end = Microsoft.ML.Pcr.Jpeg.JpegMarkers.EntropyDataEnd(jpeg, start);
            for (int i = start; i < end; i++)
                scrambled[i] = (byte)rng.Next(0, 0xFF); // never FF, so no marker appears
            scrambledScans++;
        }

        Assert.IsGreaterThan(0, scrambledScans);
        var decoder = new JpegPixelDecoder();
        CollectionAssert.AreEqual(expected, decoder.DecodeBgra(scrambled, 8, null, out _, out _).ToArray());
        CollectionAssert.AreNotEqual(SkiaDecode(jpeg, 4, out _, out _), decoder.DecodeBgra(scrambled, 4, null, out _, out _).ToArray());
    }

    [TestMethod]
    public void DecodeImagesGivesSkiaSharpsPixelsForJpeg()
    {
        foreach (var name in (string[])["baseline-420.jpg", "progressive-420.jpg", "gray.jpg", "cmyk-adobe.jpg", "one-pixel.jpg", "odd-37x23.jpg"])
        {
            var jpeg = TestFiles.ReadInput(name);
            foreach (int? size in (int?[])[null, 4, 16, 100])
            {
                using var ours = Microsoft.ML.Pcr.Data.ImageDecodingTransformer.Decode(jpeg, size, size, Microsoft.ML.Pcr.Data.UndecodableImageHandling.Throw, "row 0")!;
                byte[] skia = Microsoft.ML.Pcr.Imaging.SkiaImageDecoder.DecodePixels(jpeg, SKColorType.Bgra8888, SKAlphaType.Premul, size, size, out SKSizeI skiaSize);
                try
                {
                    Assert.AreEqual(skiaSize.Width, ours.Width, name);
                    Assert.AreEqual(skiaSize.Height, ours.Height, name);
                    CollectionAssert.AreEqual(skia.AsSpan(0, skiaSize.Width * skiaSize.Height * 4).ToArray(), ours.Pixels.ToArray(), $"{name} at {size}");
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(skia);
                }
            }
        }

        // Size 4 on these fixtures decodes at 1/8 (DecodeImages gives every scale to our decoder).
        Assert.AreEqual(8, new JpegPixelDecoder().ChooseScaleDenominator(TestFiles.ReadInput("progressive-420.jpg"), 4, 4));

        // Damaged data still fails as before, naming the row (our decoder refuses it, SkiaSharp then says why).
        var e = Assert.ThrowsExactly<PcrFormatException>(() => Microsoft.ML.Pcr.Data.ImageDecodingTransformer.Decode(
            TestFiles.ReadInput("truncated-progressive.jpg"), null, null, Microsoft.ML.Pcr.Data.UndecodableImageHandling.Throw, "row 7"));
        StringAssert.Contains(e.Message, "row 7");
        StringAssert.Contains(e.Message, "SkiaSharp could not decode");
    }

    [TestMethod]
    public void QuantizationStepsAbove32767DequantizeAsLibjpegTurbosSixteenBitMultipliers()
    {
        // A 16-bit table (here of an extended sequential file) may hold steps up to 65535; libjpeg-turbo's IDCT
        // multiplies by them as 16-bit signed values, so 40000 acts as -25536. Three of the luma steps are forged above
        // 32767; the row transform (1/2 and 1/4 on this 12-block-wide image) and the per-block path must both agree.
        var jpeg = TestFiles.ReadInput("extended-sequential-sof1.jpg");
        int dqt = JpegSegments.Find(jpeg, 0xDB);
        Assert.AreEqual(1, jpeg[dqt + 4] >> 4, "the fixture's first table is 16-bit");
        ushort[] forged = [40000, 50000, 65535];
        for (int k = 0; k < forged.Length; k++)
        {
            jpeg[dqt + 5 + (2 * k)] = (byte)(forged[k] >> 8);
            jpeg[dqt + 6 + (2 * k)] = (byte)forged[k];
        }

        var failures = new List<string>();
        foreach (bool rows in (ReadOnlySpan<bool>)[true, false])
        {
            var decoder = new JpegPixelDecoder { UseRowTransform = rows };
            foreach (int d in Scales)
            {
                Assert.IsNotNull(SkiaDecode(jpeg, d, out _, out _), "SkiaSharp decodes the forged file");
                if (Compare(decoder, jpeg, d) is { } diff)
                    failures.Add($"row transform {rows}, 1/{d}: {diff}");
            }
        }

        Assert.IsEmpty(failures, string.Join("\n", failures));
    }
}
