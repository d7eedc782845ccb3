using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Jpeg.Encoder;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

[TestClass]
public sealed class HuffmanTableBuilderTests
{
    [TestMethod]
    public void HeapMergeEqualsLibjpegLiteralSearch()
    {
        var rnd = new Random(12345);
        var builder = new HuffmanTableBuilder();
        for (int trial = 0; trial < 500; trial++)
        {
            var counts = new int[256];
            int symbols = rnd.Next(1, 257);
            for (int i = 0; i < symbols; i++)
            {
                // Few distinct values so ties (broken towards the larger symbol) are common.
                counts[rnd.Next(256)] = trial % 2 == 0 ? rnd.Next(1, 4) : rnd.Next(1, 100000);
            }

            AssertSameTables(builder, counts);
        }
    }

    [TestMethod]
    public void CodesLongerThan16BitsAreLimitedAsLibjpegDoes()
    {
        // Fibonacci counts make a maximally deep tree (lengths far above 16).
        var counts = new int[256];
        int a = 1, b = 1;
        for (int i = 0; i < 30; i++)
        {
            counts[i * 3] = a;
            (a, b) = (b, a + b);
        }

        var builder = new HuffmanTableBuilder();
        var table = AssertSameTables(builder, counts);
        int total = 0;
        double kraft = 0;
        for (int l = 1; l <= 16; l++)
        {
            total += table.Bits[l];
            kraft += table.Bits[l] / Math.Pow(2, l);
        }

        Assert.AreEqual(30, total);
        Assert.IsLessThan(1.0, kraft, "the all-ones code stays unused");
        Assert.IsGreaterThan(0, table.Bits[16], "lengths were cut down to 16");
    }

    [TestMethod]
    public void OneSymbolGetsAOneBitCode()
    {
        var counts = new int[256];
        counts[0x10] = 5;
        var table = new HuffmanCodeTable();
        new HuffmanTableBuilder().Build(counts, table);
        Assert.AreEqual(1, table.Count);
        Assert.AreEqual(1, table.Bits[1]);
        Assert.AreEqual(0u, table.Codes[0x10]);
        Assert.AreEqual(1, table.Sizes[0x10]);
    }

    private static HuffmanCodeTable AssertSameTables(HuffmanTableBuilder builder, int[] counts)
    {
        var heap = new HuffmanCodeTable();
        var literal = new HuffmanCodeTable();
        builder.Build(counts, heap, literalSearch: false);
        builder.Build(counts, literal, literalSearch: true);
        CollectionAssert.AreEqual(literal.Bits, heap.Bits);
        Assert.AreEqual(literal.Count, heap.Count);
        CollectionAssert.AreEqual(literal.Values[..literal.Count], heap.Values[..heap.Count]);
        CollectionAssert.AreEqual(literal.Codes, heap.Codes);
        return heap;
    }
}
