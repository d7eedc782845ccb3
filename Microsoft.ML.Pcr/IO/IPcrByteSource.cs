namespace Microsoft.ML.Pcr.IO;

/// <summary>
/// Where the bytes of a PCR dataset come from: a directory on local disk today, object storage
/// with range reads tomorrow. Files are named as the index names them (for example
/// <c>PCR_index.pb</c>, <c>PCR_0.pcr</c>). Implementations must be safe for concurrent reads.
/// </summary>
public interface IPcrByteSource
{
    /// <summary>Gets a name for the whole source, for messages (for example the directory path).</summary>
    string Location { get; }

    /// <summary>Returns the full name of <paramref name="fileName"/> inside the source, for messages.</summary>
    /// <param name="fileName">A file name as the index gives it.</param>
    string Describe(string fileName);

    /// <summary>Returns the length in bytes of <paramref name="fileName"/>, or -1 when it does not exist.</summary>
    /// <param name="fileName">A file name as the index gives it.</param>
    long GetLength(string fileName);

    /// <summary>
    /// Reads bytes <c>[offset, offset + buffer.Length)</c> of <paramref name="fileName"/> into
    /// <paramref name="buffer"/> and returns how many were read: fewer than asked only at the end of the file.
    /// </summary>
    /// <param name="fileName">A file name as the index gives it.</param>
    /// <param name="offset">The first byte to read.</param>
    /// <param name="buffer">Where the bytes go; its length is how many to read.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    int Read(string fileName, long offset, Span<byte> buffer);

    /// <summary>Asynchronous form of <see cref="Read(string, long, Span{byte})"/>.</summary>
    /// <param name="fileName">A file name as the index gives it.</param>
    /// <param name="offset">The first byte to read.</param>
    /// <param name="buffer">Where the bytes go; its length is how many to read.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<int> ReadAsync(string fileName, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default);
}
