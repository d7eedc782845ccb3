using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;

namespace Microsoft.ML.Pcr.Conversion;

/// <summary>
/// Writes the index of a sliced conversion: reads every worker's manifest (<c>PCR_slice_i_of_n.pb</c>), checks that all n are there, come
/// from the same inputs and options (the same conversion fingerprint) and that their records are in place, then commits one index over
/// all the records in record-number order, which is the order of a whole conversion with the same seed.
/// </summary>
internal static class SliceMerger
{
    public static PcrIndex Merge(IPcrByteSink sink)
    {
        IReadOnlyList<string> files = sink.List();
        var slices = new List<(string Name, int Worker, int Workers)>();
        foreach (string file in files)
            if (SliceManifest.TryParse(file, out int worker, out int workers)) slices.Add((file, worker, workers));
        if (slices.Count == 0)
        {
            throw new InvalidDataException(files.Contains(PcrIndex.FileName, StringComparer.Ordinal)
                ? $"'{sink.Location}' holds a complete PCR dataset and no slice to merge."
                : $"'{sink.Location}' holds no slice of a sliced conversion ({SliceManifest.Prefix}<i>_of_<n>.pb); convert with a worker count first.");
        }

        int[] counts = [.. slices.Select(s => s.Workers).Distinct().Order()];
        if (counts.Length > 1)
        {
            throw new InvalidDataException(
                $"'{sink.Location}' holds slices of conversions split {string.Join(" and ", counts.Select(c => $"{c} ways"))} " +
                $"({string.Join(", ", counts.Select(c => slices.First(s => s.Workers == c).Name))}); delete the ones of the other conversion and merge again.");
        }
        int n = counts[0];
        int[] missing = [.. Enumerable.Range(0, n).Where(i => !slices.Any(s => s.Worker == i))];
        if (missing.Length > 0)
        {
            string which = string.Join(", ", missing.Take(10).Select(i => SliceManifest.FileName(i, n))) + (missing.Length > 10 ? ", ..." : "");
            throw new InvalidDataException(
                $"'{sink.Location}' is missing {missing.Length} of the {n} slices ({which}): convert worker{(missing.Length > 1 ? "s" : "")} " +
                $"{string.Join(", ", missing.Take(10))} of {n} and merge again.");
        }

        IPcrByteSource source = sink.OpenSource();
        PcrIndex[] manifests = [.. Enumerable.Range(0, n).Select(i => Read(source, SliceManifest.FileName(i, n)))];
        PcrIndex first = manifests[0];
        for (int i = 1; i < n; i++)
        {
            PcrIndex m = manifests[i];
            if (m.ConversionFingerprint != first.ConversionFingerprint || m.RelativePathsStored != first.RelativePathsStored
                || !(m.ClassNames ?? []).SequenceEqual(first.ClassNames ?? [], StringComparer.Ordinal))
            {
                throw new InvalidDataException(
                    $"Slice {i} of {n} ({sink.Describe(SliceManifest.FileName(i, n))}) was converted from other inputs or options than slice 0 " +
                    $"(fingerprint {Short(m.ConversionFingerprint)} against {Short(first.ConversionFingerprint)}); convert every slice from the same ImageFolder with the same options.");
            }
        }

        var records = new SortedDictionary<int, PcrRecordInfo>();
        for (int i = 0; i < n; i++)
        {
            foreach (PcrRecordInfo r in manifests[i].Records)
            {
                if (!SliceManifest.TryParseRecordNumber(r.Name, out int number) || number % n != i || !records.TryAdd(number, r))
                    throw new PcrFormatException($"slice {i} of {n} lists record '{r.Name}', which is not one of its records", sink.Describe(SliceManifest.FileName(i, n)));
                long length = source.GetLength(r.Name);
                if (length < 0)
                    throw new InvalidDataException($"Record {sink.Describe(r.Name)} of slice {i} of {n} is missing; convert worker {i} of {n} again and merge again.");
                if (length != r.Length)
                    throw new PcrFormatException($"the record is {length} bytes long, but slice {i} of {n} says {r.Length}; convert worker {i} of {n} again", sink.Describe(r.Name));
            }
        }
        if (records.Count == 0)
            throw new InvalidDataException($"None of the {n} slices in '{sink.Location}' holds an image: none of the inputs could be converted (see the slices' reports).");

        var index = new PcrIndex([.. records.Values], first.ClassNames, PcrIndex.CurrentFormatVersion, first.Writer, first.RelativePathsStored,
            first.ConversionFingerprint, isChecksummed: true);
        using (Stream stream = sink.Create(PcrIndex.FileName))
            stream.Write(index.ToBytes());
        // The records are in place already; the index lands last, and the slices' manifests go once it has.
        PcrWriter.CommitDataset(sink, [.. records.Values.Select(r => r.Name)], PcrIndex.FileName, replacePrevious: true, commitRecord: static _ => { });
        return index;
    }

    private static PcrIndex Read(IPcrByteSource source, string name)
    {
        long length = source.GetLength(name);
        if (length < 0) throw new FileNotFoundException($"'{source.Describe(name)}' does not exist.", source.Describe(name));
        if (length > int.MaxValue) throw new PcrFormatException($"the slice manifest is {length} bytes long", source.Describe(name));
        var bytes = new byte[length];
        int read = source.Read(name, 0, bytes);
        return PcrIndex.Parse(bytes.AsSpan(0, read), source.Describe(name));
    }

    private static string Short(string? fingerprint) => fingerprint is null ? "none" : fingerprint[..Math.Min(12, fingerprint.Length)];
}
