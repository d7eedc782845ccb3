using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Pcr.Benchmarks.Harness;
using SkiaSharp;

namespace Pcr.Benchmarks.Micro;

/// <summary>
/// BenchmarkDotNet, per image (<c>-- bdn --filter *DecodeBenchmarks*</c>): DecodeImages at 64x64 with decode-time
/// downscaling and at full size, each followed by ResizeImages to 64x64, and a bare SkiaSharp decode at the same scale
/// into a reused buffer, whose difference from the DecodeImages row is the transform's own cost (pooled buffer, MLImage copy,
/// getters). Inputs: the fixture photo re-encoded at 640x480 baseline quality 90, and the photo as committed.
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private const int Rows = 64;
    private byte[] _jpeg = [];
    private IDataView _scaled = null!, _full = null!;
    private SKImageInfo _scaledInfo;
    private byte[] _pixels = [];

    [Params("640x480 baseline q90", "photo fixture")]
    public string Input { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        byte[] photo = File.ReadAllBytes(MicroInputs.FixturePhoto());
        if (Input == "photo fixture") _jpeg = photo;
        else
        {
            using SKBitmap source = SKBitmap.Decode(photo);
            using SKBitmap resized = source.Resize(new SKImageInfo(640, 480), SKFilterQuality.High);
            using SKData encoded = resized.Encode(SKEncodedImageFormat.Jpeg, 90);
            _jpeg = encoded.ToArray();
        }
        var ml = new MLContext(seed: 1);
        IDataView bytes = ml.Data.Cache(ml.Data.LoadFromEnumerable(Enumerable.Range(0, Rows).Select(_ => new Pipelines.BytesRow { Image = _jpeg })));
        _scaled = Pipelines.DecodeAndResize(ml, bytes, 64, scaled: true);
        _full = Pipelines.DecodeAndResize(ml, bytes, 64, scaled: false);
        using SKCodec codec = SKCodec.Create(new MemoryStream(_jpeg));
        // The scale DecodeImages picks: the smallest of 1/2, 1/4, 1/8 still at least 64x64.
        SKSizeI size = new[] { 0.125f, 0.25f, 0.5f }.Select(codec.GetScaledDimensions).FirstOrDefault(s => s.Width >= 64 && s.Height >= 64, codec.Info.Size);
        _scaledInfo = new SKImageInfo(size.Width, size.Height, SKColorType.Bgra8888, SKAlphaType.Opaque);
        _pixels = new byte[_scaledInfo.BytesSize];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows)]
    public long DecodeImagesScaledThenResize() => Pipelines.DrainImages(_scaled, Pipelines.Resized);

    [Benchmark(OperationsPerInvoke = Rows)]
    public long DecodeImagesFullThenResize() => Pipelines.DrainImages(_full, Pipelines.Resized);

    [Benchmark(OperationsPerInvoke = Rows)]
    public unsafe long BareSkiaScaledDecode()
    {
        long sum = 0;
        for (int i = 0; i < Rows; i++)
        {
            fixed (byte* source = _jpeg)
            fixed (byte* target = _pixels)
            {
                using SKData data = SKData.Create((IntPtr)source, _jpeg.Length);
                using SKCodec codec = SKCodec.Create(data);
                sum += (long)codec.GetPixels(_scaledInfo, (IntPtr)target);
            }
        }
        return sum;
    }
}
