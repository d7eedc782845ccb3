using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Jpeg.Pixels;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>
/// The block-row transform (smoothing, dequantization and reduced IDCTs eight blocks at a time) against the per-block
/// path it replaces, on every golden file and scan-group prefix at every scale, and on coefficients large enough that
/// the row path must hand blocks back to the per-block path. Run these with <c>DOTNET_EnableAVX512F=0</c> and with
/// <c>DOTNET_EnableAVX2=0</c> too: the per-block path they compare against then changes with them.
/// </summary>
[TestClass]
public sealed class BlockRowTransformTests
{
    private static readonly int[] Scales = [1, 2, 4, 8];

    private static string? Difference(byte[] jpeg, int denominator)
    {
        var rows = new JpegPixelDecoder();
        var blocks = new JpegPixelDecoder { UseRowTransform = false };
        byte[] expected;
        try
        {
            expected = blocks.DecodeBgra(jpeg, denominator, null, out _, out _).ToArray();
        }
        catch (PcrFormatException)
        {
            Assert.ThrowsExactly<PcrFormatException>(() => rows.DecodeBgra(jpeg, denominator, null, out _, out _));
            return null;
        }

        var actual = rows.DecodeBgra(jpeg, denominator, null, out _, out _);
        if (actual.Length != expected.Length)
            return $"{actual.Length} bytes, per-block {expected.Length}";
        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] != expected[i])
                return $"byte {i}: {actual[i]} vs {expected[i]}";
        }

        return null;
    }

    [TestMethod]
    public void RowPathIsTakenExactlyWhereItsInstructionsExist()
    {
        Assert.AreEqual(Avx2.IsSupported, BlockRowTransform.IsSupported);
        Assert.AreEqual(Avx2.IsSupported, BlockRowTransform.Applies(2, 8));
        Assert.AreEqual(Avx2.IsSupported, BlockRowTransform.Applies(4, 50));
        Assert.IsFalse(BlockRowTransform.Applies(4, 7), "rows narrower than eight blocks stay per block");
        Assert.IsFalse(BlockRowTransform.Applies(1, 50), "1x1 blocks stay per block");
        Assert.IsFalse(BlockRowTransform.Applies(8, 50), "8x8 blocks stay per block");
    }

    [TestMethod]
    public void RowPathEqualsPerBlockPathOnEveryPrefixAndScale()
    {
        var failures = new List<string>();
        int compared = 0;
        foreach (var name in TestFiles.GoldenNames())
        {
            var jpeg = TestFiles.ReadGolden(name);
            var ends = JpegSegments.ScanEnds(jpeg);
            var inputs = new List<(string, byte[])> { ("input", TestFiles.ReadInput(name)) };
            for (int k = 1; k < ends.Length; k++)
            {
                inputs.Add(($"k={k}", [.. jpeg.AsSpan(0, ends[k - 1]), 0xFF, 0xD9]));
            }

            foreach (var (what, bytes) in inputs)
            {
                foreach (int d in Scales)
                {
                    compared++;
                    if (Difference(bytes, d) is { } diff)
                        failures.Add($"{name} {what} 1/{d}: {diff}");
                }
            }
        }

        Assert.IsGreaterThan(300, compared);
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    [TestMethod]
    public void LargeDequantizedCoefficientsFallBackToTheExactPerBlockPath()
    {
        // Every 8-bit quantization step raised to 255: dequantized coefficients pass 2^14, where the row path's 32-bit
        // first pass could overflow, so it must give those blocks to the per-block path; SkiaSharp decodes the same bytes.
        var failures = new List<string>();
        int patched = 0, compared = 0;
        foreach (var name in TestFiles.GoldenNames())
        {
            var jpeg = TestFiles.ReadGolden(name);
            if (!RaiseQuantization(jpeg))
                continue;
            patched++;
            var ends = JpegSegments.ScanEnds(jpeg);
            foreach (int k in (int[])[1, 2, ends.Length])
            {
                if (k > ends.Length)
                    continue;
                byte[] prefix = k == ends.Length ? jpeg : [.. jpeg.AsSpan(0, ends[k - 1]), 0xFF, 0xD9];
                foreach (int d in (int[])[2, 4])
                {
                    compared++;
                    if (Difference(prefix, d) is { } diff)
                        failures.Add($"{name} k={k} 1/{d}: {diff}");
                }

                if (JpegPixelDecoderTests.SkiaDecode(prefix, 4, out _, out _) is not null &&
                    JpegPixelDecoderTests.Compare(new JpegPixelDecoder(), prefix, 4) is { } skia)
                    failures.Add($"{name} k={k} 1/4 against SkiaSharp: {skia}");
            }
        }

        Assert.IsGreaterThan(5, patched);
        Assert.IsGreaterThan(20, compared);
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    [TestMethod]
    public void SmoothingQuotientsEqualExactIntegerDivision()
    {
        // libjpeg's estimate divides (q << 7) + q00 m by q << 8 in integers; the single-precision way must agree up to its
        // limit and flag every magnitude beyond it, and the double-precision way must agree everywhere.
        if (!Avx2.IsSupported)
            Assert.Inconclusive("the row transform needs AVX2");
        var random = new Random(15);
        int checkedSingle = 0;
        foreach (int q00 in (int[])[1, 2, 3, 7, 16, 97, 255, 1000, 4095, 32767, 65535])
        {
            foreach (int step in (int[])[1, 2, 5, 17, 100, 255, 1023, 16383, 32767, 65535])
            {
                foreach (double cap in (double[])[double.PositiveInfinity, 1, 7, 255, 8191])
                {
                    var quotient = new BlockRowTransform.Quotient(q00, step, cap);
                    long d = (long)step << 8;
                    var magnitudes = new List<int>();
                    for (int m = 0; m < 64; m++)
                        magnitudes.Add(m);
                    for (int j = 1; j < 400; j++)
                    {
                        // Either side of each multiple of the divisor.
                        long m = ((j * d) - (128L * step) + q00 - 1) / q00;
                        if (m < 1 << 24)
                            magnitudes.AddRange([(int)Math.Max(0, m - 1), (int)m, (int)(m + 1)]);
                    }

                    int limit = quotient.SingleLimit;
                    for (int i = 0; i < 16 && limit >= 0; i++)
                        magnitudes.Add(Math.Max(0, limit - i));
                    for (int i = 0; i < 200; i++)
                        magnitudes.Add(random.Next(0, 1 << 24));
                    magnitudes.Add(limit + 1);

                    for (int i = 0; i + 8 <= magnitudes.Count; i += 8)
                    {
                        var lanes = Vector256.Create(magnitudes.GetRange(i, 8).ToArray());
                        var none = Vector256<int>.Zero;
                        var wide = BlockRowTransform.DoubleQuotient.Divide(lanes, quotient, ref none);
                        Assert.AreEqual(Vector256<int>.Zero, none, "the double-precision way is exact everywhere");
                        var beyond = Vector256<int>.Zero;
                        var single = BlockRowTransform.SingleQuotient.Divide(lanes, quotient, ref beyond);
                        for (int lane = 0; lane < 8; lane++)
                        {
                            int m = lanes[lane];
                            long exact = (long)Math.Min(((128L * step) + ((long)q00 * m)) / d, cap);
                            string what = $"q00 {q00}, q {step}, cap {cap}, magnitude {m}";
                            if (exact <= int.MaxValue)
                                Assert.AreEqual(exact, wide[lane], what);
                            Assert.AreEqual(m > limit, beyond[lane] != 0, $"{what}: limit {limit}");
                            if (m <= limit)
                            {
                                checkedSingle++;
                                Assert.AreEqual(exact, single[lane], what);
                            }
                        }
                    }
                }
            }
        }

        Assert.IsGreaterThan(100_000, checkedSingle);
    }

    [TestMethod]
    public void SmoothingWithStepsBeyondSinglePrecisionEqualsPerBlockPath()
    {
        // 16-bit quantization tables of 30000 everywhere: every smoothing dividend is beyond single precision's exact
        // range, so each row's estimates are made in double precision; the per-block path smooths the same bytes.
        var failures = new List<string>();
        int compared = 0;
        foreach (var name in TestFiles.GoldenNames())
        {
            var jpeg = WidenQuantization(TestFiles.ReadGolden(name), 30000);
            if (jpeg is null)
                continue;
            var ends = JpegSegments.ScanEnds(jpeg);
            foreach (int k in (int[])[1, 2, 3])
            {
                if (k >= ends.Length)
                    continue;
                byte[] prefix = [.. jpeg.AsSpan(0, ends[k - 1]), 0xFF, 0xD9];
                foreach (int d in (int[])[2, 4])
                {
                    compared++;
                    if (Difference(prefix, d) is { } diff)
                        failures.Add($"{name} k={k} 1/{d}: {diff}");
                }
            }
        }

        Assert.IsGreaterThan(20, compared);
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    // The file with every DQT table rewritten as a 16-bit table of one value; null when it has an arithmetic-coded or
    // unparseable header (or no table).
    private static byte[]? WidenQuantization(byte[] jpeg, int value)
    {
        var output = new List<byte>(jpeg.Length + 512) { 0xFF, 0xD8 };
        bool any = false;
        int pos = 2;
        while (pos + 4 <= jpeg.Length && jpeg[pos] == 0xFF)
        {
            byte marker = jpeg[pos + 1];
            if (marker is 0xDA)
            {
                output.AddRange(jpeg.AsSpan(pos).ToArray());
                return any ? [.. output] : null;
            }

            int length = (jpeg[pos + 2] << 8) | jpeg[pos + 3];
            if (marker == 0xDB)
            {
                var tables = new List<int>();
                int p = pos + 4, end = pos + 2 + length;
                while (p < end)
                {
                    tables.Add(jpeg[p] & 0x0F);
                    p += (jpeg[p] >> 4) != 0 ? 129 : 65;
                }

                int newLength = 2 + (tables.Count * 129);
                output.AddRange([0xFF, 0xDB, (byte)(newLength >> 8), (byte)newLength]);
                foreach (int id in tables)
                {
                    output.Add((byte)(0x10 | id));
                    for (int i = 0; i < 64; i++)
                        output.AddRange([(byte)(value >> 8), (byte)value]);
                }

                any = true;
            }
            else
            {
                output.AddRange(jpeg.AsSpan(pos, 2 + length).ToArray());
            }

            pos += 2 + length;
        }

        return null;
    }

    // Sets every step of every 8-bit DQT table to 255 in place; false when the file has none.
    private static bool RaiseQuantization(byte[] jpeg)
    {
        bool any = false;
        int pos = 2;
        while (pos + 4 <= jpeg.Length && jpeg[pos] == 0xFF)
        {
            byte marker = jpeg[pos + 1];
            if (marker is 0xDA or 0xD9)
                break;
            int length = (jpeg[pos + 2] << 8) | jpeg[pos + 3];
            if (marker == 0xDB)
            {
                int p = pos + 4, end = pos + 2 + length;
                while (p < end)
                {
                    bool wide = (jpeg[p] >> 4) != 0;
                    if (wide)
                        return false;
                    jpeg.AsSpan(p + 1, 64).Fill(255);
                    any = true;
                    p += 65;
                }
            }

            pos += 2 + length;
        }

        return any;
    }
}
