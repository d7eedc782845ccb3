using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Training;

namespace Microsoft.ML.Pcr.Tests.Training;

[TestClass]
[DoNotParallelize] // creates tensors, as the trainer tests do
public sealed class BatchFeederTests
{
    /// <summary>A decoder that counts the decodes in progress; images after the tenth take long, so a batch started as the consumer stops is still decoding when the feeder is disposed.</summary>
    private sealed class SlowDecoder : IImageTensorDecoder
    {
        private int _active;

        public int Started;

        public int Finished;

        public int Active => Volatile.Read(ref _active);

        public void Decode(ReadOnlySpan<byte> encoded, int size, ImageCrop crop, Span<float> chw)
        {
            int n = Interlocked.Increment(ref Started);
            Interlocked.Increment(ref _active);
            Thread.Sleep(n <= 10 ? 5 : 150); // the batches queued behind the first are quick, any later one slow
            chw.Fill(encoded.Length);
            Interlocked.Decrement(ref _active);
            Interlocked.Increment(ref Finished);
        }
    }

    [TestMethod]
    public void DisposeWaitsForEveryBatchStillDecodingWhenTheConsumerStopsEarly()
    {
        var mlContext = new MLContext(seed: 1);
        PcrDataView train = mlContext.Data.LoadFromPcr(TrainerTestData.TrainPcr);
        var decoder = new SlowDecoder();
        // Batches of 2, up to 4 in flight: when the consumer leaves after the first batch, several are queued or decoding.
        var settings = new FeedSettings(train.Schema["Label"].Index, train.Schema["Image"].Index, "Image", 2, 8, false, 0.35f, false, 1, false, 4, decoder, null);
        var feeder = new BatchFeeder(train, null, 0, settings, CancellationToken.None);
        using (ImageBatch first = feeder.Batches(new System.Diagnostics.Stopwatch()).First())
            Assert.AreEqual(2, first.Count);
        feeder.Dispose();
        int startedAtDispose = Volatile.Read(ref decoder.Started);
        Assert.AreEqual(0, decoder.Active, "a decode was still writing into a batch tensor after the feeder was disposed");
        Assert.AreEqual(startedAtDispose, Volatile.Read(ref decoder.Finished), "every decode started finished before Dispose returned");
        Assert.IsTrue(startedAtDispose > 2, $"only {startedAtDispose} images were decoded: the feeder did not work ahead, so the test measured nothing");
        Thread.Sleep(50);
        Assert.AreEqual(startedAtDispose, Volatile.Read(ref decoder.Started), "no decode starts after Dispose");
    }
}
