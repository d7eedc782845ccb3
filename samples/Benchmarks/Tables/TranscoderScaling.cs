using System.Buffers;
using Microsoft.ML.Pcr.Jpeg;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 2: our transcoder's cost per megapixel at three shapes made from one clothing photo: 640x480, 2560x1920 and a
/// 5916x356 panorama (a wide image stresses anything that grows with the width, as LibJpeg.NET's per-row arrays do).
/// </summary>
internal sealed class TranscoderScaling : IBenchmarkTable
{
    private static readonly (int Width, int Height)[] Sizes = [(640, 480), (2560, 1920), (5916, 356)];

    public string Name => "scaling";

    public string Title => "2. Transcoder cost against pixel count";

    public void Run(BenchContext context, Report report)
    {
        if (!BenchContext.Has(report, context.MissingClothing ?? context.MissingImageMagick)) return;
        byte[][] inputs = [.. Sizes.Select(s => File.ReadAllBytes(GeneratedImages.ResizedPhoto(context, s.Width, s.Height)))];
        // About 20 megapixels per timed pass for each size, so each pass is long enough to time and the sizes weigh alike.
        int[] iterations = [.. Sizes.Select(s => Math.Max(1, (int)(context.Pick(8e6, 20e6) / (s.Width * s.Height))))];
        int repeats = context.Pick(3, 7);
        var transcoder = new JpegTranscoder();
        var buffer = new ArrayBufferWriter<byte>(1 << 22);

        double[] seconds = Timing.InterleavedMedians(repeats, [.. inputs.Select((jpeg, i) => (Action)(() =>
        {
            for (int n = 0; n < iterations[i]; n++)
            {
                buffer.ResetWrittenCount();
                transcoder.Transcode(jpeg, buffer);
            }
        }))]);
        double[] msPerMegapixel = [.. Sizes.Select((s, i) => seconds[i] * 1000 / iterations[i] / (s.Width * s.Height / 1e6))];

        report.Note($"One clothing photo resized with ImageMagick (quality 90, 4:2:0); median of {repeats} interleaved passes.");
        report.Table(["size", "megapixels", "input", "ms/image", "ms/megapixel"], Sizes.Select((s, i) => (IReadOnlyList<string>)
        [
            $"{s.Width}x{s.Height}", Report.F(s.Width * s.Height / 1e6, 2), $"{inputs[i].Length / 1024} KB",
            Report.F(seconds[i] * 1000 / iterations[i], 2), Report.F(msPerMegapixel[i], 2),
        ]));
        double spread = msPerMegapixel.Max() / msPerMegapixel.Min();
        report.Target("ms/megapixel max/min within 1.5x", spread <= 1.5, Report.Ratio(spread));
    }
}
