namespace Microsoft.ML.Pcr.Tests;

[TestClass]
public sealed class PcrFormatExceptionTests
{
    [TestMethod]
    public void MessageNamesFileRecordAndPosition()
    {
        var e = new PcrFormatException("offset -4 is negative", "/data/PCR_index.pb", "PCR_3.pcr", 17);
        Assert.AreEqual("/data/PCR_index.pb, record PCR_3.pcr, byte 17: offset -4 is negative", e.Message);
        Assert.AreEqual("offset -4 is negative", e.Reason);
        Assert.IsInstanceOfType<IOException>(e);
    }

    [TestMethod]
    public void RecordIsNotRepeatedWhenTheFileIsTheRecord()
    {
        var e = new PcrFormatException("truncated", "/data/PCR_3.pcr", "PCR_3.pcr");
        Assert.AreEqual("/data/PCR_3.pcr: truncated", e.Message);
    }
}
