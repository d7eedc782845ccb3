using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Jpeg.Decoder;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>
/// Compares the coefficient reader with LibJpeg.NET: on jpegtran's golden output of every fixture
/// (lossless, so it holds the input's coefficients), and on the inputs where LibJpeg.NET decodes right.
/// </summary>
[TestClass]
public sealed class JpegCoefficientReaderTests
{
    private const long MaxPixels = 100_000_000;

    /// <summary>Inputs LibJpeg.NET cannot decode right: arithmetic coding, and progressive with restart intervals.</summary>
    private static bool OracleReadsInput(string name) =>
        !name.StartsWith("arithmetic-", StringComparison.Ordinal) && !name.StartsWith("progressive-restart", StringComparison.Ordinal);

    public static IEnumerable<object[]> Fixtures => TestFiles.InputFixtures;

    /// <summary>The inputs LibJpeg.NET reads right; the others are compared through their golden files only (no test is skipped every run).</summary>
    public static IEnumerable<object[]> OracleReadableInputs => TestFiles.GoldenNames().Where(OracleReadsInput).Select(n => new object[] { n });

    [TestMethod]
    public void TheInputsLeftToTheGoldenComparisonAreOnesTheOracleCannotRead()
    {
        string[] excluded = [.. TestFiles.GoldenNames().Where(n => !OracleReadsInput(n))];
        Assert.HasCount(5, excluded, string.Join(", ", excluded));
        foreach (string name in excluded.Where(n => n.StartsWith("arithmetic-", StringComparison.Ordinal)))
            Assert.ThrowsExactly<Exception>(() => JpegOracle.Read(TestFiles.ReadInput(name), out _), $"{name}: LibJpeg.NET has no arithmetic decoding");
        foreach (string name in excluded.Where(n => n.StartsWith("progressive-restart", StringComparison.Ordinal)))
        {
            // LibJpeg.NET decodes these without failing, but wrongly (it only warns): they differ from the golden file's coefficients.
            var fromInput = JpegOracle.Read(TestFiles.ReadInput(name), out int warnings);
            var fromGolden = JpegOracle.Read(TestFiles.ReadGolden(name), out _);
            bool same = fromInput.Length == fromGolden.Length && fromInput.Zip(fromGolden).All(p => p.First.Blocks.Length == p.Second.Blocks.Length && p.First.Blocks.Zip(p.Second.Blocks).All(b => b.First.AsSpan().SequenceEqual(b.Second)));
            Assert.IsTrue(warnings > 0 || !same, $"{name}: LibJpeg.NET now reads it right; move it back to the oracle comparison");
        }
    }

    [TestMethod]
    public void SpectralBandsAreTheUnionOfTheScanHeadersAndEveryOtherCoefficientIsZero()
    {
        // The pixel decoder reads nothing outside a component's bands, so they must cover every coefficient a scan set.
        int compared = 0, narrowed = 0;
        foreach (var name in TestFiles.GoldenNames().Concat(["photo-clothing.jpg"]))
        {
            var jpeg = name == "photo-clothing.jpg" ? TestFiles.ReadInput(name) : TestFiles.ReadGolden(name);
            var ends = JpegSegments.ScanEnds(jpeg);
            for (int k = 1; k <= ends.Length; k++)
            {
                byte[] prefix = [.. jpeg.AsSpan(0, ends[k - 1]), 0xFF, 0xD9];
                var expected = BandsFromHeaders(prefix);
                using var image = JpegCoefficientReader.Read(prefix, MaxPixels, name);
                for (int ci = 0; ci < image.Components.Length; ci++)
                {
                    var c = image.Components[ci];
                    Assert.AreEqual(expected[ci], c.SpectralBands, $"{name} k={k} component {ci}");
                    narrowed += c.SpectralBands != ulong.MaxValue ? 1 : 0;
                    for (int b = 0; b < c.AllocatedRows * c.BlocksPerRow; b++)
                    {
                        for (int z = 0; z < 64; z++)
                        {
                            if (((c.SpectralBands >> z) & 1) == 0 && c.Coefficients[(b * 64) + z] != 0)
                                Assert.Fail($"{name} k={k} component {ci} block {b}: coefficient {z} is set outside the bands");
                        }
                    }

                    compared++;
                }
            }
        }

        Assert.IsGreaterThan(100, compared);
        Assert.IsGreaterThan(50, narrowed, "progressive prefixes have narrower bands than whole blocks");
    }

    // Per frame component, the zigzag positions the file's scan headers cover: all 64 for a sequential frame's scans,
    // Ss..Se for a progressive one's (an independent walk over the markers).
    private static ulong[] BandsFromHeaders(byte[] jpeg)
    {
        var bands = new ulong[4];
        var ids = new List<byte>();
        bool progressive = false;
        int p = 2;
        while (p + 3 < jpeg.Length)
        {
            int m = jpeg[p + 1];
            if (m == 0xD9)
                break;
            int length = (jpeg[p + 2] << 8) | jpeg[p + 3];
            if (m is 0xC0 or 0xC1 or 0xC2 or 0xC9 or 0xCA)
            {
                progressive = m is 0xC2 or 0xCA;
                for (int i = 0; i < jpeg[p + 9]; i++)
                    ids.Add(jpeg[p + 10 + (3 * i)]);
            }

            p += 2 + length;
            if (m != 0xDA)
                continue;
            int n = jpeg[p - length + 2];
            int ss = jpeg[p - 3], se = jpeg[p - 2];
            for (int i = 0; i < n; i++)
            {
                int ci = ids.IndexOf(jpeg[p - length + 3 + (2 * i)]);
                for (int z = 0; z < 64; z++)
                {
                    if (!progressive || (z >= ss && z <= se))
                        bands[ci] |= 1UL << z;
                }
            }

            while (!(jpeg[p] == 0xFF && jpeg[p + 1] != 0 && jpeg[p + 1] != 0xFF && (jpeg[p + 1] < 0xD0 || jpeg[p + 1] > 0xD7)))
                p++;
        }

        return bands;
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void InputCoefficientsEqualGoldenCoefficients(string name)
    {
        var expected = JpegOracle.Read(TestFiles.ReadGolden(name), out _);
        using var image = JpegCoefficientReader.Read(TestFiles.ReadInput(name), MaxPixels, name);
        AssertSameCoefficients(expected, image, name);
    }

    [TestMethod]
    [DynamicData(nameof(OracleReadableInputs))]
    public void InputCoefficientsEqualLibJpegNetOnInput(string name)
    {
        var input = TestFiles.ReadInput(name);
        var expected = JpegOracle.Read(input, out _);
        using var image = JpegCoefficientReader.Read(input, MaxPixels, name);
        AssertSameCoefficients(expected, image, name);
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void GoldenFileReadsToItsOwnCoefficients(string name)
    {
        var golden = TestFiles.ReadGolden(name);
        var expected = JpegOracle.Read(golden, out _);
        using var image = JpegCoefficientReader.Read(golden, MaxPixels, name);
        AssertSameCoefficients(expected, image, name);
        Assert.AreEqual(0xC2, image.FrameMarker);
        Assert.IsEmpty(image.Warnings);
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public void GeometryMatchesLibjpeg(string name)
    {
        using var image = JpegCoefficientReader.Read(TestFiles.ReadInput(name), MaxPixels, name);
        foreach (var c in image.Components)
        {
            Assert.AreEqual(CeilDiv(CeilDiv(image.Width * c.HSamp, image.MaxHSamp), 8), c.WidthInBlocks);
            Assert.AreEqual(CeilDiv(CeilDiv(image.Height * c.VSamp, image.MaxVSamp), 8), c.HeightInBlocks);
            Assert.AreEqual(CeilDiv(c.WidthInBlocks, c.HSamp) * c.HSamp, c.BlocksPerRow);
            Assert.AreEqual(CeilDiv(c.HeightInBlocks, c.VSamp) * c.VSamp, c.BlockRows);
            Assert.IsGreaterThanOrEqualTo(c.BlocksPerRow * c.BlockRows * 64, c.Coefficients.Length);
            CollectionAssert.AreEqual(image.QuantTables[c.QuantTableSlot], c.QuantTable);
        }
    }

    [TestMethod]
    [DataRow("baseline-420.jpg", true, 1, 1, false, 0)]
    [DataRow("jfif-major-2.jpg", true, 2, 1, false, 0)]
    [DataRow("exif-no-jfif.jpg", false, 1, 1, false, 0)]
    [DataRow("rgb-adobe.jpg", false, 1, 1, true, 0)]
    [DataRow("cmyk-adobe.jpg", false, 1, 1, true, 0)]
    [DataRow("ycck-adobe.jpg", false, 1, 1, true, 2)]
    [DataRow("jfif-and-adobe.jpg", true, 1, 1, true, 0)]
    [DataRow("rgb-ids-no-markers.jpg", false, 1, 1, false, 0)]
    [DataRow("jfif-rgb-ids.jpg", true, 1, 1, false, 0)]
    public void RecordsJfifAndAdobeMarkers(string name, bool jfif, int major, int minor, bool adobe, int transform)
    {
        using var image = JpegCoefficientReader.Read(TestFiles.ReadInput(name), MaxPixels, name);
        Assert.AreEqual(jfif, image.SawJfif);
        Assert.AreEqual(major, image.JfifMajor);
        Assert.AreEqual(minor, image.JfifMinor);
        Assert.AreEqual(adobe, image.SawAdobe);
        Assert.AreEqual(transform, image.AdobeTransform);
    }

    /// <summary>Replaces the fixture's JFIF APP0 with <paramref name="segments"/> (marker bytes included).</summary>
    private static byte[] WithAppSegments(params byte[][] segments)
    {
        var b = TestFiles.ReadInput("baseline-420.jpg");
        int app0 = JpegSegments.Find(b, 0xE0);
        int end = app0 + 2 + ((b[app0 + 2] << 8) | b[app0 + 3]);
        return [.. b[..app0], .. segments.SelectMany(x => x), .. b[end..]];
    }

    private static byte[] Segment(int marker, byte[] body) =>
        [0xFF, (byte)marker, (byte)((body.Length + 2) >> 8), (byte)(body.Length + 2), .. body];

    [TestMethod]
    [DataRow(14, true)]
    [DataRow(13, false)]
    [DataRow(5, false)]
    [DataRow(40, true)]
    public void JfifNeedsFourteenBytes(int length, bool expected)
    {
        byte[] body = [(byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 2, 1, 0, 72, 0, 96, 0, 0];
        var app0 = Segment(0xE0, [.. body.Take(length), .. new byte[Math.Max(0, length - body.Length)]]);
        using var image = JpegCoefficientReader.Read(WithAppSegments(app0), MaxPixels, "jfif.jpg");
        Assert.AreEqual(expected, image.SawJfif);
        if (expected)
        {
            Assert.AreEqual(1, image.JfifMajor);
            Assert.AreEqual(2, image.JfifMinor);
            Assert.AreEqual(1, image.DensityUnit);
            Assert.AreEqual(72, image.XDensity);
            Assert.AreEqual(96, image.YDensity);
        }
    }

    [TestMethod]
    [DataRow(12, true)]
    [DataRow(11, false)]
    public void AdobeNeedsTwelveBytes(int length, bool expected)
    {
        byte[] body = [(byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0, 100, 0, 0, 0, 0, 1];
        using var image = JpegCoefficientReader.Read(WithAppSegments(Segment(0xEE, body[..length])), MaxPixels, "adobe.jpg");
        Assert.AreEqual(expected, image.SawAdobe);
        Assert.AreEqual(expected ? 1 : 0, image.AdobeTransform);
    }

    [TestMethod]
    public void LastJfifAndAdobeMarkersWin()
    {
        byte[] jfif = [(byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
        byte[] jfif2 = [.. jfif];
        jfif2[5] = 2;
        byte[] adobe = [(byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0, 100, 0, 0, 0, 0, 2];
        byte[] adobe0 = [.. adobe[..11], 0];
        using var image = JpegCoefficientReader.Read(
            WithAppSegments(Segment(0xE0, jfif), Segment(0xEE, adobe), Segment(0xE0, jfif2), Segment(0xEE, adobe0)), MaxPixels, "twice.jpg");
        Assert.IsTrue(image.SawJfif && image.SawAdobe);
        Assert.AreEqual(2, image.JfifMajor);
        Assert.AreEqual(0, image.AdobeTransform);
        Assert.IsNotEmpty(image.Warnings, "JFIF major version 2 warns as libjpeg does");
    }

    [TestMethod]
    public void AppSegmentWithLengthBelowTwoSkipsNothing()
    {
        // libjpeg skips nothing for a length below 2 and then scans forward to the next marker.
        byte[] tiny = [0xFF, 0xE3, 0x00, 0x01, 0x12, 0x34];
        using var image = JpegCoefficientReader.Read(WithAppSegments(tiny), MaxPixels, "tiny.jpg");
        var expected = JpegOracle.Read(TestFiles.ReadInput("baseline-420.jpg"), out _);
        AssertSameCoefficients(expected, image, "tiny.jpg");
        Assert.IsFalse(image.SawJfif);
        Assert.IsNotEmpty(image.Warnings);
    }

    [TestMethod]
    [DataRow("baseline-420.jpg", nameof(JpegColorSpace.YCbCr))]
    [DataRow("gray.jpg", nameof(JpegColorSpace.Grayscale))]
    [DataRow("rgb-adobe.jpg", nameof(JpegColorSpace.Rgb))]
    [DataRow("rgb-ids-no-markers.jpg", nameof(JpegColorSpace.Rgb))]
    [DataRow("jfif-rgb-ids.jpg", nameof(JpegColorSpace.YCbCr))]
    [DataRow("jfif-and-adobe.jpg", nameof(JpegColorSpace.YCbCr))]
    [DataRow("cmyk-adobe.jpg", nameof(JpegColorSpace.Cmyk))]
    [DataRow("ycck-adobe.jpg", nameof(JpegColorSpace.Ycck))]
    [DataRow("exif-no-jfif.jpg", nameof(JpegColorSpace.YCbCr))]
    public void DecidesColorSpaceAsLibjpegTurbo(string name, string expected)
    {
        using var image = JpegCoefficientReader.Read(TestFiles.ReadInput(name), MaxPixels, name);
        Assert.AreEqual(expected, image.ColorSpace.ToString());
    }

    [TestMethod]
    public void RecordsComponentIdsAndFrameKind()
    {
        using (var rgb = JpegCoefficientReader.Read(TestFiles.ReadInput("jfif-rgb-ids.jpg"), MaxPixels, null))
        {
            CollectionAssert.AreEqual(new byte[] { (byte)'R', (byte)'G', (byte)'B' }, rgb.Components.Select(c => c.Id).ToArray());
        }

        using var sof1 = JpegCoefficientReader.Read(TestFiles.ReadInput("extended-sequential-sof1.jpg"), MaxPixels, null);
        Assert.AreEqual(0xC1, sof1.FrameMarker);
        using var arith = JpegCoefficientReader.Read(TestFiles.ReadInput("arithmetic-progressive.jpg"), MaxPixels, null);
        Assert.AreEqual(0xCA, arith.FrameMarker);
        Assert.IsTrue(arith.IsProgressive && arith.IsArithmetic);
    }

    [TestMethod]
    [DataRow("truncated-baseline.jpg")]
    [DataRow("truncated-progressive.jpg")]
    public void TruncatedInputWarns(string name)
    {
        using var image = JpegCoefficientReader.Read(TestFiles.ReadInput(name), MaxPixels, name);
        Assert.IsNotEmpty(image.Warnings);
    }

    [TestMethod]
    public void IntactInputsDoNotWarn()
    {
        foreach (var row in TestFiles.InputFixtures)
        {
            var name = (string)row[0];
            if (name.StartsWith("truncated", StringComparison.Ordinal) || name == "jfif-major-2.jpg")
            {
                continue;
            }

            using var image = JpegCoefficientReader.Read(TestFiles.ReadInput(name), MaxPixels, name);
            Assert.IsEmpty(image.Warnings, name + ": " + string.Join("; ", image.Warnings));
        }
    }

    [TestMethod]
    public void ClothingPhotosMatchLibJpegNet()
    {
        string root = TestFiles.RequireClothingSmall();

        var files = Directory.GetFiles(root, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        int compared = 0;
        for (int i = 0; i < files.Length; i += 20)
        {
            var bytes = File.ReadAllBytes(files[i]);
            var expected = JpegOracle.Read(bytes, out int oracleWarnings);
            using var image = JpegCoefficientReader.Read(bytes, MaxPixels, files[i]);
            if (image.IsProgressive && oracleWarnings > 0)
            {
                continue; // LibJpeg.NET's known progressive+DRI fault
            }

            AssertSameCoefficients(expected, image, files[i]);
            compared++;
        }

        Assert.IsGreaterThan(0, compared);
    }

    [TestMethod]
    public void ProgressiveClothingPhotosAndEveryScanPrefixMatchLibJpegNet()
    {
        // Real refinement content for the progressive decoders (DC first and refine, AC first with end-of-band runs, AC
        // refinement with correction bits): photos transcoded to progressive, read whole and cut after each scan (as a
        // PCR scan group is), against LibJpeg.NET reading the same bytes.
        string root = TestFiles.RequireClothingSmall();
        var files = Directory.GetFiles(root, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var transcoder = new JpegTranscoder();
        int compared = 0;
        for (int i = 0; i < files.Length; i += 150)
        {
            byte[] progressive = transcoder.Transcode(File.ReadAllBytes(files[i]), out var result, files[i]);
            var ends = result.ScanEnds.ToArray();
            for (int scan = 0; scan < ends.Length; scan++)
            {
                byte[] prefix = [.. progressive.AsSpan(0, ends[scan]), 0xFF, 0xD9];
                string name = $"{files[i]} cut after scan {scan + 1} of {ends.Length}";
                var expected = JpegOracle.Read(prefix, out int oracleWarnings);
                Assert.AreEqual(0, oracleWarnings, name);
                using var image = JpegCoefficientReader.Read(prefix, MaxPixels, name);
                Assert.IsEmpty(image.Warnings, name + ": " + string.Join("; ", image.Warnings));
                AssertSameCoefficients(expected, image, name);
                compared++;
            }
        }

        Assert.IsGreaterThan(100, compared);
    }

    [TestMethod]
    [DataRow("odd-37x23.jpg")]
    [DataRow("baseline-411.jpg")]
    [DataRow("baseline-440.jpg")]
    [DataRow("one-pixel.jpg")]
    [DataRow("panorama-1200x40.jpg")]
    public void InterleavedScansFillPaddingBlocksAsLibjpeg(string name)
    {
        var input = TestFiles.ReadInput(name);
        var expected = JpegOracle.Read(input, padded: true, out _);
        using var image = JpegCoefficientReader.Read(input, MaxPixels, name);
        for (int ci = 0; ci < expected.Length; ci++)
        {
            var e = expected[ci];
            var c = image.Components[ci];
            Assert.AreEqual(e.WidthInBlocks, c.BlocksPerRow);
            Assert.AreEqual(e.HeightInBlocks, c.BlockRows);
            for (int i = 0; i < e.Blocks.Length; i++)
            {
                CollectionAssert.AreEqual(e.Blocks[i], c.Block(i / e.WidthInBlocks, i % e.WidthInBlocks).ToArray(), $"{name} component {ci} block {i}");
            }
        }
    }

    [TestMethod]
    public void SequentialFileWithoutHuffmanTablesGetsTheStandardOnes()
    {
        // cjpeg without -optimize codes with the T.81 K.3 tables, so dropping its DHT segments (as
        // Motion-JPEG frames do) must not change what is read, as in libjpeg-turbo.
        var original = TestFiles.ReadInput("baseline-420.jpg");
        var stripped = new List<byte>(original[..2]);
        foreach (var (offset, marker) in JpegSegments.List(original))
        {
            if (marker == 0xDA)
            {
                stripped.AddRange(original[offset..]);
                break;
            }

            int length = (original[offset + 2] << 8) | original[offset + 3];
            if (marker != 0xC4)
            {
                stripped.AddRange(original.AsSpan(offset, 2 + length).ToArray());
            }
        }

        var expected = JpegOracle.Read(original, out _);
        using var image = JpegCoefficientReader.Read(stripped.ToArray(), MaxPixels, "no-dht.jpg");
        AssertSameCoefficients(expected, image, "no-dht.jpg");
    }

    [TestMethod]
    public void DamagedLastRefinementScansReadAsLibJpegDoes()
    {
        // Noise at quality 100 leaves most high frequencies nonzero, coefficient 63 included, so bit flips in the last
        // scan (luma 1-63 refinement) desynchronise it into runs of every kind: past the band's end on blocks whose 63 is
        // nonzero (libjpeg refines 63, then overwrites it), sizes other than 1, bad codes, end-of-band runs. Every
        // flip LibJpeg.NET reads must read to the same coefficients.
        var rng = new Random(20261203);
        int compared = 0;
        for (int image = 0; image < 4; image++)
        {
            byte[] progressive = NoisyProgressive(rng, 40 + (8 * image), 32 + (8 * image));
            int[] ends = JpegSegments.ScanEnds(progressive);
            int end = ends[^1];
            int sos = end - 2;
            while (!(progressive[sos] == 0xFF && progressive[sos + 1] == 0xDA))
            {
                sos--;
            }

            int start = sos + 2 + ((progressive[sos + 2] << 8) | progressive[sos + 3]);
            for (int i = 0; i < 40; i++)
            {
                byte[] mutated = (byte[])progressive.Clone();
                int at = rng.Next(start + 1, end);
                byte flipped = (byte)(mutated[at] ^ (1 << rng.Next(8)));
                if (flipped == 0xFF || mutated[at] == 0xFF || mutated[at - 1] == 0xFF)
                {
                    continue;
                }

                mutated[at] = flipped;
                OracleComponent[] expected;
                try
                {
                    expected = JpegOracle.Read(mutated, out _);
                }
                catch (Exception)
                {
                    continue;
                }

                using var actual = JpegCoefficientReader.Read(mutated, MaxPixels, "noise.jpg");
                AssertSameCoefficients(expected, actual, $"noise {image}, bit flipped at {at}");
                compared++;
            }
        }

        Assert.IsGreaterThan(100, compared);
    }

    // Random RGB noise, encoded by SkiaSharp at quality 100 and transcoded to progressive by the library.
    private static byte[] NoisyProgressive(Random rng, int width, int height)
    {
        using var bitmap = new SkiaSharp.SKBitmap(width, height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SkiaSharp.SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
            }
        }

        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 100);
        return new JpegTranscoder().Transcode(data.ToArray(), out _, "noise.jpg");
    }

    internal static void AssertSameCoefficients(OracleComponent[] expected, JpegCoefficientImage image, string name)
    {
        Assert.HasCount(expected.Length, image.Components, name);
        for (int ci = 0; ci < expected.Length; ci++)
        {
            var e = expected[ci];
            var c = image.Components[ci];
            Assert.AreEqual(e.Id, c.Id, $"{name} component {ci} id");
            Assert.AreEqual(e.WidthInBlocks, c.WidthInBlocks, $"{name} component {ci} width in blocks");
            Assert.AreEqual(e.HeightInBlocks, c.HeightInBlocks, $"{name} component {ci} height in blocks");
            CollectionAssert.AreEqual(e.QuantZigzag, c.QuantTable, $"{name} component {ci} quantization table");
            for (int row = 0; row < e.HeightInBlocks; row++)
            {
                for (int col = 0; col < e.WidthInBlocks; col++)
                {
                    var want = e.Blocks[(row * e.WidthInBlocks) + col];
                    var got = c.Block(row, col);
                    if (!got.SequenceEqual(want))
                    {
                        Assert.Fail($"{name} component {ci} block ({row},{col}) differs: expected [{string.Join(",", want)}] got [{string.Join(",", got.ToArray())}]");
                    }
                }
            }
        }
    }

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;
}
