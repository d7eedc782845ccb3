using System.Buffers;
using System.Diagnostics;
using Microsoft.ML.Pcr.Jpeg;
using Microsoft.ML.Pcr.Jpeg.Decoder;
using Microsoft.ML.Pcr.Jpeg.Encoder;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>Allocation and (printed, not asserted) speed of the writer on real photos.</summary>
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

    [TestMethod]
    public void WriteSpeedOnClothingPhotos()
    {
        var root = TestFiles.ClothingSmall();
        if (root is null)
        {
            Assert.Inconclusive("shared/datasets/clothing-small not found above the test directory");
            return;
        }

        var files = Directory.GetFiles(root, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(200).ToArray();
        var images = files.Select(f => JpegCoefficientReader.Read(File.ReadAllBytes(f), long.MaxValue, f)).ToArray();
        try
        {
            var output = new ArrayBufferWriter<byte>(1 << 20);
            foreach (var image in images)
            {
                output.ResetWrittenCount();
                ProgressiveJpegWriter.Write(image, output);
            }

            // Best of several rounds, by wall clock and by process CPU time (the machine may be shared).
            double best = double.MaxValue, bestCpu = double.MaxValue;
            using var process = Process.GetCurrentProcess();
            for (int round = 0; round < 15; round++)
            {
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                foreach (var image in images)
                {
                    output.ResetWrittenCount();
                    ProgressiveJpegWriter.Write(image, output);
                }

                best = Math.Min(best, sw.Elapsed.TotalMilliseconds / images.Length);
                process.Refresh();
                bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu0).TotalMilliseconds / images.Length);
            }

            double megapixels = images.Average(i => (double)i.Width * i.Height) / 1e6;
            Console.WriteLine($"write: {best:F3} ms per photo wall, {bestCpu:F3} ms CPU, mean {megapixels:F3} MP ({images.Length} photos, best of 15 rounds, one thread)");
        }
        finally
        {
            foreach (var image in images)
            {
                image.Dispose();
            }
        }
    }
}
