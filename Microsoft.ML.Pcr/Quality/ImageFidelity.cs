using Microsoft.ML.Pcr.Imaging;

namespace Microsoft.ML.Pcr.Quality;

/// <summary>
/// Full-reference fidelity measures between two images of the same size: PSNR over the colour channels and
/// MS-SSIM (Wang, Simoncelli, Bovik 2003) on luma. Both take 32-bit pixels (<see cref="ImagePixelFormat.Bgra32"/>
/// or <see cref="ImagePixelFormat.Rgba32"/>, rows packed) and ignore alpha.
/// </summary>
public static class ImageFidelity
{
    /// <summary>The largest value of an 8-bit sample, the "peak" of PSNR and the dynamic range of MS-SSIM.</summary>
    public const double PeakValue = 255;

    /// <summary>
    /// Computes the peak signal-to-noise ratio of <paramref name="distorted"/> against <paramref name="reference"/>,
    /// in decibels: <c>10 log10(255² / MSE)</c>, where MSE is the mean squared difference over the R, G and B samples
    /// of every pixel (alpha ignored).
    /// </summary>
    /// <param name="reference">The reference pixels: <paramref name="height"/> rows of <paramref name="width"/> x 4 bytes.</param>
    /// <param name="distorted">The compared pixels, same size and byte order.</param>
    /// <param name="width">The width in pixels.</param>
    /// <param name="height">The height in pixels.</param>
    /// <param name="pixelFormat">The byte order of both images (PSNR does not depend on it beyond where alpha is).</param>
    /// <returns>The PSNR in dB; <see cref="double.PositiveInfinity"/> when the images are identical.</returns>
    public static double Psnr(ReadOnlySpan<byte> reference, ReadOnlySpan<byte> distorted, int width, int height, ImagePixelFormat pixelFormat = ImagePixelFormat.Bgra32)
    {
        int length = CheckImages(reference, distorted, width, height, pixelFormat);
        long sum = 0;
        for (int i = 0; i < length; i += 4)
        {
            int d0 = reference[i] - distorted[i], d1 = reference[i + 1] - distorted[i + 1], d2 = reference[i + 2] - distorted[i + 2];
            sum += d0 * d0 + d1 * d1 + d2 * d2; // alpha (byte 3 in both orders) ignored
        }
        return PsnrFromSquaredError(sum, 3L * width * height);
    }

    /// <summary>Computes the PSNR of <paramref name="distorted"/> against <paramref name="reference"/>, as <see cref="Psnr(ReadOnlySpan{byte}, ReadOnlySpan{byte}, int, int, ImagePixelFormat)"/>.</summary>
    /// <param name="reference">The reference image.</param>
    /// <param name="distorted">The compared image, same size and pixel format.</param>
    /// <returns>The PSNR in dB; <see cref="double.PositiveInfinity"/> when the images are identical.</returns>
    public static double Psnr(DecodedImage reference, DecodedImage distorted)
    {
        CheckSame(reference, distorted);
        return Psnr(reference.Pixels, distorted.Pixels, reference.Width, reference.Height, reference.PixelFormat);
    }

    /// <summary>
    /// Computes the multi-scale structural similarity (MS-SSIM) of <paramref name="distorted"/> against
    /// <paramref name="reference"/> on their luma (<c>Y = 0.299 R + 0.587 G + 0.114 B</c>, unrounded): 5 scales, an
    /// 11-tap Gaussian window of σ 1.5 applied without padding, K1 0.01, K2 0.03, dynamic range 255, 2x2 averaging
    /// between scales, and the weights 0.0448, 0.2856, 0.3001, 0.2363, 0.1333. At a scale smaller than the window,
    /// the window shrinks to the image's smaller side and σ with it (as the TensorFlow reference implementation does),
    /// so images of any size get all 5 scales. Negative contrast-structure terms count as 0.
    /// </summary>
    /// <param name="reference">The reference pixels: <paramref name="height"/> rows of <paramref name="width"/> x 4 bytes.</param>
    /// <param name="distorted">The compared pixels, same size and byte order.</param>
    /// <param name="width">The width in pixels.</param>
    /// <param name="height">The height in pixels.</param>
    /// <param name="pixelFormat">The byte order of both images: <see cref="ImagePixelFormat.Bgra32"/> or <see cref="ImagePixelFormat.Rgba32"/>.</param>
    /// <returns>The MS-SSIM, at most 1; exactly 1 when the images are identical.</returns>
    public static double MultiScaleSsim(ReadOnlySpan<byte> reference, ReadOnlySpan<byte> distorted, int width, int height, ImagePixelFormat pixelFormat = ImagePixelFormat.Bgra32)
    {
        CheckImages(reference, distorted, width, height, pixelFormat);
        return MultiScaleSsimCalculator.Compute(reference, distorted, width, height, pixelFormat == ImagePixelFormat.Bgra32);
    }

    /// <summary>Computes the MS-SSIM of <paramref name="distorted"/> against <paramref name="reference"/>, as <see cref="MultiScaleSsim(ReadOnlySpan{byte}, ReadOnlySpan{byte}, int, int, ImagePixelFormat)"/>.</summary>
    /// <param name="reference">The reference image.</param>
    /// <param name="distorted">The compared image, same size and pixel format.</param>
    /// <returns>The MS-SSIM, at most 1; exactly 1 when the images are identical.</returns>
    public static double MultiScaleSsim(DecodedImage reference, DecodedImage distorted)
    {
        CheckSame(reference, distorted);
        return MultiScaleSsim(reference.Pixels, distorted.Pixels, reference.Width, reference.Height, reference.PixelFormat);
    }

    /// <summary>Returns <c>10 log10(255² / (squaredError / samples))</c>, or +∞ when the error is 0.</summary>
    internal static double PsnrFromSquaredError(long squaredError, long samples) =>
        squaredError == 0 ? double.PositiveInfinity : 10 * Math.Log10(PeakValue * PeakValue * samples / squaredError);

    private static int CheckImages(ReadOnlySpan<byte> reference, ReadOnlySpan<byte> distorted, int width, int height, ImagePixelFormat pixelFormat)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (pixelFormat is not (ImagePixelFormat.Bgra32 or ImagePixelFormat.Rgba32))
            throw new ArgumentOutOfRangeException(nameof(pixelFormat), pixelFormat, "The pixel format must be Bgra32 or Rgba32.");
        long length = 4L * width * height;
        if (reference.Length < length)
            throw new ArgumentException($"The reference holds {reference.Length} bytes; {width}x{height} pixels of 4 bytes need {length}.", nameof(reference));
        if (distorted.Length < length)
            throw new ArgumentException($"The distorted image holds {distorted.Length} bytes; {width}x{height} pixels of 4 bytes need {length}.", nameof(distorted));
        return (int)length;
    }

    private static void CheckSame(DecodedImage reference, DecodedImage distorted)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(distorted);
        if (reference.Width != distorted.Width || reference.Height != distorted.Height)
            throw new ArgumentException($"The images differ in size: {reference.Width}x{reference.Height} against {distorted.Width}x{distorted.Height}.", nameof(distorted));
        if (reference.PixelFormat != distorted.PixelFormat)
            throw new ArgumentException($"The images differ in pixel format: {reference.PixelFormat} against {distorted.PixelFormat}.", nameof(distorted));
    }
}
