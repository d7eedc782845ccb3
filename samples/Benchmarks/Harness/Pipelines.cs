using Microsoft.ML;
using Microsoft.ML.Data;

namespace Pcr.Benchmarks.Harness;

/// <summary>
/// The data views the loader tables compare, built one way everywhere: a PCR view's <c>Image</c> column (JPEG bytes),
/// ML.NET's ImageFolder path (a list of relative paths, then <c>LoadRawImageBytes</c> or <c>LoadImages</c>), the
/// decoding pipelines on top, and draining a column with one cursor.
/// </summary>
internal static class Pipelines
{
    public const string Bytes = "Image";
    public const string Decoded = "Decoded";
    public const string Resized = "Resized";

    /// <summary>A row of the ImageFolder baseline: the image's path relative to the folder.</summary>
    public sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }

    /// <summary>A row of in-memory JPEG bytes.</summary>
    public sealed class BytesRow
    {
        [VectorType]
        public byte[] Image { get; set; } = [];
    }

    /// <summary>The images of an ImageFolder as paths relative to it, in the ordinal order of their paths.</summary>
    public static string[] RelativePaths(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*.jpg", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal)];

    public static IDataView PathList(MLContext ml, IEnumerable<string> relativePaths) =>
        ml.Data.LoadFromEnumerable(relativePaths.Select(p => new PathRow { ImagePath = p }));

    /// <summary>ML.NET's standard ImageFolder path to bytes: <c>LoadRawImageBytes</c> from the paths.</summary>
    public static IDataView RawBytesFromFolder(MLContext ml, string folder, IDataView paths) =>
        ml.Transforms.LoadRawImageBytes(Bytes, folder, nameof(PathRow.ImagePath)).Fit(paths).Transform(paths);

    /// <summary>ML.NET's standard ImageFolder path to pixels: <c>LoadImages</c> then <c>ResizeImages</c>.</summary>
    public static IDataView ImagesFromFolder(MLContext ml, string folder, IDataView paths, int size) =>
        ml.Transforms.LoadImages(Decoded, folder, nameof(PathRow.ImagePath))
            .Append(ml.Transforms.ResizeImages(Resized, size, size, Decoded)).Fit(paths).Transform(paths);

    /// <summary>Our <c>DecodeImages</c> on a bytes column, with (<paramref name="scaled"/>) or without decode-time downscaling, then <c>ResizeImages</c>.</summary>
    public static IDataView DecodeAndResize(MLContext ml, IDataView bytes, int size, bool scaled) =>
        (scaled ? ml.Transforms.DecodeImages(Decoded, Bytes, size, size) : ml.Transforms.DecodeImages(Decoded, Bytes))
            .Append(ml.Transforms.ResizeImages(Resized, size, size, Decoded)).Fit(bytes).Transform(bytes);

    /// <summary>Reads the first <paramref name="maxRows"/> rows' bytes with one cursor; returns rows and bytes.</summary>
    public static (long Rows, long Bytes) DrainBytes(IDataView view, long maxRows = long.MaxValue)
    {
        DataViewSchema.Column column = view.Schema[Bytes];
        using DataViewRowCursor cursor = view.GetRowCursor([column]);
        ValueGetter<VBuffer<byte>> getter = cursor.GetGetter<VBuffer<byte>>(column);
        VBuffer<byte> value = default;
        long rows = 0, bytes = 0;
        while (rows < maxRows && cursor.MoveNext())
        {
            getter(ref value);
            bytes += value.Length;
            rows++;
        }
        return (rows, bytes);
    }

    /// <summary>Pulls the image of the first <paramref name="maxRows"/> rows of <paramref name="columnName"/> with one cursor; returns the rows.</summary>
    public static long DrainImages(IDataView view, string columnName, long maxRows = long.MaxValue)
    {
        DataViewSchema.Column column = view.Schema[columnName];
        using DataViewRowCursor cursor = view.GetRowCursor([column]);
        ValueGetter<MLImage> getter = cursor.GetGetter<MLImage>(column);
        MLImage image = null!;
        long rows = 0;
        while (rows < maxRows && cursor.MoveNext())
        {
            getter(ref image);
            rows++;
        }
        return rows;
    }
}
