using System.IO.Hashing;

namespace Microsoft.ML.Pcr.Format;

/// <summary>
/// CRC-32C (Castagnoli) as the format stores it: of every segment (the index's <c>segment_crc32c</c>) and of the index
/// itself (<c>index_crc32c</c>). The one place the project computes it, whole (<see cref="Compute"/>) or streamed
/// (<see cref="Append"/>, for a segment written piece by piece).
/// </summary>
internal sealed class Crc32C
{
    private readonly Crc32 _crc = new(Crc32ParameterSet.Crc32C);

    /// <summary>Computes the CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = new Crc32C();
        crc.Append(data);
        return crc.Value;
    }

    /// <summary>Gets the CRC-32C of everything appended since the last <see cref="Reset"/>.</summary>
    public uint Value => _crc.GetCurrentHashAsUInt32();

    /// <summary>Adds <paramref name="data"/> to the running checksum.</summary>
    public void Append(ReadOnlySpan<byte> data) => _crc.Append(data);

    /// <summary>Starts a new checksum.</summary>
    public void Reset() => _crc.Reset();
}
