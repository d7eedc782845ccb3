using BitMiracle.LibJpeg.Classic;

namespace Pcr.Benchmarks.Harness;

/// <summary>
/// The managed alternative to our transcoder, for comparison only: BitMiracle.LibJpeg.NET's coefficient transcode
/// as jpegtran does it (read coefficients, copy critical parameters, simple progression, optimized Huffman tables,
/// write coefficients, no markers copied).
/// </summary>
internal static class LibJpegNetTranscoder
{
    /// <summary>Transcodes <paramref name="jpeg"/>, writing the progressive JPEG into <paramref name="output"/> (which is emptied first).</summary>
    public static void Transcode(byte[] jpeg, MemoryStream output)
    {
        output.SetLength(0);
        var source = new jpeg_decompress_struct(new jpeg_error_mgr());
        using var input = new MemoryStream(jpeg, writable: false);
        source.jpeg_stdio_src(input);
        source.jpeg_read_header(true);
        jvirt_array<JBLOCK>[] coefficients = source.jpeg_read_coefficients();

        var destination = new jpeg_compress_struct(new jpeg_error_mgr());
        source.jpeg_copy_critical_parameters(destination);
        destination.jpeg_simple_progression();
        destination.Optimize_coding = true;
        destination.jpeg_stdio_dest(output);
        destination.jpeg_write_coefficients(coefficients);
        destination.jpeg_finish_compress();
        source.jpeg_finish_decompress();
    }
}
