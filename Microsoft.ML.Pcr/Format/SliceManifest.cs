using System.Globalization;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Pcr.Format;

/// <summary>
/// The names of the files a sliced conversion writes: worker i of n commits its records and then <c>PCR_slice_i_of_n.pb</c>, an index
/// (the same protobuf as <c>PCR_index.pb</c>) over its records only, carrying the whole conversion's fingerprint. Merging reads them all.
/// </summary>
internal static partial class SliceManifest
{
    /// <summary>What every manifest's name starts with.</summary>
    public const string Prefix = "PCR_slice_";

    /// <summary>The manifest of worker <paramref name="worker"/> of <paramref name="workers"/>.</summary>
    public static string FileName(int worker, int workers) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{worker}_of_{workers}.pb");

    /// <summary>The writer lock of one worker's slice (workers write beside each other, each under a lock of its own).</summary>
    public static string LockName(int worker, int workers) =>
        string.Create(CultureInfo.InvariantCulture, $".pcr-writer.slice_{worker}_of_{workers}.lock");

    /// <summary>Reads worker and worker count from a manifest's name; false for other names.</summary>
    public static bool TryParse(string fileName, out int worker, out int workers)
    {
        Match m = NamePattern().Match(fileName);
        worker = workers = 0;
        return m.Success
            && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out worker)
            && int.TryParse(m.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out workers);
    }

    /// <summary>Reads the record number of a record file named <c>PCR_&lt;n&gt;.pcr</c>; false for other names.</summary>
    public static bool TryParseRecordNumber(string fileName, out int number)
    {
        Match m = RecordPattern().Match(fileName);
        number = 0;
        return m.Success && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }

    [GeneratedRegex(@"^PCR_slice_([0-9]{1,9})_of_([0-9]{1,9})\.pb$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^PCR_([0-9]{1,9})\.pcr$", RegexOptions.CultureInvariant)]
    private static partial Regex RecordPattern();
}
