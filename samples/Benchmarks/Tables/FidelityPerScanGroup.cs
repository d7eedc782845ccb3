using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.Quality;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 7: bytes read per scan group as a share of the full dataset, and mean MS-SSIM (and PSNR) against full fidelity
/// (<see cref="ScanFidelity.Measure"/> on a sample), on the clothing-small conversion and on the generated 640x480 set.
/// </summary>
internal sealed class FidelityPerScanGroup : IBenchmarkTable
{
    public string Name => "fidelity";

    public string Title => "7. Bytes and fidelity per scan group";

    public void Run(BenchContext context, Report report)
    {
        if (!context.HasClothing(report)) return;
        int sample = context.Pick(16, 128);
        var sets = new List<(string Name, IReadOnlyList<ScanGroupFidelity> Rows)>
        {
            ("clothing-small train", ScanFidelity.Measure(PcrDataset.Open(context.ClothingPcr), new ScanFidelityOptions { SampleSize = sample })),
        };
        if (context.ImageMagick is not null)
        {
            string pcr = context.ConvertOnce(context.GeneratedFolder, Path.GetFileName(context.GeneratedFolder) + "-pcr");
            sets.Add(("generated 640x480", ScanFidelity.Measure(PcrDataset.Open(pcr), new ScanFidelityOptions { SampleSize = sample })));
        }

        int scans = sets.Max(s => s.Rows.Count);
        report.Note($"MS-SSIM and PSNR are means over {sample} sampled images per dataset, against the same images at full fidelity.");
        report.Table(["scan group", .. sets.SelectMany(s => new[] { $"{s.Name}: share of bytes", "MS-SSIM", "PSNR (dB)" })],
            Enumerable.Range(1, scans).Select(k => (IReadOnlyList<string>)
            [
                k.ToString(System.Globalization.CultureInfo.InvariantCulture),
                .. sets.SelectMany(s => s.Rows.FirstOrDefault(r => r.Scan == k) is { } r
                    ? new[] { Report.Percent(r.ShareOfFull), Report.F(r.MeanMultiScaleSsim, 4), double.IsFinite(r.MeanPsnr) ? Report.F(r.MeanPsnr, 2) : "identical" }
                    : ["", "", ""]),
            ]));
        if (context.ImageMagick is null) report.Skipped($"the generated set: {context.MissingImageMagick}");
    }
}
