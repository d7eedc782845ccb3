namespace Microsoft.ML.Pcr.IO;

/// <summary>
/// An <see cref="IPcrByteSource"/> that can tell which version of a file it reads, so that a copy kept elsewhere (see
/// <see cref="CachedByteSource"/>) knows when it is stale: an object store's ETag, a local file's length and
/// modification time.
/// </summary>
public interface IVersionedByteSource : IPcrByteSource
{
    /// <summary>
    /// Returns an opaque string that changes whenever the content of <paramref name="fileName"/> changes, or
    /// <see langword="null"/> when the file does not exist or the source cannot tell (then nothing of it is cached).
    /// </summary>
    /// <param name="fileName">A file name as the index gives it.</param>
    string? GetVersion(string fileName);
}
