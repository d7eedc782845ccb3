using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using static Microsoft.ML.Pcr.Tests.Data.DecodeImagesTestData;

namespace Microsoft.ML.Pcr.Tests.Data;

/// <summary>Getter ownership and cursor behaviour of DecodeImages under ML.NET's consumers.</summary>
[TestClass]
public sealed class DecodeImagesCursorTests
{
    private static readonly string[] Fixtures =
        ["baseline-420.jpg", "gray.jpg", "cmyk-adobe.jpg", "odd-37x23.jpg", "one-pixel.jpg", "progressive-420.jpg", "photo-clothing.jpg", "baseline-444.jpg"];

    private static IDataView Decoded(MLContext ml)
    {
        IDataView input = BytesView(ml, Fixtures.Select(n => File.ReadAllBytes(TestFiles.Golden(n))));
        return ml.Transforms.DecodeImages("Image", "Bytes", imageWidth: 16, imageHeight: 16).Fit(input).Transform(input);
    }

    [TestMethod]
    public void GetterDisposesThePreviousImageItHandedOut()
    {
        var ml = new MLContext(seed: 1);
        IDataView view = Decoded(ml);
        using DataViewRowCursor cursor = view.GetRowCursor(view.Schema);
        ValueGetter<MLImage> getter = cursor.GetGetter<MLImage>(view.Schema["Image"]);

        MLImage image = null!;
        Assert.IsTrue(cursor.MoveNext());
        getter(ref image);
        MLImage first = image;
        Assert.IsGreaterThanOrEqualTo(16, Math.Min(first.Width, first.Height), "a reduced scale that still covers 16x16");

        Assert.IsTrue(cursor.MoveNext());
        getter(ref image);
        Assert.AreNotSame(first, image);
        Assert.ThrowsExactly<InvalidOperationException>(() => _ = first.Width, "passed back: disposed");
        Assert.IsGreaterThan(0, image.Width);

        // A fresh variable is not disposed: the caller keeps what it did not pass back.
        MLImage kept = null!;
        getter(ref kept);
        getter(ref image);
        Assert.IsGreaterThan(0, kept.Width);
        kept.Dispose();
    }

    [TestMethod]
    public void ParallelCursorsGiveTheSameImagesAsOneCursor()
    {
        var ml = new MLContext(seed: 1);
        byte[][] files = [.. Enumerable.Range(0, 4).SelectMany(_ => Fixtures).Select(n => File.ReadAllBytes(TestFiles.Golden(n)))];
        var estimator = ml.Transforms.DecodeImages("Image", "Bytes", imageWidth: 16, imageHeight: 16);

        // Over an input whose cursor set splits rows between its cursors (even rows to one, odd to the other), and over
        // ML.NET's Cache, whose cursors of a set take rows from a shared counter as they go.
        foreach (IDataView input in new[] { new StridedDataView(BytesView(ml, files)), ml.Data.Cache(BytesView(ml, files)) })
        {
            IDataView view = estimator.Fit(input).Transform(input);
            Dictionary<DataViewRowId, Decoded> single = ReadById(view.GetRowCursor(view.Schema), view);
            Assert.HasCount(files.Length, single);

            DataViewRowCursor[] set = view.GetRowCursorSet(view.Schema, 2);
            Assert.HasCount(2, set);
            var parts = set.Select(cursor => Task.Run(() => ReadById(cursor, view))).ToArray();
            Task.WaitAll(parts);

            Assert.AreEqual(single.Count, parts.Sum(p => p.Result.Count), "every row once across the set");
            if (input is StridedDataView)
                Assert.IsTrue(parts.All(p => p.Result.Count == files.Length / 2), "both cursors served rows");
            foreach (var part in parts)
            {
                foreach (var (id, image) in part.Result)
                {
                    Decoded expected = single[id];
                    Assert.AreEqual((expected.Width, expected.Height), (image.Width, image.Height));
                    CollectionAssert.AreEqual(expected.Pixels, image.Pixels);
                }
            }
        }
    }

    private static Dictionary<DataViewRowId, Decoded> ReadById(DataViewRowCursor cursor, IDataView view)
    {
        var result = new Dictionary<DataViewRowId, Decoded>();
        using (cursor)
        {
            ValueGetter<MLImage> getter = cursor.GetGetter<MLImage>(view.Schema["Image"]);
            ValueGetter<DataViewRowId> id = cursor.GetIdGetter();
            MLImage image = null!;
            DataViewRowId rowId = default;
            while (cursor.MoveNext())
            {
                getter(ref image);
                id(ref rowId);
                result.Add(rowId, Copy(image)!);
            }
        }
        return result;
    }

    [TestMethod]
    public void PreviewCacheAndCreateEnumerableSeeValidImages()
    {
        var ml = new MLContext(seed: 1);
        IDataView view = Decoded(ml);
        List<Decoded?> expected = ReadImages(view);

        // Preview: every row's image stays valid after the preview's cursor is gone, the last one too.
        var preview = view.Preview();
        Assert.HasCount(Fixtures.Length, preview.RowView);
        for (int i = 0; i < Fixtures.Length; i++)
        {
            var image = (MLImage)preview.RowView[i].Values.Single(v => v.Key == "Image").Value;
            Assert.AreEqual(expected[i]!.Width, image.Width, $"preview row {i}");
        }

        // Cache keeps only primitive and vector columns (ML.NET drops image columns from a cache, as for LoadImages):
        // cache the bytes before DecodeImages, or the pixels after ExtractPixels. Both read the same values on every pass.
        Assert.IsNull(ml.Data.Cache(view).Schema.GetColumnOrNull("Image"));
        IDataView bytes = ml.Data.Cache(BytesView(ml, Fixtures.Select(n => File.ReadAllBytes(TestFiles.Golden(n)))));
        var decodeAndExtract = ml.Transforms.DecodeImages("Image", "Bytes", imageWidth: 16, imageHeight: 16)
            .Append(ml.Transforms.ResizeImages("Small", 8, 8, "Image"))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Small"));
        IDataView pixelsCached = ml.Data.Cache(decodeAndExtract.Fit(bytes).Transform(bytes));
        float[][] first = [.. pixelsCached.GetColumn<float[]>("Pixels")];
        for (int pass = 0; pass < 2; pass++)
        {
            List<Decoded?> again = ReadImages(decodeAndExtract.Fit(bytes).Transform(bytes));
            for (int i = 0; i < Fixtures.Length; i++)
                CollectionAssert.AreEqual(expected[i]!.Pixels, again[i]!.Pixels, $"decode after cached bytes, pass {pass} row {i}");
            float[][] cachedPixels = [.. pixelsCached.GetColumn<float[]>("Pixels")];
            for (int i = 0; i < Fixtures.Length; i++)
                CollectionAssert.AreEqual(first[i], cachedPixels[i], $"cached pixels, pass {pass} row {i}");
        }

        // CreateEnumerable: each row's image is valid while it is the current row (ML.NET's ownership rule).
        int row = 0;
        foreach (DecodedRow r in ml.Data.CreateEnumerable<DecodedRow>(view, reuseRowObject: false))
        {
            Assert.AreEqual(expected[row]!.Width, r.Image!.Width);
            CollectionAssert.AreEqual(expected[row]!.Pixels, r.Image.Pixels.ToArray());
            row++;
        }
        Assert.AreEqual(Fixtures.Length, row);
    }

    [TestMethod]
    public void InactiveImageColumnDecodesNothing()
    {
        var ml = new MLContext(seed: 1);
        IDataView input = BytesView(ml, [[1, 2, 3]]);
        IDataView view = ml.Transforms.DecodeImages("Image", "Bytes").Fit(input).Transform(input);
        using DataViewRowCursor cursor = view.GetRowCursor([view.Schema["Bytes"]]);
        Assert.IsFalse(cursor.IsColumnActive(view.Schema["Image"]));
        Assert.IsTrue(cursor.MoveNext(), "undecodable bytes are never decoded when the image is not read");
        Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<MLImage>(view.Schema["Image"]));
    }

    /// <summary>A view whose cursor set of n splits rows by position modulo n, as a parallel loader does.</summary>
    private sealed class StridedDataView(IDataView input) : IDataView
    {
        public DataViewSchema Schema => input.Schema;

        public bool CanShuffle => false;

        public long? GetRowCount() => input.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            input.GetRowCursor(columnsNeeded, rand);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [.. Enumerable.Range(0, n).Select(k => new Strided(input.GetRowCursor(columnsNeeded), k, n))];

        private sealed class Strided(DataViewRowCursor inner, int offset, int stride) : DataViewRowCursor
        {
            public override DataViewSchema Schema => inner.Schema;

            public override long Position => inner.Position;

            public override long Batch => offset;

            public override bool MoveNext()
            {
                while (inner.MoveNext())
                {
                    if (inner.Position % stride == offset)
                        return true;
                }
                return false;
            }

            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

            public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                    inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
