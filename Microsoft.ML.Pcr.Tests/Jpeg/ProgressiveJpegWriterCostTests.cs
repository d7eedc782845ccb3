using System.Buffers;
using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Jpeg.Decoder;
using Microsoft.ML.Pcr.Jpeg.Encoder;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>Allocation of the writer in steady state (its speed is table 1 of samples/Benchmarks, never asserted).</summary>
[TestClass]
[DoNotParallelize]
public sealed class ProgressiveJpegWriterCostTests
{
    [TestMethod]
    public void SteadyStateWriteAllocatesUnder64KB()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "TestData", "jpeg", "inputs", "photo-clothing.jpg");
        using var image = JpegCoefficientReader.Read(File.ReadAllBytes(file), long.MaxValue, file);
        var output = new ArrayBufferWriter<byte>(1 << 20);
        for (int i = 0; i < 3; i++)
        {
            output.ResetWrittenCount();
            ProgressiveJpegWriter.Write(image, output);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        const int Runs = 10;
        for (int i = 0; i < Runs; i++)
        {
            output.ResetWrittenCount();
            ProgressiveJpegWriter.Write(image, output);
        }

        long perImage = (GC.GetAllocatedBytesForCurrentThread() - before) / Runs;
        Console.WriteLine($"allocated {perImage} bytes per image");
        Assert.IsLessThan(64 * 1024, perImage);
    }
}
