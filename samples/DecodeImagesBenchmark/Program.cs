// Median per-image time, one thread, warm, of:
//   full decode + ResizeImages(64x64)  vs  DecodeImages(64x64 target: reduced DCT scale) + ResizeImages(64x64),
// and DecodeImages against a bare SkiaSharp decode (SKCodec over the bytes, GetPixels into a reused buffer) at the same
// size, whose difference is the transform's overhead (pooled buffer, MLImage copy, getter plumbing).
// Inputs: a 640x480 baseline JPEG made here from the first photo (upscaled, q90), then each photo given.
//   dotnet run -c Release -- ../../Microsoft.ML.Pcr.Tests/TestData/jpeg/golden/photo-clothing.jpg [more.jpg ...]
// "save <model.zip> <image folder>" and "load <model.zip>" (run in the image folder) check that a saved model loads in
// a fresh process that has not touched Microsoft.ML.Pcr before: both print the same pixel sums.
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

var ml = new MLContext(seed: 1);
if (args is ["save", var modelPath, var folder])
{
    IDataView data = ml.Data.LoadFromEnumerable(SaveRows());
    var model = ml.Transforms.LoadRawImageBytes("Bytes", folder, "Path")
        .Append(ml.Transforms.DecodeImages("Picture", "Bytes", 64, 64))
        .Append(ml.Transforms.ResizeImages("Small", 8, 8, "Picture"))
        .Append(ml.Transforms.ExtractPixels("Features", "Small"))
        .Fit(data);
    ml.Model.Save(model, data.Schema, modelPath);
    Console.WriteLine(string.Join(", ", model.Transform(data).GetColumn<float[]>("Features").Select(f => f.Sum())));
    return;
}
if (args is ["load", var loadPath])
{
    ITransformer loaded = ml.Model.Load(loadPath, out _);
    IDataView data = ml.Data.LoadFromEnumerable(SaveRows());
    Console.WriteLine(string.Join(", ", loaded.Transform(data).GetColumn<float[]>("Features").Select(f => f.Sum())));
    return;
}

string[] photos = args.Length > 0 ? args : [Path.Combine("..", "..", "Microsoft.ML.Pcr.Tests", "TestData", "jpeg", "golden", "photo-clothing.jpg")];
var inputs = new List<(string Name, byte[] Bytes)>();
using (SKBitmap source = SKBitmap.Decode(photos[0]))
using (SKBitmap resized = source.Resize(new SKImageInfo(640, 480), SKFilterQuality.High))
using (SKData encoded = resized.Encode(SKEncodedImageFormat.Jpeg, 90))
    inputs.Add(("640x480 baseline q90", encoded.ToArray()));
inputs.AddRange(photos.Select(p => (Path.GetFileName(p), File.ReadAllBytes(p))));

const int Rows = 200, Passes = 3;
foreach (var (name, bytes) in inputs)
{
    using SKCodec probe = SKCodec.Create(new MemoryStream(bytes));
    IDataView view = ml.Data.Cache(ml.Data.LoadFromEnumerable(Enumerable.Repeat(bytes, Rows).Select(b => new BytesRow { Bytes = b }).ToArray()));

    double fullThenResize = TimeColumn(ml.Transforms.DecodeImages("Image", "Bytes").Append(ml.Transforms.ResizeImages("Small", 64, 64, "Image")), "Small");
    double scaledThenResize = TimeColumn(ml.Transforms.DecodeImages("Image", "Bytes", 64, 64).Append(ml.Transforms.ResizeImages("Small", 64, 64, "Image")), "Small");
    double decodeFull = TimeColumn(ml.Transforms.DecodeImages("Image", "Bytes"), "Image");
    double decodeScaled = TimeColumnCore(ml.Transforms.DecodeImages("Image", "Bytes", 64, 64), "Image", out SKSizeI scaledSize);
    double bareFull = TimeBareSkia(bytes, probe.Info.Size);
    double bareScaled = TimeBareSkia(bytes, scaledSize);

    Console.WriteLine($"== {name}: {probe.Info.Width}x{probe.Info.Height}, {bytes.Length} bytes (median of {Rows * (Passes - 1)}, ms)");
    Console.WriteLine($"  full decode + ResizeImages 64x64              {fullThenResize,7:F3}");
    Console.WriteLine($"  scaled decode {scaledSize.Width}x{scaledSize.Height} + ResizeImages 64x64  {scaledThenResize,7:F3}  ({fullThenResize / scaledThenResize:F2}x faster)");
    Console.WriteLine($"  DecodeImages full {decodeFull:F3} vs bare SkiaSharp {bareFull:F3}: overhead {(decodeFull - bareFull) / bareFull:P1}");
    Console.WriteLine($"  DecodeImages 64   {decodeScaled:F3} vs bare SkiaSharp {bareScaled:F3}: overhead {(decodeScaled - bareScaled) / bareScaled:P1}");

    double TimeColumn(IEstimator<ITransformer> estimator, string column) => TimeColumnCore(estimator, column, out _);
    double TimeColumnCore(IEstimator<ITransformer> estimator, string column, out SKSizeI size)
    {
        IDataView output = estimator.Fit(view).Transform(view);
        var times = new List<double>();
        size = default;
        for (int pass = 0; pass < Passes; pass++)
        {
            using DataViewRowCursor cursor = output.GetRowCursor([output.Schema[column]]);
            ValueGetter<MLImage> getter = cursor.GetGetter<MLImage>(output.Schema[column]);
            MLImage image = null!;
            while (cursor.MoveNext())
            {
                long start = Stopwatch.GetTimestamp();
                getter(ref image);
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                size = new SKSizeI(image.Width, image.Height);
            }
        }
        return Median(times.Skip(Rows));
    }
}

static unsafe double TimeBareSkia(byte[] bytes, SKSizeI size)
{
    var info = new SKImageInfo(size.Width, size.Height, SKColorType.Bgra8888, SKAlphaType.Opaque);
    byte[] pixels = new byte[info.BytesSize];
    var times = new List<double>();
    for (int i = 0; i < Rows * Passes; i++)
    {
        long start = Stopwatch.GetTimestamp();
        fixed (byte* source = bytes)
        fixed (byte* target = pixels)
        {
            using SKData data = SKData.Create((IntPtr)source, bytes.Length);
            using SKCodec codec = SKCodec.Create(data);
            codec.GetPixels(info, (IntPtr)target);
        }
        times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
    return Median(times.Skip(Rows));
}

static double Median(IEnumerable<double> values)
{
    double[] sorted = [.. values.Order()];
    return sorted[sorted.Length / 2];
}

static PathRow[] SaveRows() => [new() { Path = "photo-clothing.jpg" }, new() { Path = "gray.jpg" }];

internal sealed class BytesRow
{
    public byte[] Bytes = [];
}

internal sealed class PathRow
{
    public string Path = "";
}
