using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Conversion;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// Turns the rows of an <see cref="IDataView"/> into the plain listing the converter takes, so that the conversion
/// layer needs no ML.NET types.
/// </summary>
internal static class DataViewImageListing
{
    /// <summary>
    /// Lists the images of an <see cref="IDataView"/> with a text column of image paths and a label column that is
    /// either a key with class names (KeyValues) or text (class names, sorted ordinally to labels).
    /// </summary>
    public static ImageFolderListing Read(IDataView data, string pathColumn, string labelColumn, string? imageFolder)
    {
        ArgumentNullException.ThrowIfNull(data);
        DataViewSchema.Column path = data.Schema.GetColumnOrNull(pathColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(pathColumn), pathColumn, $"The data has no column '{pathColumn}'.");
        DataViewSchema.Column label = data.Schema.GetColumnOrNull(labelColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(labelColumn), labelColumn, $"The data has no column '{labelColumn}'.");
        if (path.Type is not TextDataViewType)
            throw new ArgumentException($"Schema mismatch for input column '{pathColumn}': expected String, got {path.Type}.", nameof(pathColumn));
        string root = Path.GetFullPath(imageFolder ?? Environment.CurrentDirectory);

        var rows = new List<(string Path, string Class)>();
        string[]? keyNames = null;
        if (label.Type is KeyDataViewType key)
        {
            if (key.RawType != typeof(uint))
                throw new ArgumentException($"Schema mismatch for input column '{labelColumn}': expected Key<UInt32> or String, got {label.Type}.", nameof(labelColumn));
            VBuffer<ReadOnlyMemory<char>> names = default;
            if (label.Annotations.Schema.GetColumnOrNull("KeyValues") is null)
                throw new ArgumentException($"The key column '{labelColumn}' has no class names (KeyValues annotation); map the values to keys with MapValueToKey.", nameof(labelColumn));
            label.GetKeyValues(ref names);
            keyNames = [.. names.DenseValues().Select(m => m.ToString())];
        }
        else if (label.Type is not TextDataViewType)
        {
            throw new ArgumentException($"Schema mismatch for input column '{labelColumn}': expected Key<UInt32> or String, got {label.Type}.", nameof(labelColumn));
        }

        using (DataViewRowCursor cursor = data.GetRowCursor([path, label]))
        {
            var pathGetter = cursor.GetGetter<ReadOnlyMemory<char>>(path);
            ValueGetter<uint>? keyGetter = keyNames is not null ? cursor.GetGetter<uint>(label) : null;
            ValueGetter<ReadOnlyMemory<char>>? textGetter = keyNames is null ? cursor.GetGetter<ReadOnlyMemory<char>>(label) : null;
            ReadOnlyMemory<char> p = default, t = default;
            uint k = 0;
            while (cursor.MoveNext())
            {
                pathGetter(ref p);
                string className;
                if (keyGetter is not null)
                {
                    keyGetter(ref k);
                    if (k == 0 || k > keyNames!.Length)
                        throw new InvalidDataException($"Row {cursor.Position}: the label of '{p}' is missing (key {k}).");
                    className = keyNames[k - 1];
                }
                else
                {
                    textGetter!(ref t);
                    className = t.ToString();
                    if (className.Length == 0)
                        throw new InvalidDataException($"Row {cursor.Position}: the label of '{p}' is empty.");
                }
                rows.Add((p.ToString(), className));
            }
        }

        string[] classes = keyNames ?? [.. rows.Select(r => r.Class).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < classes.Length; i++) labels.TryAdd(classes[i], i);
        var images = rows.Select(r =>
        {
            string full = Path.GetFullPath(r.Path, root);
            string relative = imageFolder is not null ? ImageFolderListing.ToRelative(root, full) : $"{r.Class}/{Path.GetFileName(full)}";
            return new SourceImage(full, relative, labels[r.Class]);
        }).ToList();
        string[] empty = [.. classes.Where(c => !rows.Any(r => r.Class == c))];
        return new ImageFolderListing { Root = imageFolder is not null ? root : "", ClassNames = classes, Images = images, EmptyClasses = empty, StrayFiles = [] };
    }
}
