using System.Buffers;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.Pcr.Jpeg;
using Pcr.Benchmarks.Harness;

namespace Pcr.Benchmarks.Micro;

/// <summary>
/// BenchmarkDotNet: one photo transcoded by our transcoder and by LibJpeg.NET, time and allocation
/// (<c>-- bdn --filter *TranscodeBenchmarks*</c>). The photo is the committed test fixture, so no dataset is needed.
/// </summary>
[MemoryDiagnoser]
public class TranscodeBenchmarks
{
    private readonly JpegTranscoder _transcoder = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 20);
    private readonly MemoryStream _managedOutput = new(1 << 20);
    private byte[] _photo = [];

    [GlobalSetup]
    public void Setup() => _photo = File.ReadAllBytes(MicroInputs.FixturePhoto());

    [Benchmark(Baseline = true)]
    public int Ours()
    {
        _buffer.ResetWrittenCount();
        return _transcoder.Transcode(_photo, _buffer).Length;
    }

    [Benchmark]
    public long LibJpegNet()
    {
        LibJpegNetTranscoder.Transcode(_photo, _managedOutput);
        return _managedOutput.Length;
    }
}
