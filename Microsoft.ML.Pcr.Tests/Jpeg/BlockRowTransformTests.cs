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
