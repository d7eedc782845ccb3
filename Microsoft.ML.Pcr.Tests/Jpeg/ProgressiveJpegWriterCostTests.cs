using System.Buffers;
using System.Diagnostics;
using Microsoft.ML.Pcr.Jpeg;

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
        using var image = LibJpegNetCoefficientOracle.Read(File.ReadAllBytes(file));
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
        var root = ProgressiveJpegWriterTests.FindDataset();
        if (root is null)
        {
            Assert.Inconclusive("shared/datasets/clothing-small not found above the test directory");
            return;
        }

        var files = Directory.GetFiles(root, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(200).ToArray();
        var images = files.Select(f => LibJpegNetCoefficientOracle.Read(File.ReadAllBytes(f))).ToArray();
        try
        {
            var output = new ArrayBufferWriter<byte>(1 << 20);
            foreach (var image in images)
            {
                output.ResetWrittenCount();
                ProgressiveJpegWriter.Write(image, output);
            }

            double best = double.MaxValue;
            for (int round = 0; round < 5; round++)
            {
                var sw = Stopwatch.StartNew();
                foreach (var image in images)
                {
                    output.ResetWrittenCount();
                    ProgressiveJpegWriter.Write(image, output);
                }

                best = Math.Min(best, sw.Elapsed.TotalMilliseconds / images.Length);
            }

            Console.WriteLine($"write: {best:F3} ms per photo ({images.Length} photos, best of 5 rounds, {images[0].Width}x{images[0].Height} first)");
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
