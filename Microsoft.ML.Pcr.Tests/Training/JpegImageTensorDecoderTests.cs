using Microsoft.ML.Pcr.Imaging;
using Microsoft.ML.Pcr.Tests.Imaging;
using Microsoft.ML.Pcr.Training;

namespace Microsoft.ML.Pcr.Tests.Training;

/// <summary>
/// The trainer's tensor decoder (our JPEG decoder, resampled from its buffer into the tensor) against the SkiaSharp
/// one it replaced: the same tensors, the same fallbacks and the same failures.
/// </summary>
[TestClass]
public sealed class JpegImageTensorDecoderTests
{
    [TestMethod]
    public void VectorResamplingEqualsTheScalarLoop()
    {
        var rng = new Random(3);
        int compared = 0;
        foreach (var (width, height) in new[] { (100, 134), (37, 5), (1, 1), (1, 9), (300, 200) })
        {
            var pixels = new byte[width * height * 4];
            rng.NextBytes(pixels);
            foreach (int size in (int[])[64, 24, 13, 1, 224])
            {
                foreach (var format in (ImagePixelFormat[])[ImagePixelFormat.Bgra32, ImagePixelFormat.Rgba32])
                {
                    foreach (ImageCrop crop in (ImageCrop[])[ImageCrop.Whole, RandomCrop(rng, flip: false), RandomCrop(rng, flip: true)])
                    {
                        float[] scalar = new float[3 * size * size], vector = new float[3 * size * size];
                        ImageTensorResampler.Resample(pixels, format, width, height, size, crop, vector);
                        ImageTensorResampler.Resample(pixels, format, width, height, size, crop, scalar, vectors: false);
                        CollectionAssert.AreEqual(scalar, vector, $"{width}x{height} to {size}, {format}, {crop}");
                        compared++;
                    }
                }
            }
        }

        Assert.AreEqual(150, compared);
    }

    [TestMethod]
    public void RealJpegsGiveSkiaSharpsTensorsBitForBit()
    {
        // Our decoder's pixels equal SkiaSharp's at the scale both choose for the input size, and the resample is one
        // shared function, so the tensors are identical, not just close: the largest difference allowed is 0.
        var rng = new Random(11);
        int compared = 0;
        var failures = new List<string>();
        foreach (var (name, jpeg) in ImageDecoderRoutingTests.RealJpegs())
        {
            foreach (int size in (int[])[64, 24, 224])
            {
                foreach (ImageCrop crop in (ImageCrop[])[ImageCrop.Whole, RandomCrop(rng, flip: false), RandomCrop(rng, flip: true)])
                {
                    float[] expected = new float[3 * size * size], actual = new float[3 * size * size];
                    SkiaImageTensorDecoder.Instance.Decode(jpeg, size, crop, expected);
                    JpegImageTensorDecoder.Instance.Decode(jpeg, size, crop, actual);
                    compared++;
                    float max = 0;
                    for (int i = 0; i < expected.Length; i++)
                        max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
                    if (max != 0)
                        failures.Add($"{name} at {size} {crop}: largest difference {max}");
                }
            }
        }

        Assert.IsEmpty(failures, string.Join("\n", failures));
        Assert.IsGreaterThan(500, compared);
    }

    [TestMethod]
    public void OtherFormatsGoToSkiaSharp()
    {
        string images = Path.Combine(TestFiles.TestData, "images");
        foreach (string file in (string[])["photo.png", "translucent.png", "gray.png", "photo.bmp", "photo.gif", "photo.webp"])
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(images, file));
            Assert.IsFalse(ImageDecoder.TryDecodeJpeg(bytes, 32, 32, out _, out _, out _), file);
            var crop = new ImageCrop(0.1f, 0.2f, 0.7f, 0.6f, true);
            float[] expected = new float[3 * 32 * 32], actual = new float[3 * 32 * 32];
            SkiaImageTensorDecoder.Instance.Decode(bytes, 32, crop, expected);
            JpegImageTensorDecoder.Instance.Decode(bytes, 32, crop, actual);
            CollectionAssert.AreEqual(expected, actual, file);
            Assert.IsTrue(actual.Any(v => v != 0), file);
        }
    }

    [TestMethod]
    public void UndecodableBytesFailAsWithSkiaSharp()
    {
        string images = Path.Combine(TestFiles.TestData, "images");
        byte[][] bad = [TestFiles.ReadInput("truncated-baseline.jpg"), TestFiles.ReadInput("truncated-progressive.jpg"),
            File.ReadAllBytes(Path.Combine(images, "truncated.png")), "not an image"u8.ToArray(), [0xFF, 0xD8, 0xFF], []];
        foreach (byte[] bytes in bad)
        {
            float[] chw = new float[3 * 16 * 16];
            var skia = Assert.ThrowsExactly<ImageDecodeFailure>(() => SkiaImageTensorDecoder.Instance.Decode(bytes, 16, ImageCrop.Whole, chw));
            var ours = Assert.ThrowsExactly<ImageDecodeFailure>(() => JpegImageTensorDecoder.Instance.Decode(bytes, 16, ImageCrop.Whole, chw));
            Assert.AreEqual(skia.Message, ours.Message, $"{bytes.Length} bytes");
        }
    }

    [TestMethod]
    public void DecodingABatchAllocatesNoPixelBuffers()
    {
        // Once the thread's decoder has grown its buffers, a 64x64 decode of a 400x534 photo (a 100x134 decode of 54 KB
        // of pixels) allocates only the coefficient reader's small per-image state, never a pixel or tensor buffer.
        byte[] jpeg = TestFiles.ReadInput("photo-clothing.jpg");
        float[] chw = new float[3 * 64 * 64];
        var crop = new ImageCrop(0.05f, 0.1f, 0.8f, 0.7f, true);
        for (int i = 0; i < 3; i++)
            JpegImageTensorDecoder.Instance.Decode(jpeg, 64, crop, chw);
        const int Images = 32;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Images; i++)
            JpegImageTensorDecoder.Instance.Decode(jpeg, 64, crop, chw);
        long perImage = (GC.GetAllocatedBytesForCurrentThread() - before) / Images;
        Assert.IsLessThan(4096, perImage, $"{perImage} bytes allocated per image");
    }

    private static ImageCrop RandomCrop(Random rng, bool flip)
    {
        float w = 0.4f + (0.6f * rng.NextSingle()), h = 0.4f + (0.6f * rng.NextSingle());
        return new ImageCrop(rng.NextSingle() * (1 - w), rng.NextSingle() * (1 - h), w, h, flip);
    }
}
