using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Tests.Format;

[TestClass]
public sealed class FileByteSourceTests
{
    [TestMethod]
    public void ADatasetOfSymbolicLinksReadsLikeTheFiles()
    {
        using var dir = TestFiles.NewTempDirectory();
        PcrRoundTripTests.WriteMixed(dir.Combine("real"), 4, out _);
        Directory.CreateDirectory(dir.Combine("links"));
        foreach (string file in Directory.GetFiles(dir.Combine("real")))
            File.CreateSymbolicLink(dir.Combine("links", Path.GetFileName(file)), file);

        PcrDataset linked = PcrDataset.Open(dir.Combine("links"));
        Assert.AreEqual(PcrDataset.Open(dir.Combine("real")).ImageCount, linked.ImageCount);
        using PcrRecordPrefix prefix = linked.ReadRecord(0, linked.ScanGroupCount);
        Assert.AreEqual(4, prefix.ImageCount);
    }
}
