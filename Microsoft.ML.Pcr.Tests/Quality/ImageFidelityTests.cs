using Microsoft.ML.Pcr.Imaging;
using Microsoft.ML.Pcr.Quality;
using SkiaSharp;

namespace Microsoft.ML.Pcr.Tests.Quality;

[TestClass]
public sealed class ImageFidelityTests
{
    private static string RealPhoto => Path.Combine(TestFiles.JpegInputs, "photo-clothing.jpg");

    [TestMethod]
    public void IdenticalImagesGiveInfinitePsnrAndMsSsimOfOne()
    {
        using DecodedImage a = DecodedImage.Decode(File.ReadAllBytes(RealPhoto));
        using DecodedImage b = DecodedImage.Decode(File.ReadAllBytes(RealPhoto));
        Assert.AreEqual(double.PositiveInfinity, ImageFidelity.Psnr(a, b));
        Assert.AreEqual(1.0, ImageFidelity.MultiScaleSsim(a, b));
    }

    [TestMethod]
    [DataRow(ImagePixelFormat.Bgra32)]
    [DataRow(ImagePixelFormat.Rgba32)]
    public void NoiseOfKnownPowerGivesTheHandComputedPsnr(ImagePixelFormat format)
    {
        const int width = 37, height = 23;
        var random = new Random(7);
        byte[] reference = new byte[width * height * 4], noisy = new byte[reference.Length];
        for (int i = 0; i < reference.Length; i++)
        {
            reference[i] = (byte)random.Next(10, 246);
            bool alpha = i % 4 == 3;
            // Every colour sample moves by +-3: MSE = 9 exactly; alpha changes too and must be ignored.
            noisy[i] = alpha ? (byte)random.Next(256) : (byte)(reference[i] + (random.Next(2) == 0 ? 3 : -3));
        }
        double expected = 10 * Math.Log10(255.0 * 255.0 / 9.0); // 10 log10(7225) = 38.5884 dB
        Assert.AreEqual(expected, ImageFidelity.Psnr(reference, noisy, width, height, format), 1e-9);
        Assert.AreEqual(38.5884, expected, 1e-4);

        // One sample off by 51 in an otherwise equal image: MSE = 51² / (3 w h).
        byte[] one = (byte[])reference.Clone();
        one[4 * 100 + 1] += 51;
        double single = 10 * Math.Log10(255.0 * 255.0 * 3 * width * height / (51.0 * 51.0));
        Assert.AreEqual(single, ImageFidelity.Psnr(reference, one, width, height, format), 1e-9);
        double msssim = ImageFidelity.MultiScaleSsim(reference, noisy, width, height, format);
        Assert.IsTrue(msssim is > 0 and < 1, $"MS-SSIM {msssim}");
    }

    [TestMethod]
    public void MsSsimMatchesAnIndependentDirectImplementation()
    {
        // Values from a plain double-precision implementation of the same definition with a non-separable 2D window,
        // Quality/msssim_reference.py (pure Python, no numpy): 45x38 pixels, so scales 3 and 4 (6x5, 3x3) use a shrunk window.
        const int width = 45, height = 38;
        byte[] reference = new byte[width * height * 4], distorted = new byte[reference.Length];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int[] rgb = [(x * x + 3 * y + 17) % 256, (5 * x + 2 * y * y) % 256, (x * y + 40) % 256];
                int p = (y * width + x) * 4;
                for (int c = 0; c < 3; c++)
                {
                    reference[p + c] = (byte)rgb[c];
                    distorted[p + c] = (byte)Math.Clamp(rgb[c] + (x * 31 + y * 17 + c * 7) % 81 - 40, 0, 255);
                }
                reference[p + 3] = distorted[p + 3] = 255;
            }
        }
        Assert.AreEqual(21.067311376500033, ImageFidelity.Psnr(reference, distorted, width, height, ImagePixelFormat.Rgba32), 1e-9);
        Assert.AreEqual(0.9890609875447354, ImageFidelity.MultiScaleSsim(reference, distorted, width, height, ImagePixelFormat.Rgba32), 1e-6);
    }

    [TestMethod]
    public void MsSsimAndPsnrFallAsJpegCompressionGetsStronger()
    {
        using SKBitmap original = SKBitmap.Decode(RealPhoto);
        using DecodedImage reference = DecodedImage.Decode(File.ReadAllBytes(RealPhoto));
        double previousSsim = 1, previousPsnr = double.PositiveInfinity;
        // Below the photo's own quality (about 75): re-encoding at or near it reproduces almost the same coefficients.
        foreach (int quality in new[] { 60, 45, 30, 20, 10, 5 })
        {
            using SKData encoded = original.Encode(SKEncodedImageFormat.Jpeg, quality);
            using DecodedImage compressed = DecodedImage.Decode(encoded.AsSpan());
            double ssim = ImageFidelity.MultiScaleSsim(reference, compressed), psnr = ImageFidelity.Psnr(reference, compressed);
            Assert.IsTrue(ssim < previousSsim, $"quality {quality}: MS-SSIM {ssim} not below {previousSsim}");
            Assert.IsTrue(psnr < previousPsnr, $"quality {quality}: PSNR {psnr} not below {previousPsnr}");
            previousSsim = ssim;
            previousPsnr = psnr;
        }
        Assert.IsTrue(previousSsim is > 0.5 and < 0.99, $"quality 5 MS-SSIM {previousSsim}");
    }

    [TestMethod]
    [DataRow(1, 1)]
    [DataRow(8, 5)]
    [DataRow(15, 200)]
    public void ImagesSmallerThanFiveScalesOfTheWindowStillGetAScore(int width, int height)
    {
        var random = new Random(width * 1000 + height);
        byte[] a = new byte[width * height * 4], b = new byte[a.Length];
        random.NextBytes(a);
        for (int i = 0; i < a.Length; i++) b[i] = (byte)Math.Clamp(a[i] + random.Next(-20, 21), 0, 255);
        Assert.AreEqual(1.0, ImageFidelity.MultiScaleSsim(a, a, width, height));
        double score = ImageFidelity.MultiScaleSsim(a, b, width, height);
        Assert.IsTrue(score is >= 0 and < 1, $"{width}x{height}: {score}");
    }

    [TestMethod]
    public void MismatchedImagesAreRefused()
    {
        byte[] small = new byte[4 * 4 * 4];
        Assert.ThrowsExactly<ArgumentException>(() => ImageFidelity.Psnr(small, small, 5, 4));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageFidelity.MultiScaleSsim(small, small, 0, 4));
        using DecodedImage photo = DecodedImage.Decode(File.ReadAllBytes(RealPhoto));
        using DecodedImage gray = DecodedImage.Decode(File.ReadAllBytes(Path.Combine(TestFiles.JpegInputs, "gray.jpg")));
        if (photo.Width != gray.Width || photo.Height != gray.Height)
            Assert.ThrowsExactly<ArgumentException>(() => ImageFidelity.Psnr(photo, gray));
        Assert.ThrowsExactly<PcrFormatException>(() => DecodedImage.Decode("not an image"u8));
    }
}
