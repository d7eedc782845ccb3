using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.ML.Pcr.Format.Proto;

namespace Microsoft.ML.Pcr.Format;

/// <summary>
/// The index of a PCR dataset (<c>PCR_index.pb</c>): its records, their segment lengths and,
/// for datasets written by this project, class names, image counts and checksums.
/// </summary>
public sealed partial class PcrIndex
{
    /// <summary>The index file name inside a PCR directory.</summary>
    public const string FileName = "PCR_index.pb";

    /// <summary>
    /// The version of this project's extensions that this library writes: 2, an index that carries a CRC-32C of its
    /// own content and the fingerprint of the conversion it holds. Versions 0 (the published converter) and 1 (this
    /// project before the index checksum) are read too.
    /// </summary>
    public const int CurrentFormatVersion = 2;

    /// <summary>The first format version whose index must carry <c>index_crc32c</c>.</summary>
    internal const int ChecksummedFormatVersion = 2;

    /// <summary>The most class names an index may hold (and, for datasets without names, the most classes labels may imply).</summary>
    internal const int MaxClassCount = PcrDataset.MaxClassCount;

    internal PcrIndex(IReadOnlyList<PcrRecordInfo> records, IReadOnlyList<string>? classNames, int formatVersion, string? writer, bool relativePathsStored,
        string? conversionFingerprint = null, bool isChecksummed = false)
    {
        Records = records;
        ClassNames = classNames;
        FormatVersion = formatVersion;
        Writer = writer;
        RelativePathsStored = relativePathsStored;
        ConversionFingerprint = conversionFingerprint;
        IsChecksummed = isChecksummed;
    }

    /// <summary>Gets the records, duplicates removed, ordered by record number when every name is <c>PCR_&lt;n&gt;.*</c>, else in index order.</summary>
    public IReadOnlyList<PcrRecordInfo> Records { get; }

    /// <summary>Gets the class names stored by this project, or <see langword="null"/> for datasets written by the published converter.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>Gets the version of this project's extensions, 0 when another tool wrote the dataset.</summary>
    public int FormatVersion { get; }

    /// <summary>Gets the writer's self-description, when stored.</summary>
    public string? Writer { get; }

    /// <summary>Gets whether every record stores the original relative path of its images.</summary>
    public bool RelativePathsStored { get; }

    /// <summary>
    /// Gets what the dataset is the conversion of (an opaque digest of the inputs and the options that decide the
    /// output, written by <see cref="Conversion.ImageFolderConverter"/>), or <see langword="null"/> when not stored.
    /// It is committed with the index, so it always describes the records beside it.
    /// </summary>
    public string? ConversionFingerprint { get; }

    /// <summary>Gets whether the index carries a CRC-32C of its own content (format version 2 and later), checked when it was parsed.</summary>
    public bool IsChecksummed { get; }

    /// <summary>Parses and validates an index.</summary>
    /// <param name="data">The bytes of <c>PCR_index.pb</c>.</param>
    /// <param name="sourceName">The index's path, for error messages.</param>
    /// <exception cref="PcrFormatException">The index is malformed, inconsistent or fails its checksum.</exception>
    public static PcrIndex Parse(ReadOnlySpan<byte> data, string sourceName)
    {
        DatasetOffsetsIndex proto;
        try
        {
            proto = DatasetOffsetsIndex.Parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new PcrFormatException($"not a valid PCR index ({e.Message})", sourceName, inner: e);
        }

        if (proto.FormatVersion < 0 || proto.FormatVersion > CurrentFormatVersion)
            throw new PcrFormatException($"format version {proto.FormatVersion} is newer than this library understands ({CurrentFormatVersion})", sourceName);
        CheckIntegrity(proto, sourceName);
        if (proto.ClassNames.Count > MaxClassCount)
            throw new PcrFormatException($"the index names {proto.ClassNames.Count} classes, more than the {MaxClassCount} a dataset may have", sourceName);

        var byName = new Dictionary<string, PcrRecordInfo>(StringComparer.Ordinal);
        var order = new List<PcrRecordInfo>();
        foreach (RecordOffsetsIndex r in proto.Records)
        {
            PcrRecordInfo info = ToRecordInfo(r, sourceName);
            if (byName.TryGetValue(info.Name, out PcrRecordInfo? first))
            {
                if (!first.SameLayout(info))
                    throw new PcrFormatException("the index lists this record twice with different offsets", sourceName, info.Name);
                continue;
            }
            byName.Add(info.Name, info);
            order.Add(info);
        }
        if (order.Count == 0)
            throw new PcrFormatException("the index lists no records", sourceName);

        SortByRecordNumber(order);
        string[]? classNames = proto.ClassNames.Count > 0 ? [.. proto.ClassNames] : null;
        return new PcrIndex(order, classNames, proto.FormatVersion, proto.Writer.Length > 0 ? proto.Writer : null, proto.RelativePathsStored,
            proto.ConversionFingerprint.Length > 0 ? proto.ConversionFingerprint : null, proto.HasIndexCrc32C);
    }

    // A checksum, when present, is checked whatever the version says (the version itself may be what was damaged). An index of this
    // project's current format without one was truncated or damaged; so was one that carries this project's fields without any version.
    private static void CheckIntegrity(DatasetOffsetsIndex proto, string sourceName)
    {
        if (proto.HasIndexCrc32C)
        {
            uint computed = ComputeChecksum(proto);
            if (computed != proto.IndexCrc32C)
                throw new PcrFormatException(
                    $"the index fails its checksum (stored {proto.IndexCrc32C:x8}, computed {computed:x8}): it was changed or damaged after it was written", sourceName);
            return;
        }
        if (proto.FormatVersion >= ChecksummedFormatVersion)
            throw new PcrFormatException($"the index has format version {proto.FormatVersion} but no checksum: it was truncated or damaged", sourceName);
        if (proto.FormatVersion == 0 && HasProjectFields(proto))
            throw new PcrFormatException("the index carries this project's fields (class names, checksums, image counts) but no format version: it was damaged", sourceName);
    }

    private static bool HasProjectFields(DatasetOffsetsIndex proto) =>
        proto.ClassNames.Count > 0 || proto.Writer.Length > 0 || proto.RelativePathsStored || proto.ConversionFingerprint.Length > 0
        || proto.Records.Any(r => r.SegmentCrc32C.Count > 0 || r.ImageCount != 0);

    // The CRC-32C of the content: the message in its canonical serialization (Google.Protobuf writes known fields in number order and keeps
    // unknown ones) with the checksum cleared.
    private static uint ComputeChecksum(DatasetOffsetsIndex proto)
    {
        DatasetOffsetsIndex content = proto.Clone();
        content.ClearIndexCrc32C();
        return Crc32C.Compute(content.ToByteArray());
    }

    /// <summary>Serializes the index with this project's extensions.</summary>
    internal byte[] ToBytes()
    {
        var proto = new DatasetOffsetsIndex
        {
            FormatVersion = FormatVersion,
            Writer = Writer ?? "",
            RelativePathsStored = RelativePathsStored,
            ConversionFingerprint = ConversionFingerprint ?? "",
        };
        if (ClassNames is not null) proto.ClassNames.AddRange(ClassNames);
        foreach (PcrRecordInfo r in Records)
        {
            var entry = new RecordOffsetsIndex { Name = r.Name, ImageCount = Math.Max(r.ImageCount, 0) };
            entry.Offsets.AddRange(r.SegmentLengthArray);
            if (r.Crc32CArray is { } crc) entry.SegmentCrc32C.AddRange(crc);
            proto.Records.Add(entry);
        }
        return Serialize(proto);
    }

    /// <summary>
    /// Serializes <paramref name="proto"/> as this project writes an index: with its checksum (from format version 2), and the version and the
    /// checksum first in the file, so that any truncation keeps the promise that a checksum must be there.
    /// </summary>
    internal static byte[] Serialize(DatasetOffsetsIndex proto)
    {
        DatasetOffsetsIndex content = proto.Clone();
        content.ClearIndexCrc32C();
        if (content.FormatVersion < ChecksummedFormatVersion) return content.ToByteArray();

        var header = new DatasetOffsetsIndex { FormatVersion = content.FormatVersion, IndexCrc32C = Crc32C.Compute(content.ToByteArray()) };
        content.FormatVersion = 0; // written once, in the header; the rest of the message merges into it
        return [.. header.ToByteArray(), .. content.ToByteArray()];
    }

    private static PcrRecordInfo ToRecordInfo(RecordOffsetsIndex r, string sourceName)
    {
        string name = r.Name;
        if (name.Length == 0)
            throw new PcrFormatException("a record has no name", sourceName);
        if (name.IndexOfAny(['/', '\\', '\0']) >= 0 || name == "." || name == "..")
            throw new PcrFormatException("the record name is not a plain file name", sourceName, name);
        if (r.Offsets.Count < 2)
            throw new PcrFormatException($"the record has {r.Offsets.Count} offsets; a record needs its metadata length and at least one scan group", sourceName, name);

        var lengths = new int[r.Offsets.Count];
        long total = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            int len = r.Offsets[i];
            if (len < 0)
                throw new PcrFormatException($"offset {i} is negative ({len})", sourceName, name);
            total += len;
            lengths[i] = len;
        }
        if (total > Array.MaxLength)
            throw new PcrFormatException($"the record is {total} bytes long, more than one read can hold", sourceName, name);
        if (lengths[0] == 0)
            throw new PcrFormatException("the metadata segment is empty", sourceName, name);

        uint[]? crc = null;
        if (r.SegmentCrc32C.Count > 0)
        {
            if (r.SegmentCrc32C.Count != lengths.Length)
                throw new PcrFormatException($"{r.SegmentCrc32C.Count} checksums for {lengths.Length} segments", sourceName, name);
            crc = [.. r.SegmentCrc32C];
        }
        if (r.ImageCount < 0)
            throw new PcrFormatException($"image count {r.ImageCount} is negative", sourceName, name);
        return new PcrRecordInfo(name, lengths, crc, r.ImageCount > 0 ? r.ImageCount : -1);
    }

    // The published converter lists records in the order its workers finished; order by n for a stable row order.
    private static void SortByRecordNumber(List<PcrRecordInfo> records)
    {
        var numbers = new Dictionary<PcrRecordInfo, long>(records.Count);
        foreach (PcrRecordInfo r in records)
        {
            Match m = RecordNumberPattern().Match(r.Name);
            if (!m.Success || !long.TryParse(m.Groups[1].ValueSpan, out long n)) return;
            numbers[r] = n;
        }
        records.Sort((a, b) => numbers[a].CompareTo(numbers[b]) is var c && c != 0 ? c : string.CompareOrdinal(a.Name, b.Name));
    }

    /// <summary>Returns the record file name this project writes for record <paramref name="recordNumber"/>.</summary>
    public static string GetRecordFileName(int recordNumber) => $"PCR_{recordNumber}.pcr";

    [GeneratedRegex(@"^PCR_(\d{1,18})(\.[^.]*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex RecordNumberPattern();
}
