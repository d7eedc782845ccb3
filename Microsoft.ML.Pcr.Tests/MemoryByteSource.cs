using Microsoft.ML.Pcr.IO;

namespace Microsoft.ML.Pcr.Tests;

/// <summary>A dataset held in memory, file name to bytes: lets a test open thousands of variants of one dataset without touching the disk.</summary>
internal sealed class MemoryByteSource(IReadOnlyDictionary<string, byte[]> files) : IPcrByteSource
{
    /// <summary>Loads every file of <paramref name="directory"/>.</summary>
    public static Dictionary<string, byte[]> ReadDirectory(string directory) =>
        Directory.EnumerateFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);

    public string Location => "memory";

    public string Describe(string fileName) => "memory/" + fileName;

    public long GetLength(string fileName) => files.TryGetValue(fileName, out byte[]? bytes) ? bytes.Length : -1;

    public int Read(string fileName, long offset, Span<byte> buffer)
    {
        if (!files.TryGetValue(fileName, out byte[]? bytes)) throw new FileNotFoundException($"'{fileName}' is not in the dataset.", fileName);
        int n = (int)Math.Clamp(bytes.Length - offset, 0, buffer.Length);
        bytes.AsSpan((int)offset, n).CopyTo(buffer);
        return n;
    }

    public ValueTask<int> ReadAsync(string fileName, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(fileName, offset, buffer.Span));
}
