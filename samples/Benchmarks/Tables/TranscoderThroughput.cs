using System.Buffers;
using Microsoft.ML.Pcr.Jpeg;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 1: images per second, one thread, on clothing-small photos, of our in-process transcoder against a
/// jpegtran process per image (the published converter's way) and LibJpeg.NET's coefficient transcode.
/// </summary>
internal sealed class TranscoderThroughput : IBenchmarkTable
{
    public string Name => "transcoder";

    public string Title => "1. Transcoder throughput, one thread (clothing-small photos)";

    public void Run(BenchContext context, Report report)
    {
        if (!context.HasClothing(report)) return;
        string[] photos = context.SampleClothingPhotos(context.Pick(40, 300));
        byte[][] bytes = [.. photos.Select(File.ReadAllBytes)];
        int repeats = context.Pick(3, 5);
        var transcoder = new JpegTranscoder();
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        var managedOutput = new MemoryStream(1 << 20);
        string jpegtranOutput = Path.Combine(context.DataDirectory, "jpegtran-out.jpg");

        var contenders = new List<(string Name, Action Run)>
        {
            ("ours, in process (JpegTranscoder)", () =>
            {
                foreach (byte[] jpeg in bytes)
                {
                    buffer.ResetWrittenCount();
                    transcoder.Transcode(jpeg, buffer);
                }
            }),
            ("LibJpeg.NET coefficient transcode", () =>
            {
                foreach (byte[] jpeg in bytes) LibJpegNetTranscoder.Transcode(jpeg, managedOutput);
            }),
        };
        if (context.Jpegtran is { } jpegtran)
        {
            void RunJpegtran()
            {
                foreach (string photo in photos) ExternalTools.JpegtranProgressive(jpegtran, photo, jpegtranOutput);
            }
            contenders.Add(("jpegtran process per image", RunJpegtran));
        }

        double[] seconds = Timing.InterleavedMedians(repeats, [.. contenders.Select(c => c.Run)]);
        double[] rates = [.. seconds.Select(s => photos.Length / s)];
        report.Note($"{photos.Length} photos ({Report.MB(bytes.Sum(b => (double)b.Length))}, mostly 400x534 baseline 4:2:0), " +
            $"median of {repeats} interleaved passes; inputs in memory for the in-process contenders, in the page cache for jpegtran.");
        report.Table(["transcoder", "images/s", "ms/image", "ours is"],
            contenders.Select((c, i) => (IReadOnlyList<string>)[c.Name, Report.F(rates[i], 0), Report.F(1000 / rates[i], 2), i == 0 ? "" : Report.Ratio(rates[0] / rates[i])]));

        if (context.Jpegtran is null) report.Skipped($"the jpegtran contender: {context.MissingJpegtran}");
        else report.Target("ours >= 1.5x the jpegtran process loop", rates[0] >= 1.5 * rates[2], Report.Ratio(rates[0] / rates[2]));
        report.Target("ours >= 4x LibJpeg.NET", rates[0] >= 4 * rates[1], Report.Ratio(rates[0] / rates[1]));
    }
}
