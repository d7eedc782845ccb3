using System.Buffers;
using Microsoft.ML.Pcr.Jpeg.Decoder;
using Microsoft.ML.Pcr.Jpeg.Encoder;

namespace Microsoft.ML.Pcr.Jpeg;

/// <summary>
/// Lossless JPEG to progressive JPEG transcoding, in process: the quantized DCT coefficients are kept
/// and only the entropy coding and scan order change. The output is byte-identical to
/// <c>jpegtran -copy none -optimize -progressive</c> (libjpeg-turbo 2.1.5): libjpeg's simple
/// progression, Huffman tables optimised per scan, no metadata (EXIF, ICC) kept. Reads baseline,
/// extended, progressive and arithmetic-coded 8-bit JPEGs. Stateless and thread-safe.
/// </summary>
public sealed class JpegTranscoder
{
    /// <summary>The default largest image accepted, in pixels (width x height): 2^28, for example 16384 x 16384.</summary>
    public const long DefaultMaxPixels = 1L << 28;

    /// <summary>Creates a transcoder.</summary>
    /// <param name="maxPixels">
    /// The largest image accepted, in pixels: a header declaring more is refused before anything large is
    /// allocated. Default <see cref="DefaultMaxPixels"/>.
    /// </param>
    public JpegTranscoder(long maxPixels = DefaultMaxPixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        MaxPixels = maxPixels;
    }

    /// <summary>Gets the largest image accepted, in pixels.</summary>
    public long MaxPixels { get; }

    /// <summary>
    /// Transcodes <paramref name="jpeg"/> to a progressive JPEG appended to <paramref name="output"/>,
    /// and says where each scan ends (the PCR format's cut points), so no second parse is needed.
    /// </summary>
    /// <param name="jpeg">A complete JPEG file.</param>
    /// <param name="output">Where the progressive JPEG is written.</param>
    /// <param name="sourceName">The file the bytes came from, for error messages and warnings.</param>
    /// <returns>The length written, scan ends relative to the first byte written, geometry and warnings.</returns>
    /// <exception cref="PcrFormatException">
    /// The input is not a JPEG jpegtran can read, is 12-bit or lossless, has corrupt entropy-coded data that
    /// cannot be followed, or declares more than <see cref="MaxPixels"/> pixels.
    /// </exception>
    public JpegTranscodeResult Transcode(ReadOnlySpan<byte> jpeg, IBufferWriter<byte> output, string? sourceName = null) =>
        Transcode(jpeg, output, sourceName, refuseDataLoss: false);

    /// <summary>
    /// As <see cref="Transcode(ReadOnlySpan{byte}, IBufferWriter{byte}, string?)"/>; with <paramref name="refuseDataLoss"/>
    /// the first truncated or corrupt scan ends reading with a <see cref="PcrFormatException"/>, so a damaged or forged
    /// file costs time and memory in proportion to the data read up to the damage, never to what its header declares.
    /// </summary>
    internal JpegTranscodeResult Transcode(ReadOnlySpan<byte> jpeg, IBufferWriter<byte> output, string? sourceName, bool refuseDataLoss)
    {
        ArgumentNullException.ThrowIfNull(output);
        using JpegCoefficientImage image = JpegCoefficientReader.Read(jpeg, MaxPixels, sourceName, refuseDataLoss);
        int[] scanEnds = ProgressiveJpegWriter.Write(image, output);
        string[] warnings = image.Warnings.Count == 0 ? [] : [.. image.Warnings];
        return new JpegTranscodeResult(scanEnds[^1] + 2, scanEnds, image.Width, image.Height, image.Components.Length, warnings,
            warnings.Any(JpegWarnings.MeansDataLoss));
    }

    /// <summary>Transcodes <paramref name="jpeg"/> into a new array.</summary>
    /// <param name="jpeg">A complete JPEG file.</param>
    /// <param name="result">What was written: scan ends, geometry and warnings.</param>
    /// <param name="sourceName">The file the bytes came from, for error messages.</param>
    /// <returns>The progressive JPEG.</returns>
    /// <exception cref="PcrFormatException">As <see cref="Transcode(ReadOnlySpan{byte}, IBufferWriter{byte}, string?)"/>.</exception>
    public byte[] Transcode(ReadOnlySpan<byte> jpeg, out JpegTranscodeResult result, string? sourceName = null)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(jpeg.Length + jpeg.Length / 8, 1024));
        result = Transcode(jpeg, buffer, sourceName);
        return buffer.WrittenSpan.ToArray();
    }
}
