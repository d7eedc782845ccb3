using Microsoft.ML.Data;
using SkiaSharp;

namespace Microsoft.ML.Pcr.Tests.Data;

/// <summary>Rows, views and readers shared by the DecodeImages tests.</summary>
internal static class DecodeImagesTestData
{
    public sealed class BytesRow
    {
        public byte[] Bytes = [];
    }

    public sealed class PathRow
    {
        public string Path = "";
        public string Label = "";
    }

    public sealed class DecodedRow
    {
        public MLImage? Image = null;
    }

    /// <summary>One decoded row: size and pixels copied out, or null for a missing image.</summary>
    public sealed record Decoded(int Width, int Height, byte[] Pixels);

    public static IDataView BytesView(MLContext ml, IEnumerable<byte[]> images) =>
        ml.Data.LoadFromEnumerable(images.Select(b => new BytesRow { Bytes = b }).ToArray());

    /// <summary>Reads every image of <paramref name="column"/> with one cursor, copying each out before the next row.</summary>
    public static List<Decoded?> ReadImages(IDataView view, string column = "Image")
    {
        var result = new List<Decoded?>();
        DataViewSchema.Column col = view.Schema[column];
        using DataViewRowCursor cursor = view.GetRowCursor([col]);
        ValueGetter<MLImage> getter = cursor.GetGetter<MLImage>(col);
        MLImage image = null!;
        while (cursor.MoveNext())
        {
            getter(ref image);
            result.Add(Copy(image));
        }
        return result;
    }

    public static Decoded? Copy(MLImage? image) => image is null ? null : new(image.Width, image.Height, image.Pixels.ToArray());

    /// <summary>ML.NET's own decode of the bytes (what LoadImages does), or null when it fails.</summary>
    public static Decoded? Reference(byte[] bytes)
    {
        try
        {
            using MLImage image = MLImage.CreateFromStream(new MemoryStream(bytes));
            return Copy(image);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public static int MaxDifference(byte[] a, byte[] b)
    {
        Assert.HasCount(a.Length, b);
        int max = 0;
        for (int i = 0; i < a.Length; i++)
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    /// <summary>A smooth synthetic photo-like JPEG (or other format) made with SkiaSharp.</summary>
    public static byte[] Synthetic(int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Jpeg, int quality = 90)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Bgra8888, SKAlphaType.Premul);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte r = (byte)(128 + 127 * Math.Sin(x * 0.05)), g = (byte)(128 + 127 * Math.Cos(y * 0.07)), b = (byte)((x + y) * 255 / (width + height));
                bitmap.SetPixel(x, y, new SKColor(r, g, b));
            }
        }
        using SKData data = bitmap.Encode(format, quality);
        return data.ToArray();
    }
}
