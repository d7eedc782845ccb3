using System.Buffers;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.ML.Pcr.Format;
using Microsoft.ML.Pcr.IO;
using Microsoft.ML.Pcr.Jpeg;

namespace Microsoft.ML.Pcr.Conversion;

/// <summary>
/// Converts an ImageFolder (one sub-folder per class) into a PCR dataset, in process and in parallel:
/// JPEGs are transcoded losslessly to progressive JPEG (byte-identical to jpegtran), other image formats are
/// encoded as JPEG at a stated quality first. The inputs are never modified. Unreadable, truncated, empty or
/// non-image files are skipped and listed in the result and in a report beside the dataset. Memory stays
/// bounded whatever the dataset size: at most two records' images are held at once.
/// </summary>
public static class ImageFolderConverter
{
    /// <summary>The name of the report written into the output directory.</summary>
    public const string ReportFileName = ConversionReport.FileName;

    /// <summary>Converts the ImageFolder <paramref name="imageFolder"/> into a PCR dataset in <paramref name="outputDirectory"/>.</summary>
    /// <param name="imageFolder">A folder with one sub-folder per class; nested folders belong to their class.</param>
    /// <param name="outputDirectory">Where the PCR dataset is written; must be empty or absent unless <see cref="ImageFolderConversionOptions.Overwrite"/> is set.</param>
    /// <param name="options">Conversion options; null for defaults.</param>
    /// <param name="cancellationToken">Cancels the conversion; a cancelled conversion leaves no dataset that looks complete.</param>
    /// <returns>What was converted and skipped.</returns>
    /// <exception cref="DirectoryNotFoundException">The image folder does not exist.</exception>
    /// <exception cref="IOException">
    /// Another conversion is writing into the output directory; or the directory is not empty (it holds a dataset, other files, or the
    /// temporary files of an interrupted conversion) and <see cref="ImageFolderConversionOptions.Overwrite"/> is not set.
    /// </exception>
    /// <exception cref="PcrFormatException">An input is unreadable and <see cref="ImageFolderConversionOptions.FailOnFirstError"/> is set.</exception>
    /// <exception cref="InvalidDataException">No input could be converted (the message names the first skipped file and why).</exception>
    public static PcrConversionResult Convert(string imageFolder, string outputDirectory, ImageFolderConversionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ImageFolderListing listing = ImageFolderListing.Read(imageFolder);
        return Run(listing, new DirectoryByteSink(OutputPath(outputDirectory)), Checked(options), cancellationToken);
    }

    /// <summary>
    /// Converts the ImageFolder <paramref name="imageFolder"/> into a PCR dataset written into <paramref name="sink"/>: a directory
    /// (<see cref="DirectoryByteSink"/>) or a container of object storage (<c>AzureBlobByteSink</c> in Microsoft.ML.Pcr.Azure). Records
    /// are committed first and the index last, so a conversion that fails or is cancelled leaves nothing that opens as a dataset.
    /// </summary>
    /// <param name="imageFolder">A folder with one sub-folder per class; nested folders belong to their class.</param>
    /// <param name="sink">Where the PCR dataset is written; must be empty unless <see cref="ImageFolderConversionOptions.Overwrite"/> is set.</param>
    /// <param name="options">Conversion options; null for defaults. With <see cref="ImageFolderConversionOptions.WorkerCount"/> set, one slice is converted.</param>
    /// <param name="cancellationToken">Cancels the conversion; a cancelled conversion leaves no dataset that looks complete.</param>
    /// <returns>What was converted and skipped.</returns>
    /// <exception cref="DirectoryNotFoundException">The image folder does not exist.</exception>
    /// <exception cref="IOException">Another conversion is writing into the sink; or the sink is not empty and <see cref="ImageFolderConversionOptions.Overwrite"/> is not set.</exception>
    /// <exception cref="InvalidDataException">No input could be converted.</exception>
    public static PcrConversionResult Convert(string imageFolder, IPcrByteSink sink, ImageFolderConversionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ImageFolderListing listing = ImageFolderListing.Read(imageFolder);
        return Run(listing, sink, Checked(options), cancellationToken);
    }

    /// <summary>
    /// Writes the one index over the slices that the workers of a sliced conversion (<see cref="ImageFolderConversionOptions.WorkerCount"/>)
    /// wrote into <paramref name="outputDirectory"/>. The dataset then reads like a single conversion with the same seed: the same images,
    /// labels, class names and row order, and the same fingerprint (<see cref="IsUpToDate"/> holds); record boundaries differ only after
    /// skipped inputs (a whole conversion fills every record, a slice's record holds its batch less the skipped inputs).
    /// </summary>
    /// <param name="outputDirectory">The directory the workers wrote into.</param>
    /// <returns>The index written.</returns>
    /// <exception cref="InvalidDataException">A slice is missing, or the slices come from different inputs, options or worker counts (the message names them).</exception>
    public static PcrIndex Merge(string outputDirectory) => Merge(new DirectoryByteSink(outputDirectory));

    /// <summary>Writes the one index over the slices of a sliced conversion in <paramref name="sink"/>; see <see cref="Merge(string)"/>.</summary>
    /// <param name="sink">The directory or container the workers wrote into.</param>
    /// <returns>The index written.</returns>
    /// <exception cref="InvalidDataException">A slice is missing, or the slices come from different inputs, options or worker counts (the message names them).</exception>
    public static PcrIndex Merge(IPcrByteSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        using IDisposable writerLock = sink.AcquireLock(PcrWriterLock.FileName);
        return SliceMerger.Merge(sink);
    }

    /// <summary>
    /// Returns whether <paramref name="outputDirectory"/> holds a complete conversion of <paramref name="imageFolder"/>
    /// made with the same options from the same files (same paths, sizes and modification times). The answer comes from the
    /// fingerprint committed inside the dataset's index, never from the report beside it, so it cannot describe another dataset.
    /// </summary>
    /// <param name="imageFolder">The ImageFolder.</param>
    /// <param name="outputDirectory">The PCR directory.</param>
    /// <param name="options">The options the conversion would use; null for defaults.</param>
    public static bool IsUpToDate(string imageFolder, string outputDirectory, ImageFolderConversionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        ImageFolderListing listing = ImageFolderListing.Read(imageFolder);
        return TryOpenConversion(outputDirectory, ConversionReport.Fingerprint(listing, Checked(options))) is not null;
    }

    /// <summary>Opens the dataset in <paramref name="outputDirectory"/> when it is complete and its index holds <paramref name="fingerprint"/>; otherwise null.</summary>
    internal static PcrDataset? TryOpenConversion(string outputDirectory, string fingerprint)
    {
        if (StoredFingerprint(outputDirectory) != fingerprint) return null;
        try
        {
            return PcrDataset.Open(outputDirectory); // checks that every record is there and as long as the index says
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The conversion fingerprint in the index of <paramref name="outputDirectory"/>; null when there is no readable index of this project's converter.</summary>
    internal static string? StoredFingerprint(string outputDirectory) => ReadIndex(outputDirectory)?.ConversionFingerprint;

    /// <summary>
    /// Whether <paramref name="outputDirectory"/> holds a conversion by this converter: its index carries a fingerprint, or (datasets of
    /// format version 1, before the fingerprint moved into the index) a report lies beside an index of this project.
    /// </summary>
    internal static bool HoldsConversion(string outputDirectory) =>
        ReadIndex(outputDirectory) is { } index
        && (index.ConversionFingerprint is not null || index.Writer is not null && File.Exists(Path.Combine(outputDirectory, ConversionReport.FileName)));

    private static PcrIndex? ReadIndex(string outputDirectory)
    {
        string path = Path.Combine(outputDirectory, PcrIndex.FileName);
        try
        {
            return File.Exists(path) ? PcrIndex.Parse(File.ReadAllBytes(path), path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // a damaged or unreadable index is not an up-to-date conversion
        }
    }

    internal static ImageFolderConversionOptions Checked(ImageFolderConversionOptions? options)
    {
        ImageFolderConversionOptions effective = (options ?? new ImageFolderConversionOptions()).Clone();
        effective.Validate();
        return effective;
    }

    private static string OutputPath(string outputDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        return outputDirectory;
    }

    internal static PcrConversionResult Run(ImageFolderListing listing, string outputDirectory, ImageFolderConversionOptions options, CancellationToken cancellationToken) =>
        Run(listing, new DirectoryByteSink(OutputPath(outputDirectory)), options, cancellationToken);

    internal static PcrConversionResult Run(ImageFolderListing listing, IPcrByteSink sink, ImageFolderConversionOptions options, CancellationToken cancellationToken)
    {
        if (sink is DirectoryByteSink directory) CheckNotInside(listing.Root, directory.Directory);
        string output = sink.Location;
        bool sliced = options.WorkerCount > 0;
        int worker = options.WorkerIndex, workers = Math.Max(options.WorkerCount, 1);
        string fingerprint = ConversionReport.Fingerprint(listing, options);
        var writerOptions = new PcrWriterOptions { Overwrite = options.Overwrite, StoreRelativePaths = options.StoreRelativePaths, ConversionFingerprint = fingerprint };
        // Taken before anything is looked at or removed: a second conversion into the same place is refused here, before it touches anything.
        // The workers of a sliced conversion write beside each other, each under a lock of its own slice.
        IDisposable writerLock = sink.AcquireLock(sliced ? SliceManifest.LockName(worker, workers) : PcrWriterLock.FileName);
        PcrWriter writer;
        try
        {
            if (sliced) CheckSliceOutput(sink, options.Overwrite, worker, workers);
            else CheckOutput(sink, options.Overwrite, writerLock as PcrWriterLock);
            if (options.Overwrite && !sliced) TryDelete(sink, ConversionReport.PartialFileName);
            writer = new PcrWriter(sink, listing.ClassNames, writerOptions, writerLock, sliced); // owns the lock from here
        }
        catch
        {
            writerLock.Dispose();
            throw;
        }

        var stopwatch = Stopwatch.StartNew();
        SourceImage[] order = [.. listing.Images];
        if (options.Shuffle) new Random(options.Seed).Shuffle(order);
        int imagesPerRecord = options.GetImagesPerRecord(order.Length);

        var state = new RunState(order.Length, options.Progress);
        foreach (SkippedFile stray in listing.StrayFiles) state.Skipped.Add(stray);
        var encoder = new SourceImageEncoder(new JpegTranscoder(options.MaxPixels), options.Quality);
        // About three records' images are alive at once (one being written, one queued, one being encoded), in arena
        // chunks from a pool of this run's own that is deep enough to reuse them record after record.
        ArrayPool<byte> chunks = ArrayPool<byte>.Create(maxArrayLength: 256 << 20, maxArraysPerBucket: 256);
        using var scratch = new ThreadLocal<PooledBufferWriter>(() => new PooledBufferWriter(), trackAllValues: true);

        PcrConversionResult result;
        PcrIndex index;
        string reportName = sliced ? ConversionReport.SliceFileName(worker, workers) : ConversionReport.FileName;
        using (writer)
        {
            // Converted images queue up and leave in records of exactly ImagesPerRecord (skips do not shrink records).
            // One record is written while the next batch is encoded.
            var queue = new List<Slot>(imagesPerRecord * 2);
            Task pendingWrite = Task.CompletedTask;
            Slot[]? writing = null;
            int record = 0;
            void StartWrite(int count, int number)
            {
                pendingWrite.GetAwaiter().GetResult();
                Release(writing);
                writing = [.. queue.GetRange(0, count)];
                queue.RemoveRange(0, count);
                PcrImageEntry[] entries = [.. writing.Select(s => s.Entry)];
                record++;
                pendingWrite = Task.Run(() => writer.WriteRecord(number, entries), cancellationToken);
            }
            try
            {
                // A slice converts batch b (images [b * B, (b + 1) * B) of the shuffled order) when b mod n is its worker index, into
                // record b, which holds the batch less its skipped inputs: a slice cannot know what the other slices skipped.
                int batch = 0;
                for (int start = 0; start < order.Length; start += imagesPerRecord, batch++)
                {
                    if (sliced && batch % workers != worker) continue;
                    int count = Math.Min(imagesPerRecord, order.Length - start);
                    queue.AddRange(EncodeBatch(order.AsMemory(start, count), encoder, new ImageArena(chunks), scratch, options, state, cancellationToken));
                    if (sliced && queue.Count > 0) StartWrite(queue.Count, batch);
                    while (!sliced && queue.Count >= imagesPerRecord) StartWrite(imagesPerRecord, record);
                }
                if (queue.Count > 0) StartWrite(queue.Count, record);
                pendingWrite.GetAwaiter().GetResult();
                cancellationToken.ThrowIfCancellationRequested();
                if (record == 0 && !sliced)
                {
                    SkippedFile? first = state.Skipped.MinBy(f => f.RelativePath, StringComparer.Ordinal);
                    throw new InvalidDataException(first is null
                        ? $"'{(listing.Root.Length > 0 ? listing.Root : "the data view")}' holds no image to convert."
                        : $"None of the inputs could be converted: {state.Skipped.Count} skipped, the first being {first.RelativePath}: {first.Reason}");
                }
                // The previous conversion's report goes before the new dataset is committed, so that no report describes another dataset.
                if (sliced)
                {
                    index = writer.CompleteSlice(SliceManifest.FileName(worker, workers));
                }
                else
                {
                    ConversionReport.Delete(sink);
                    index = writer.Complete();
                }
                result = Summarize(index, sink, reportName, listing, options.Quality, state, stopwatch.Elapsed, reportError: null);
            }
            finally
            {
                try { pendingWrite.Wait(CancellationToken.None); } catch (Exception) when (pendingWrite.IsFaulted || pendingWrite.IsCanceled) { }
                Release(writing);
                Release([.. queue]);
                foreach (PooledBufferWriter buffer in scratch.Values) buffer.Dispose();
            }

            // The dataset is complete and identifies itself; the report is for people, and failing to write it does not undo the dataset.
            try
            {
                ConversionReport.Write(result, listing, options, fingerprint, sink, reportName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                TryDelete(sink, reportName + DirectoryByteSink.PartialSuffix);
                result = Summarize(index, sink, reportName, listing, options.Quality, state, result.Elapsed, e.Message);
            }
        }
        return result;
    }

    private static PcrConversionResult Summarize(PcrIndex index, IPcrByteSink sink, string reportName, ImageFolderListing listing, int quality, RunState state, TimeSpan elapsed, string? reportError) =>
        new()
        {
            OutputDirectory = sink.Location,
            ClassNames = listing.ClassNames,
            ImageCount = index.Records.Sum(r => r.ImageCount),
            RecordCount = index.Records.Count,
            BytesIn = state.ConvertedBytesIn,
            BytesOut = state.BytesOut,
            ReencodedCount = state.Reencoded,
            Quality = quality,
            Skipped = [.. state.Skipped.OrderBy(s => s.RelativePath, StringComparer.Ordinal)],
            Ignored = listing.Ignored,
            EmptyClasses = listing.EmptyClasses,
            Elapsed = elapsed,
            ReportPath = sink.Describe(reportName),
            ReportError = reportError,
        };

    /// <summary>Refuses a non-empty output unless <paramref name="overwrite"/>, saying when what is there is the leftover of an interrupted conversion.</summary>
    private static void CheckOutput(IPcrByteSink sink, bool overwrite, PcrWriterLock? directoryLock)
    {
        if (overwrite) return;
        string[] files = [.. sink.List().Where(f => !f.StartsWith(".pcr-writer", StringComparison.Ordinal))];
        if (files.Length == 0) return;
        string[] temporary = [.. PcrWriter.FindTemporaryFiles(files), .. files.Where(f => f == ConversionReport.PartialFileName)];
        if (temporary.Length > 0)
        {
            string who = directoryLock?.InterruptedWriter is { } w ? $" ({w})" : "";
            throw new IOException(
                $"An earlier conversion into '{sink.Location}' was interrupted{who}: it left {PcrWriter.DescribeFiles(temporary)}; set ImageFolderConversionOptions.Overwrite to remove them and convert again.");
        }
        throw new IOException(sink is DirectoryByteSink
            ? $"The output directory '{sink.Location}' is not empty; set ImageFolderConversionOptions.Overwrite to replace a dataset in it."
            : $"The output location '{sink.Location}' is not empty; set ImageFolderConversionOptions.Overwrite to replace a dataset in it.");
    }

    /// <summary>
    /// A slice is written beside the other workers' slices, so only a complete dataset (its index) and this slice's own manifest count as
    /// something already there; with <paramref name="overwrite"/> both go first, so that nothing looks complete while slices are replaced.
    /// </summary>
    private static void CheckSliceOutput(IPcrByteSink sink, bool overwrite, int worker, int workers)
    {
        string manifest = SliceManifest.FileName(worker, workers);
        IReadOnlyList<string> files = sink.List();
        if (overwrite)
        {
            sink.Delete(PcrIndex.FileName);
            sink.Delete(manifest);
            return;
        }
        if (files.Contains(PcrIndex.FileName, StringComparer.Ordinal))
            throw new IOException($"'{sink.Location}' already holds a PCR dataset; set ImageFolderConversionOptions.Overwrite to replace it slice by slice.");
        if (files.Contains(manifest, StringComparer.Ordinal))
            throw new IOException($"'{sink.Location}' already holds slice {worker} of {workers} ({manifest}); set ImageFolderConversionOptions.Overwrite to convert it again.");
    }

    private static void CheckNotInside(string root, string output)
    {
        if (root.Length == 0) return; // images listed by a data view: no single root
        // Compared with symbolic links resolved, so that a link to the input folder does not hide the nesting.
        string realRoot = ResolveLinks(root), realOutput = ResolveLinks(output);
        string rootWithSeparator = Path.TrimEndingDirectorySeparator(realRoot) + Path.DirectorySeparatorChar;
        if (string.Equals(realOutput, realRoot, StringComparison.Ordinal) || realOutput.StartsWith(rootWithSeparator, StringComparison.Ordinal))
            throw new ArgumentException($"The output directory '{output}' is inside the image folder '{root}'; choose a directory outside it.", "outputDirectory");
    }

    private static void TryDelete(IPcrByteSink sink, string fileName)
    {
        try { sink.Delete(fileName); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Resolves the symbolic links in every existing component of <paramref name="path"/> (the parts that do not exist yet are kept as they are).</summary>
    private static string ResolveLinks(string path)
    {
        string full = Path.GetFullPath(path);
        string current = Path.GetPathRoot(full)!;
        foreach (string part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            var info = new DirectoryInfo(next);
            current = info.Exists && info.LinkTarget is not null ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? next : next;
        }
        return current;
    }

    /// <summary>One converted input: its entry, whose bytes live in <see cref="Arena"/>.</summary>
    private readonly record struct Slot(PcrImageEntry Entry, ImageArena Arena);

    /// <summary>Encodes a batch in parallel; returns the converted inputs in batch order (skipped ones left out).</summary>
    private static Slot[] EncodeBatch(ReadOnlyMemory<SourceImage> batch, SourceImageEncoder encoder, ImageArena arena, ThreadLocal<PooledBufferWriter> scratch,
        ImageFolderConversionOptions options, RunState state, CancellationToken cancellationToken)
    {
        var entries = new PcrImageEntry?[batch.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = cancellationToken };
        try
        {
            Parallel.For(0, batch.Length, parallel, i => entries[i] = EncodeOne(batch.Span[i], encoder, arena, scratch.Value!, options.FailOnFirstError, state));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            ReleaseAll(entries, arena);
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw(); // the caller sees the input's own error
        }
        catch
        {
            ReleaseAll(entries, arena);
            throw;
        }
        arena.Seal();
        return [.. entries.Where(e => e is not null).Select(e => new Slot(e!.Value, arena))];
    }

    private static void ReleaseAll(PcrImageEntry?[] entries, ImageArena arena)
    {
        foreach (PcrImageEntry? entry in entries)
            if (entry is not null) arena.Release();
        arena.Seal();
    }

    /// <summary>Transcodes one input in the thread's scratch buffer and keeps the result in the batch's arena; null when skipped.</summary>
    private static PcrImageEntry? EncodeOne(SourceImage source, SourceImageEncoder encoder, ImageArena arena, PooledBufferWriter scratch, bool failOnFirstError, RunState state)
    {
        byte[]? input = null;
        try
        {
            int length = ReadInput(source, out input, out string? readError);
            SourceImageEncoder.Outcome outcome = readError is null
                ? encoder.Encode(input.AsSpan(0, length), source.RelativePath, scratch)
                : new SourceImageEncoder.Outcome(default, false, readError);
            if (outcome.SkipReason is not null)
            {
                if (failOnFirstError) throw new PcrFormatException(outcome.SkipReason, source.FullPath);
                state.Skip(new SkippedFile(source.RelativePath, outcome.SkipReason), length);
                return null;
            }
            ReadOnlyMemory<byte> stored = arena.Append(scratch.WrittenSpan);
            state.Convert(length, stored.Length, outcome.Reencoded);
            return new PcrImageEntry(stored, outcome.ScanEnds, source.Label, source.RelativePath);
        }
        finally
        {
            if (input is not null) ArrayPool<byte>.Shared.Return(input);
        }
    }

    private static int ReadInput(SourceImage source, out byte[]? buffer, out string? error)
    {
        buffer = null;
        error = null;
        try
        {
            // Checked before opening: a named pipe or device reports 0 bytes, and opening one would block.
            var info = new FileInfo(source.FullPath);
            if (!info.Exists)
            {
                error = "unreadable: the file no longer exists";
                return 0;
            }
            if (info.Length == 0)
            {
                error = "empty file (0 bytes), or not a regular file";
                return 0;
            }
            using var handle = File.OpenHandle(source.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read);
            long length = RandomAccess.GetLength(handle);
            if (length > Array.MaxLength)
            {
                error = $"file of {length} bytes is too large";
                return 0;
            }
            buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
            int total = 0;
            while (total < length)
            {
                int n = RandomAccess.Read(handle, buffer.AsSpan(total, (int)length - total), total);
                if (n == 0) break;
                total += n;
            }
            return total;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"unreadable: {e.Message}";
            return 0;
        }
    }

    private static void Release(Slot[]? slots)
    {
        if (slots is null) return;
        foreach (Slot slot in slots) slot.Arena.Release();
    }

    /// <summary>Counters shared by the encoding threads; progress is reported after every input (cheap next to encoding one).</summary>
    private sealed class RunState(int total, IProgress<PcrConversionProgress>? progress)
    {
        private int _done;
        private long _bytesIn;
        private long _convertedBytesIn;
        private long _bytesOut;
        private int _reencoded;
        private readonly Lock _skippedLock = new();

        public List<SkippedFile> Skipped { get; } = [];

        public long ConvertedBytesIn => Interlocked.Read(ref _convertedBytesIn);

        public long BytesOut => Interlocked.Read(ref _bytesOut);

        public int Reencoded => Volatile.Read(ref _reencoded);

        public void Convert(long bytesIn, long bytesOut, bool reencoded)
        {
            Interlocked.Add(ref _bytesIn, bytesIn);
            Interlocked.Add(ref _convertedBytesIn, bytesIn);
            Interlocked.Add(ref _bytesOut, bytesOut);
            if (reencoded) Interlocked.Increment(ref _reencoded);
            Interlocked.Increment(ref _done);
            Report();
        }

        public void Skip(SkippedFile file, long bytesIn)
        {
            lock (_skippedLock) Skipped.Add(file);
            Interlocked.Add(ref _bytesIn, bytesIn);
            Interlocked.Increment(ref _done);
            Report();
        }

        public void Report()
        {
            if (progress is null) return;
            int skipped;
            lock (_skippedLock) skipped = Skipped.Count;
            progress.Report(new PcrConversionProgress(Volatile.Read(ref _done), total, Interlocked.Read(ref _bytesIn), BytesOut, skipped));
        }
    }
}
