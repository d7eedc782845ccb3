using System.IO.Hashing;

namespace Microsoft.ML.Pcr.Format;

/// <summary>CRC-32C (Castagnoli) of a segment, as stored in the index's <c>segment_crc32c</c> extension.</summary>
internal static class Crc32C
{
    /// <summary>Computes the CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = new Crc32(Crc32ParameterSet.Crc32C);
        crc.Append(data);
        return crc.GetCurrentHashAsUInt32();
    }
}
