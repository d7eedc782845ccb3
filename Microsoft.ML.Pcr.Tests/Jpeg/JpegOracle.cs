using System.Reflection;
using BitMiracle.LibJpeg.Classic;

namespace Microsoft.ML.Pcr.Tests.Jpeg;

/// <summary>Coefficients and quantization tables of one component as an oracle decoder saw them.</summary>
internal sealed record OracleComponent(int Id, int HSamp, int VSamp, int WidthInBlocks, int HeightInBlocks, short[][] Blocks, ushort[] QuantZigzag);

/// <summary>
/// LibJpeg.NET's jpeg_read_coefficients as an oracle. It is right for every golden file (progressive
/// Huffman without restart intervals) and for inputs other than progressive+DRI and arithmetic.
/// </summary>
internal static class JpegOracle
{
    /// <summary>Zigzag index k to natural (row-major) position.</summary>
    public static readonly int[] NaturalOrder =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    private static readonly FieldInfo HeightInBlocks = typeof(jpeg_component_info).GetField("height_in_blocks", BindingFlags.NonPublic | BindingFlags.Instance)!;
    private static readonly FieldInfo QuantTable = typeof(jpeg_component_info).GetField("quant_table", BindingFlags.NonPublic | BindingFlags.Instance)!;
    private static readonly FieldInfo QuantVal = typeof(JQUANT_TBL).GetField("quantval", BindingFlags.NonPublic | BindingFlags.Instance)!;

    /// <summary>Reads <paramref name="jpeg"/> with LibJpeg.NET; blocks are returned in zigzag order.</summary>
    public static OracleComponent[] Read(byte[] jpeg, out int warnings) => Read(jpeg, padded: false, out warnings);

    /// <summary>
    /// Reads <paramref name="jpeg"/> with LibJpeg.NET; with <paramref name="padded"/> the whole arrays, padded to
    /// multiples of the sampling factors as libjpeg allocates them, are returned.
    /// </summary>
    public static OracleComponent[] Read(byte[] jpeg, bool padded, out int warnings)
    {
        var cinfo = new jpeg_decompress_struct(new jpeg_error_mgr());
        using var ms = new MemoryStream(jpeg);
        cinfo.jpeg_stdio_src(ms);
        cinfo.jpeg_read_header(true);
        var arrays = cinfo.jpeg_read_coefficients();
        var result = new OracleComponent[cinfo.Num_components];
        for (int ci = 0; ci < result.Length; ci++)
        {
            var comp = cinfo.Comp_info[ci];
            int wb = comp.Width_in_blocks;
            int hb = (int)HeightInBlocks.GetValue(comp)!;
            if (padded)
            {
                wb = (wb + comp.H_samp_factor - 1) / comp.H_samp_factor * comp.H_samp_factor;
                hb = (hb + comp.V_samp_factor - 1) / comp.V_samp_factor * comp.V_samp_factor;
            }

            var blocks = new short[wb * hb][];
            for (int row = 0; row < hb; row++)
            {
                var rowBlocks = arrays[ci].Access(row, 1)[0];
                for (int col = 0; col < wb; col++)
                {
                    var zz = new short[64];
                    for (int k = 0; k < 64; k++)
                    {
                        zz[k] = rowBlocks[col][NaturalOrder[k]];
                    }

                    blocks[(row * wb) + col] = zz;
                }
            }

            var q = new ushort[64];
            if (QuantTable.GetValue(comp) is JQUANT_TBL table)
            {
                var natural = (short[])QuantVal.GetValue(table)!;
                for (int k = 0; k < 64; k++)
                {
                    q[k] = (ushort)natural[NaturalOrder[k]];
                }
            }

            result[ci] = new OracleComponent(comp.Component_id, comp.H_samp_factor, comp.V_samp_factor, wb, hb, blocks, q);
        }

        warnings = cinfo.Err.Num_warnings;
        cinfo.jpeg_finish_decompress();
        return result;
    }
}
