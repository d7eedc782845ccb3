using System.Buffers;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Jpeg.Pixels;
using Pcr.Benchmarks.Harness;
using SkiaSharp;

namespace Pcr.Benchmarks.Tables;

/// <summary>
/// Table 11: images/s through <c>LoadFromPcr</c> (one cursor, one thread) at scan groups 1, 2, 3, 5 and full of the
/// clothing-small training conversion: our pixel decoder straight into a 64x64 float tensor, against SkiaSharp's scaled
/// decode into an MLImage plus a resize to 64x64 (what DecodeImages + ResizeImages did before it used our decoder), and
/// ML.NET's LoadImages + ResizeImages from the ImageFolder (in every scan group's interleaved passes, so that each ratio
/// is side by side); then both decoders at full size. Allocation per image.
/// </summary>
internal sealed class PixelDecoderThroughput : IBenchmarkTable
{
    private const int Size = 64;

    public string Name => "decoder";

    public string Title => "11. Pixel decoding per scan group (clothing-small, one thread)";

    public void Run(BenchContext context, Report report)
    {
        if (!context.HasClothing(report)) return;

        var ml = new MLContext(seed: 1);
        string folder = context.ClothingTrainFolder;
        PcrDataView full = ml.Data.LoadFromPcr(context.ClothingPcr);
        int[] scans = [.. new[] { 1, 2, 3, 5 }.Where(s => s < full.ScanGroupCount), full.ScanGroupCount];
        int rows = context.Pick(100, 600);
        int repeats = context.Pick(2, 5);
        var decoder = new JpegPixelDecoder();
        var tensor = new float[3 * Size * Size];
        var options = new TensorDecodeOptions(Size, Size) { Mean = (0.485f, 0.456f, 0.406f), StdDev = (0.229f, 0.224f, 0.225f) };

        // ML.NET's pipeline gets an untimed pass first too, so that neither side's figure includes compiling it.
        IDataView folderImages = Pipelines.ImagesFromFolder(ml, folder, Pipelines.PathList(ml, Pipelines.RelativePaths(folder)), Size);
        Pipelines.DrainImages(folderImages, Pipelines.Resized, rows);

        // Steady state before the first timed group: the decoders' hot loops are compiled at tier 1 only after enough calls
        // (and a background compile), and scan group 1 runs first with the fewest bytes per image, so without this its
        // figures measured the JIT (scan 1 then looked slower than scan 2).
        foreach (int scan in (ReadOnlySpan<int>)[1, full.ScanGroupCount])
        {
            IDataView view = full.WithScan(scan);
            for (int pass = 0; pass < 5; pass++)
            {
                ForEachImage(view, rows, bytes => decoder.DecodeToTensor(bytes, tensor, options));
                ForEachImage(view, rows, bytes => decoder.DecodeBgra(bytes, 1, null, out _, out _));
                ForEachImage(view, rows, bytes => SkiaTo64(bytes));
                ForEachImage(view, rows, bytes => SkiaFullSize(bytes));
            }
        }

        var lines = new List<IReadOnlyList<string>>();
        bool twiceSkia = true, thriceFolder = true, fullAsFast = true;
        double worstSkia = double.MaxValue, worstFolder = double.MaxValue, worstFull = double.MaxValue;
        double folderSlowest = 0, folderFastest = double.MaxValue;
        foreach (int scan in scans)
        {
            IDataView view = full.WithScan(scan);
            double[] s = Timing.InterleavedMedians(repeats,
                () => ForEachImage(view, rows, bytes => decoder.DecodeToTensor(bytes, tensor, options)),
                () => ForEachImage(view, rows, bytes => SkiaTo64(bytes)),
                () => ForEachImage(view, rows, bytes => decoder.DecodeBgra(bytes, 1, null, out _, out _)),
                () => ForEachImage(view, rows, bytes => SkiaFullSize(bytes)),
                () => Pipelines.DrainImages(folderImages, Pipelines.Resized, rows));
            double folderSeconds = s[4];
            folderSlowest = Math.Max(folderSlowest, folderSeconds);
            folderFastest = Math.Min(folderFastest, folderSeconds);
            double allocated = AllocatedPerImage(view, rows, bytes => decoder.DecodeToTensor(bytes, tensor, options));
            double loaderOnly = AllocatedPerImage(view, rows, _ => { });
            double vsSkia = s[1] / s[0], vsFolder = folderSeconds / s[0], fullRatio = s[3] / s[2];
            worstSkia = Math.Min(worstSkia, vsSkia);
            worstFolder = Math.Min(worstFolder, vsFolder);
            worstFull = Math.Min(worstFull, fullRatio);
            twiceSkia &= vsSkia >= 2;
            thriceFolder &= vsFolder >= 3;
            fullAsFast &= fullRatio >= 1;
            lines.Add(
            [
                scan == full.ScanGroupCount ? $"{scan} (full)" : $"{scan}", Report.F(rows / s[0], 0), Report.F(rows / s[1], 0), Report.Ratio(vsSkia),
                Report.Ratio(vsFolder), Report.F(rows / s[2], 0), Report.F(rows / s[3], 0), Report.Ratio(fullRatio),
                Report.F(Math.Max(0, allocated - loaderOnly) / 1024, 1) + " KB",
            ]);
        }

        report.Note($"The first {rows} training rows through LoadFromPcr's cursor, median of {repeats} interleaved passes. " +
            $"'ours 64x64' decodes at the smallest DCT scale still at least 64x64 and writes a normalised CHW float tensor (crop, flip and " +
            $"bilinear resize in the same pass); 'SkiaSharp 64x64' is SkiaSharp's scaled decode into an MLImage, as DecodeImages did, plus a " +
            $"bilinear resize to 64x64. LoadImages + ResizeImages (ML.NET, from the ImageFolder, timed in each scan group's interleaved passes): " +
            $"{Report.F(rows / folderSlowest, 0)}-{Report.F(rows / folderFastest, 0)} images/s. " +
            "Allocation: bytes allocated per image by decoding, beyond what the cursor allocates by itself.");
        report.Table(["scan group", "ours 64x64 (img/s)", "SkiaSharp 64x64 (img/s)", "ours / SkiaSharp", "ours / LoadImages+Resize",
            "ours full size (img/s)", "SkiaSharp full size (img/s)", "ours / SkiaSharp full", "allocated per image (ours 64x64)"], lines);
        report.Target("ours to 64x64 >= 2x SkiaSharp's scaled decode + resize at every scan group", twiceSkia, $"{Report.Ratio(worstSkia)} at worst");
        report.Target("ours to 64x64 >= 3x LoadImages + ResizeImages at every scan group", thriceFolder, $"{Report.Ratio(worstFolder)} at worst");
        report.Target("ours at full size at least as fast as SkiaSharp on progressive input", fullAsFast, $"{Report.Ratio(worstFull)} at worst");
    }

    private delegate void ImageAction(ReadOnlySpan<byte> bytes);

    private static void ForEachImage(IDataView view, int rows, ImageAction action)
    {
        var column = view.Schema[Pipelines.Bytes];
        using var cursor = view.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<byte>>(column);
        VBuffer<byte> value = default;
        for (int i = 0; i < rows && cursor.MoveNext(); i++)
        {
            getter(ref value);
            action(value.GetValues());
        }
    }

    private static double AllocatedPerImage(IDataView view, int rows, ImageAction action)
    {
        ForEachImage(view, rows, action);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ForEachImage(view, rows, action);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)rows;
    }

    private static unsafe void SkiaTo64(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            using var data = SKData.Create((IntPtr)p, bytes.Length);
            using var codec = SKCodec.Create(data);
            SKSizeI size = codec.Info.Size;
            foreach (float scale in (ReadOnlySpan<float>)[0.5f, 0.25f, 0.125f])
            {
                var scaled = codec.GetScaledDimensions(scale);
                if (scaled.Width < Size || scaled.Height < Size)
                    break;
                size = scaled;
            }

            var info = new SKImageInfo(size.Width, size.Height, SKColorType.Bgra8888, SKAlphaType.Opaque);
            byte[] pixels = ArrayPool<byte>.Shared.Rent(info.BytesSize);
            try
            {
                fixed (byte* q = pixels)
                {
                    codec.GetPixels(info, (IntPtr)q);
                    using var image = MLImage.CreateFromPixels(size.Width, size.Height, MLPixelFormat.Bgra32, pixels.AsSpan(0, info.BytesSize));
                    using var source = new SKPixmap(info, (IntPtr)q);
                    using var resized = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Bgra8888, SKAlphaType.Opaque));
                    using var target = resized.PeekPixels();
                    source.ScalePixels(target, SKFilterQuality.Low);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(pixels);
            }
        }
    }

    private static unsafe void SkiaFullSize(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            using var data = SKData.Create((IntPtr)p, bytes.Length);
            using var codec = SKCodec.Create(data);
            var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Bgra8888, SKAlphaType.Opaque);
            byte[] pixels = ArrayPool<byte>.Shared.Rent(info.BytesSize);
            fixed (byte* q = pixels)
                codec.GetPixels(info, (IntPtr)q);
            ArrayPool<byte>.Shared.Return(pixels);
        }
    }
}
