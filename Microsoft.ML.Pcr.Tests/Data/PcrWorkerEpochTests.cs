using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Pcr.Data;
using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Tests.Data;

/// <summary>Many training processes: shares of a global (seed, epoch) order, equal rows per worker, environment variables, mid-epoch resume.</summary>
[TestClass]
public sealed class PcrWorkerEpochTests
{
    private const int Images = 30;
    private static TestFiles.TempDirectory s_dir = null!;
    private static TestFiles.TempDirectory s_other = null!;

    [ClassInitialize]
    public static void WriteDatasets(TestContext _)
    {
        // 30 images in records of 4: 7 records of 4 and one of 2, so shares differ in size and padding shows.
        s_dir = TestFiles.NewTempDirectory();
        s_other = TestFiles.NewTempDirectory();
        Write(s_dir.Path, Images);
        Write(s_other.Path, Images + 1);
    }

    private static void Write(string directory, int count)
    {
        byte[] jpeg = File.ReadAllBytes(TestFiles.Golden("gray.jpg"));
        using var writer = new PcrWriter(directory, ["ant", "bee", "cat"], new PcrWriterOptions { ImagesPerRecord = 4 });
        for (int i = 0; i < count; i++) writer.Add(new PcrImageEntry(jpeg, default, i % 3, $"{i % 3}/{i:D2}.jpg"));
        writer.Complete();
    }

    [ClassCleanup]
    public static void DeleteDatasets()
    {
        s_dir.Dispose();
        s_other.Dispose();
    }

    private static PcrDataView Load(int worker = 0, int workers = 1, bool shuffle = true, int seed = 11) =>
        new MLContext(seed: 1).Data.LoadFromPcr(s_dir.Path, scan: 1,
            options: new() { WorkerIndex = worker, WorkerCount = workers, Shuffle = shuffle, Seed = seed });

    /// <summary>The image numbers a cursor yields (from the ImagePath column: "label/NN.jpg"); disposes the cursor.</summary>
    private static List<int> Read(DataViewRowCursor cursor)
    {
        var rows = new List<int>();
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(cursor.Schema["ImagePath"]);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            rows.Add(int.Parse(value.Span.Slice(2, 2)));
        }
        cursor.Dispose();
        return rows;
    }

    private static List<int> Read(PcrDataView view) => Read(view.GetRowCursor([view.Schema["ImagePath"]]));

    private static int ShareRows(PcrDataView view) => view.RecordIndices.Sum(r => view.Dataset.Records[r].ImageCount);

    [TestMethod]
    [DataRow(1, 30)]
    [DataRow(2, 16)]
    [DataRow(3, 12)]
    [DataRow(5, 8)]
    public void WorkersCoverEveryImageOncePerEpochWithEqualRows(int workers, int rowsPerWorker)
    {
        foreach ((bool shuffle, int epoch) in new[] { (false, 0), (true, 0), (true, 4) })
        {
            var seen = new List<int>();
            for (int w = 0; w < workers; w++)
            {
                PcrDataView view = Load(w, workers, shuffle).ForEpoch(epoch);
                List<int> rows = Read(view);
                string at = $"worker {w} of {workers}, shuffle {shuffle}, epoch {epoch}";
                Assert.AreEqual(rowsPerWorker, rows.Count, at);
                Assert.AreEqual(rowsPerWorker, view.GetRowCount(), at);
                int share = ShareRows(view);
                Assert.AreEqual(share, rows.Take(share).Distinct().Count(), $"{at}: the share has no repeats");
                // Padding: the worker's own first rows again, in the same order.
                for (int k = share; k < rows.Count; k++) Assert.AreEqual(rows[k - share], rows[k], $"{at}: padding row {k}");
                seen.AddRange(rows.Take(share));
            }
            CollectionAssert.AreEquivalent(Enumerable.Range(0, Images).ToList(), seen, $"{workers} workers, shuffle {shuffle}, epoch {epoch}");
        }
    }

    [TestMethod]
    public void TheGlobalOrderDoesNotDependOnTheWorkerCount()
    {
        foreach (int epoch in new[] { 0, 1, 7 })
        {
            PcrDataView single = Load().ForEpoch(epoch);
            List<int> expected = Read(single);
            foreach (int workers in new[] { 2, 3, 5 })
            {
                // Worker w's share is order positions w, w + N, ...: deal its records back into place and compare with one worker's order.
                var recordOrder = new int[single.RecordIndices.Count];
                var rowsOfPosition = new List<int>[recordOrder.Length];
                for (int w = 0; w < workers; w++)
                {
                    PcrDataView view = Load(w, workers).ForEpoch(epoch);
                    List<int> rows = Read(view);
                    int taken = 0;
                    for (int i = 0; i < view.RecordIndices.Count; i++)
                    {
                        int record = view.RecordIndices[i], count = view.Dataset.Records[record].ImageCount;
                        recordOrder[w + i * workers] = record;
                        rowsOfPosition[w + i * workers] = rows.GetRange(taken, count);
                        taken += count;
                    }
                }
                CollectionAssert.AreEqual(single.RecordIndices.ToList(), recordOrder, $"record order, {workers} workers, epoch {epoch}");
                CollectionAssert.AreEqual(expected, rowsOfPosition.SelectMany(r => r).ToList(), $"row order, {workers} workers, epoch {epoch}");
            }
        }
    }

    [TestMethod]
    public void EpochsGiveDifferentOrdersAndTheSameEpochTheSameOrder()
    {
        PcrDataView view = Load();
        List<int> e0 = Read(view), e1 = Read(view.ForEpoch(1)), e2 = Read(view.ForEpoch(2));
        CollectionAssert.AreNotEqual(e0, e1);
        CollectionAssert.AreNotEqual(e1, e2);
        CollectionAssert.AreEquivalent(e0, e1);
        CollectionAssert.AreEqual(e1, Read(Load().ForEpoch(1)), "a fresh view at the same epoch");
        CollectionAssert.AreEqual(e0, Read(view.ForEpoch(1).ForEpoch(0)));
        Assert.AreEqual(1, view.ForEpoch(1).WithScan(2).Epoch, "WithScan keeps the epoch");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => view.ForEpoch(-1));

        // Unshuffled views read the records' own order in every epoch.
        PcrDataView inOrder = Load(shuffle: false);
        CollectionAssert.AreEqual(Enumerable.Range(0, Images).ToList(), Read(inOrder.ForEpoch(3)));

        // ML.NET's Random still shuffles, the same way for the same Random, and differently per epoch.
        var cols = new[] { view.Schema["ImagePath"] };
        List<int> r0 = Read(inOrder.GetRowCursor(cols, new Random(42)));
        CollectionAssert.AreEqual(r0, Read(inOrder.GetRowCursor(cols, new Random(42))));
        CollectionAssert.AreNotEqual(Enumerable.Range(0, Images).ToList(), r0);
        CollectionAssert.AreNotEqual(r0, Read(inOrder.ForEpoch(1).GetRowCursor(cols, new Random(42))));
        CollectionAssert.AreEquivalent(Enumerable.Range(0, Images).ToList(), r0);
    }

    [TestMethod]
    public void ASeedAndEpochGiveTheSameOrderInEveryProcess()
    {
        // Fixed arithmetic on (seed, epoch, record), no per-process hash randomisation: pinned so that a change shows.
        CollectionAssert.AreEqual(ExpectedEpoch0, Read(Load(seed: 42)).Take(12).ToArray());
        CollectionAssert.AreEqual(ExpectedEpoch5, Read(Load(seed: 42).ForEpoch(5)).Take(12).ToArray());
        CollectionAssert.AreEqual(ExpectedEpoch5Worker1Of3, Read(Load(1, 3, seed: 42).ForEpoch(5)).Take(8).ToArray());
    }

    private static readonly int[] ExpectedEpoch0 = [28, 29, 10, 8, 9, 11, 21, 20, 22, 23, 13, 15];
    private static readonly int[] ExpectedEpoch5 = [19, 16, 18, 17, 9, 10, 11, 8, 29, 28, 1, 0];
    private static readonly int[] ExpectedEpoch5Worker1Of3 = [9, 10, 11, 8, 14, 15, 13, 12];

    [TestMethod]
    [DoNotParallelize] // sets process-wide environment variables
    public void WorkersComeFromRankAndWorldSizeWhenTheOptionsLeaveThemUnset()
    {
        string?[] saved = [.. new[] { "RANK", "WORLD_SIZE", "LOCAL_RANK" }.Select(Environment.GetEnvironmentVariable)];
        var ml = new MLContext(seed: 1);
        try
        {
            Environment.SetEnvironmentVariable("RANK", "2");
            Environment.SetEnvironmentVariable("WORLD_SIZE", "3");
            Environment.SetEnvironmentVariable("LOCAL_RANK", "1"); // a place on the machine: not read
            PcrDataView fromEnv = ml.Data.LoadFromPcr(s_dir.Path);
            Assert.AreEqual(2, fromEnv.WorkerIndex);
            Assert.AreEqual(3, fromEnv.WorkerCount);
            CollectionAssert.AreEqual(new[] { 2, 5 }, fromEnv.RecordIndices.ToArray());
            Assert.AreEqual(2, ml.Data.CreatePcrLoader(s_dir.Path).Load(s_dir.Path) is PcrDataView v ? v.WorkerIndex : -1, "the loader too");

            // Options win over the environment.
            PcrDataView fromOptions = ml.Data.LoadFromPcr(s_dir.Path, options: new() { WorkerIndex = 0, WorkerCount = 1 });
            Assert.AreEqual(1, fromOptions.WorkerCount);
            Assert.AreEqual(Images, fromOptions.GetRowCount());

            // Bad values are refused, naming the variable.
            foreach ((string variable, string value) in new[] { ("RANK", "two"), ("RANK", "-1"), ("WORLD_SIZE", "0"), ("WORLD_SIZE", "3.0") })
            {
                Environment.SetEnvironmentVariable("RANK", "0");
                Environment.SetEnvironmentVariable("WORLD_SIZE", "3");
                Environment.SetEnvironmentVariable(variable, value);
                var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Data.LoadFromPcr(s_dir.Path), $"{variable}={value}");
                StringAssert.Contains(e.Message, $"The environment variable {variable} is '{value}'");
            }
            Environment.SetEnvironmentVariable("RANK", "3");
            Environment.SetEnvironmentVariable("WORLD_SIZE", "3");
            var range = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Data.LoadFromPcr(s_dir.Path));
            StringAssert.Contains(range.Message, "worker index 3 (from the environment variable RANK");
            Environment.SetEnvironmentVariable("WORLD_SIZE", null);
            range = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Data.LoadFromPcr(s_dir.Path));
            StringAssert.Contains(range.Message, "neither PcrLoader.Options.WorkerCount nor WORLD_SIZE is set");

            Environment.SetEnvironmentVariable("RANK", null);
            PcrDataView unset = ml.Data.LoadFromPcr(s_dir.Path);
            Assert.AreEqual((0, 1), (unset.WorkerIndex, unset.WorkerCount));
        }
        finally
        {
            Environment.SetEnvironmentVariable("RANK", saved[0]);
            Environment.SetEnvironmentVariable("WORLD_SIZE", saved[1]);
            Environment.SetEnvironmentVariable("LOCAL_RANK", saved[2]);
        }
    }

    [TestMethod]
    [DataRow(1, 0)]
    [DataRow(3, 1)]
    [DataRow(3, 2)]
    public void AResumedEpochYieldsExactlyTheRestOfTheInterruptedOne(int workers, int worker)
    {
        PcrDataView view = Load(worker, workers).ForEpoch(3);
        List<int> full = Read(view);
        int share = ShareRows(view);
        // The start, mid-record, a record boundary, inside the padding, the last row and the end.
        foreach (int stop in new[] { 0, 1, 3, 4, 6, share, share + 1, full.Count - 1, full.Count }.Where(s => s <= full.Count).Distinct())
        {
            DataViewRowCursor cursor = view.GetRowCursor([view.Schema["ImagePath"]]);
            for (int i = 0; i < stop; i++) Assert.IsTrue(cursor.MoveNext());
            PcrCursorPosition position = view.GetPosition(cursor);
            cursor.Dispose();
            Assert.AreEqual(view.GetPosition(stop), position);
            Assert.AreEqual(stop, position.RowsConsumed);

            // Saved as text, restored on a view opened afresh (at epoch 0: the position chooses the epoch).
            PcrDataView resumed = Load(worker, workers).ResumeFrom(PcrCursorPosition.Parse(position.ToString()));
            Assert.AreEqual(3, resumed.Epoch);
            Assert.AreEqual(full.Count - stop, resumed.GetRowCount());
            CollectionAssert.AreEqual(full.Skip(stop).ToList(), Read(resumed), $"stopped after {stop} rows");

            // A resumed view interrupted again resumes to the same rest.
            if (stop + 2 <= full.Count)
            {
                DataViewRowCursor again = resumed.GetRowCursor([view.Schema["ImagePath"]]);
                again.MoveNext();
                again.MoveNext();
                PcrCursorPosition second = resumed.GetPosition(again);
                again.Dispose();
                Assert.AreEqual(stop + 2, second.RowsConsumed);
                CollectionAssert.AreEqual(full.Skip(stop + 2).ToList(), Read(view.ResumeFrom(second)));
            }
        }
        CollectionAssert.AreEqual(full, Read(Load(worker, workers).ResumeFrom(view.GetPosition(5)).ForEpoch(3)), "ForEpoch starts the epoch over");
    }

    [TestMethod]
    public void AResumedEpochReadsTheSameImagesAtItsScanGroup()
    {
        var ml = new MLContext(seed: 1);
        PcrDataView view = Load().ForEpoch(2).WithScan(3);
        Row[] full = [.. ml.Data.CreateEnumerable<Row>(view, reuseRowObject: false)];
        PcrCursorPosition position = view.GetPosition(6);
        Assert.AreEqual(3, position.Scan);
        PcrDataView resumed = Load().ResumeFrom(position);
        Assert.AreEqual(3, resumed.Scan);
        Row[] rest = [.. ml.Data.CreateEnumerable<Row>(resumed, reuseRowObject: false)];
        Assert.AreEqual(full.Length - 6, rest.Length);
        for (int i = 0; i < rest.Length; i++)
        {
            Assert.AreEqual(full[i + 6].ImagePath, rest[i].ImagePath);
            CollectionAssert.AreEqual(full[i + 6].Image, rest[i].Image);
        }
        // The partly read record is read again, once: its prefix and those of the records after it.
        long expected = 0;
        int before = 0;
        foreach (int r in view.RecordIndices)
        {
            int count = view.Dataset.Records[r].ImageCount;
            if (before + count > 6) expected += view.Dataset.Records[r].GetPrefixLength(3);
            before += count;
        }
        Assert.AreEqual(expected, resumed.BytesRead);
        Assert.AreEqual(expected, resumed.BytesPerPass);
    }

    private sealed class Row
    {
        public string ImagePath { get; set; } = "";
        public byte[] Image { get; set; } = [];
    }

    [TestMethod]
    public void TheReadmeEpochLoopResumesWhereItsLastSavedPositionSays()
    {
        using var dir = TestFiles.NewTempDirectory();
        string checkpoint = dir.Combine("position.txt");
        var uninterrupted = new List<(int Length, uint Label)>();
        ReadmeSnippets.ManyTrainingProcesses.Train(s_dir.Path, checkpoint, epochs: 3, saveEvery: 7, (image, label) => uninterrupted.Add((image.Length, label)));
        Assert.AreEqual(3 * Images, uninterrupted.Count);
        File.Delete(checkpoint);

        // The process dies at its 41st row (epoch 1, row 10); its last save was after 7 rows of epoch 1.
        var crashed = new List<(int Length, uint Label)>();
        Assert.ThrowsExactly<IOException>(() => ReadmeSnippets.ManyTrainingProcesses.Train(s_dir.Path, checkpoint, 3, 7, (image, label) =>
        {
            if (crashed.Count == 40) throw new IOException("the machine went away");
            crashed.Add((image.Length, label));
        }));
        StringAssert.Contains(File.ReadAllText(checkpoint), " epoch=1 scan=3 worker=0/1 rows=7");
        var restarted = new List<(int Length, uint Label)>();
        ReadmeSnippets.ManyTrainingProcesses.Train(s_dir.Path, checkpoint, 3, 7, (image, label) => restarted.Add((image.Length, label)));
        CollectionAssert.AreEqual(uninterrupted.Take(40).ToList(), crashed);
        CollectionAssert.AreEqual(uninterrupted.Skip(Images + 7).ToList(), restarted);
    }

    [TestMethod]
    public void APositionFromAnotherDatasetSeedOrWorkerLayoutIsRefused()
    {
        PcrDataView view = Load(1, 3).ForEpoch(2);
        PcrCursorPosition position = view.GetPosition(5);

        var other = new MLContext(seed: 1).Data.LoadFromPcr(s_other.Path, scan: 1, options: new() { WorkerIndex = 1, WorkerCount = 3, Shuffle = true, Seed = 11 });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => other.ResumeFrom(position)).Message, "another dataset");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Load(1, 3).SplitByRecords(0.4).TrainSet.ResumeFrom(position)).Message, "another side of a split");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Load(1, 3, seed: 12).ResumeFrom(position)).Message, "seed 11, but this view's is seed 12");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Load(1, 3, shuffle: false).ResumeFrom(position)).Message, "no shuffle");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Load(2, 3).ResumeFrom(position)).Message, "worker 1 of 3");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Load(1, 2).ResumeFrom(position)).Message, "this view is worker 1 of 2");
        var past = new PcrCursorPosition(position.DatasetIdentity, 11, 2, 1, 1, 3, 13);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Load(1, 3).ResumeFrom(past)).Message, "a worker's epoch has 12");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Load(1, 3).ResumeFrom(new PcrCursorPosition(position.DatasetIdentity, 11, 2, 99, 1, 3, 5)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => view.GetPosition(13));

        // Only a single cursor of this very view has a position.
        DataViewRowCursor[] set = view.GetRowCursorSet(view.Schema, 2);
        Assert.ThrowsExactly<InvalidOperationException>(() => view.GetPosition(set[0]));
        foreach (DataViewRowCursor c in set) c.Dispose();
        using DataViewRowCursor foreign = view.ForEpoch(0).GetRowCursor(view.Schema);
        Assert.ThrowsExactly<ArgumentException>(() => view.GetPosition(foreign));
    }

    [TestMethod]
    public void PositionsRoundTripAsTextAndJsonAndBadTextIsRefused()
    {
        PcrCursorPosition position = Load(1, 3).ForEpoch(2).GetPosition(5);
        StringAssert.StartsWith(position.ToString(), "pcr-position/1 dataset=");
        StringAssert.EndsWith(position.ToString(), " seed=11 epoch=2 scan=1 worker=1/3 rows=5");
        Assert.AreEqual(position, PcrCursorPosition.Parse(position.ToString()));
        Assert.AreEqual(position, JsonSerializer.Deserialize<PcrCursorPosition>(JsonSerializer.Serialize(position)));
        PcrCursorPosition unshuffled = Load(shuffle: false).GetPosition(0);
        Assert.IsNull(PcrCursorPosition.Parse(unshuffled.ToString()).Seed);

        string good = position.ToString();
        foreach ((string bad, string expected) in new[]
        {
            ("position 1", "starts with 'pcr-position/1'"),
            (good.Replace(" rows=5", ""), "no 'rows=' field"),
            (good.Replace("epoch=2", "epoch=two"), "'two', not a whole number"),
            (good.Replace("worker=1/3", "worker=1"), "not index/count"),
            (good.Replace("worker=1/3", "worker=3/3"), "out of range"),
            (good.Replace("rows=5", "rows=5 rows=6"), "repeats one"),
            (good.Replace("seed=11", "seed=99999999999"), "out of range"),
        })
        {
            var e = Assert.ThrowsExactly<FormatException>(() => PcrCursorPosition.Parse(bad), bad);
            StringAssert.Contains(e.Message, expected, bad);
        }
    }
}
