namespace Microsoft.ML.Pcr.IO;

/// <summary>
/// Where the bytes of a PCR dataset go: a directory on local disk (<see cref="DirectoryByteSink"/>) or a container of
/// object storage (<c>AzureBlobByteSink</c> in Microsoft.ML.Pcr.Azure). The counterpart of <see cref="IPcrByteSource"/>.
/// A file is written in two steps: <see cref="Create"/> returns a stream whose bytes stay invisible under the file's name,
/// and <see cref="Commit"/> makes them visible at once, replacing a file of that name. The writers commit the records
/// first and the index last, so a dataset that was only partly written never looks complete.
/// </summary>
public interface IPcrByteSink
{
    /// <summary>Gets a name for the whole sink, for messages (for example the directory path or the container's address).</summary>
    string Location { get; }

    /// <summary>Returns the full name of <paramref name="fileName"/> inside the sink, for messages.</summary>
    /// <param name="fileName">A file name without folder, as the index gives it.</param>
    string Describe(string fileName);

    /// <summary>
    /// Starts writing <paramref name="fileName"/>: the returned stream's bytes become the file's content when
    /// <see cref="Commit"/> is called after the stream was disposed; until then readers see the file as it was (or absent).
    /// Several files may be written at once, from several threads.
    /// </summary>
    /// <param name="fileName">A file name without folder.</param>
    /// <returns>A writable stream; dispose it before committing.</returns>
    Stream Create(string fileName);

    /// <summary>Makes what was written to <paramref name="fileName"/> visible under its name, replacing a file of that name in one step.</summary>
    /// <param name="fileName">A file that <see cref="Create"/> wrote and whose stream was disposed.</param>
    /// <exception cref="InvalidOperationException">Nothing was written to <paramref name="fileName"/>.</exception>
    void Commit(string fileName);

    /// <summary>Deletes the committed file <paramref name="fileName"/>; does nothing when there is none.</summary>
    /// <param name="fileName">A file name without folder.</param>
    void Delete(string fileName);

    /// <summary>Lists the names of the files in the sink (not in folders below it), in ordinal order.</summary>
    IReadOnlyList<string> List();

    /// <summary>
    /// Takes the writer lock named <paramref name="lockName"/>, so that two writers never write the same dataset at once; the lock of a
    /// writer that was killed is taken over (see the implementation for when).
    /// </summary>
    /// <param name="lockName">The lock's file name, for example <c>.pcr-writer.lock</c>.</param>
    /// <returns>The lock; dispose it to release it.</returns>
    /// <exception cref="IOException">Another writer holds the lock; the message names the sink and the writer.</exception>
    IDisposable AcquireLock(string lockName);

    /// <summary>Returns a byte source over the committed files of this sink (to open the dataset written, or the slices to merge).</summary>
    IPcrByteSource OpenSource();
}
