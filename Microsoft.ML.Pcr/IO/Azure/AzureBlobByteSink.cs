using System.Collections.Concurrent;
using Azure;
using Azure.Core;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Microsoft.ML.Pcr.IO;

/// <summary>
/// Writes the files of a PCR dataset as block blobs under a prefix of an Azure Blob Storage container (created when absent). A file's
/// bytes are uploaded as uncommitted blocks while it is written (4 MiB each), which no reader sees; <see cref="Commit"/> commits the block
/// list, which makes the whole blob visible at once, replacing a blob of that name: the object-storage form of writing a temporary file and
/// renaming it. The writers commit the records first and <c>PCR_index.pb</c> last.
/// </summary>
/// <remarks>
/// <para>
/// Replacing a dataset: the old index is deleted before the first new record is committed, so from then until the new index is
/// committed the prefix holds nothing that opens; a reader that opened the old dataset before has every blob pinned to the version
/// (ETag) it opened, and gets a <see cref="PcrFormatException"/> on a record that was replaced, never a mix of the two datasets.
/// </para>
/// <para>
/// The writer lock is a lease on a lock blob (for example <c>.pcr-writer.lock</c>) under the prefix: 60 seconds, renewed every 15 while
/// the writer runs, released on dispose. A second writer is refused while the lease is held; the lease of a writer that was killed
/// expires within 60 seconds, and the next writer takes it. Blocks a killed writer staged but never committed are invisible, and the
/// service discards them after a week.
/// </para>
/// </remarks>
public sealed class AzureBlobByteSink : IPcrByteSink
{
    private const int BlockSize = 4 << 20;
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LeaseRenewal = TimeSpan.FromSeconds(15);

    private readonly BlobContainerClient _container;
    private readonly string _prefix;
    private readonly ConcurrentDictionary<string, List<string>> _staged = new(StringComparer.Ordinal);
    private int _containerChecked;

    /// <summary>Creates a sink into <paramref name="location"/>, authenticated by the shared access signature (SAS) its query holds.</summary>
    /// <param name="location">
    /// The container and prefix, as <c>https://account.blob.core.windows.net/container/prefix</c> (the prefix may be empty), with a SAS
    /// token that allows reading, writing, listing and deleting blobs as the query.
    /// </param>
    /// <param name="options">Retry and timeout options; null for defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="location"/> names no container.</exception>
    public AzureBlobByteSink(Uri location, AzureBlobByteSourceOptions? options = null)
        : this(AzureBlobByteSource.Split(location, out string prefix, out Uri container), prefix, new BlobContainerClient(container, AzureBlobByteSource.ClientOptions(options)))
    {
    }

    /// <summary>Creates a sink into <paramref name="location"/> that authenticates with a Microsoft Entra ID token.</summary>
    /// <param name="location">The container and prefix, as <c>https://account.blob.core.windows.net/container/prefix</c>.</param>
    /// <param name="credential">The token credential, for example <c>DefaultAzureCredential</c> from Azure.Identity.</param>
    /// <param name="options">Retry and timeout options; null for defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="location"/> names no container.</exception>
    public AzureBlobByteSink(Uri location, TokenCredential credential, AzureBlobByteSourceOptions? options = null)
        : this(AzureBlobByteSource.Split(location, out string prefix, out Uri container), prefix,
            new BlobContainerClient(container, credential ?? throw new ArgumentNullException(nameof(credential)), AzureBlobByteSource.ClientOptions(options)))
    {
    }

    /// <summary>Creates a sink into <paramref name="location"/> that authenticates with the storage account's name and key.</summary>
    /// <param name="location">The container and prefix, as <c>https://account.blob.core.windows.net/container/prefix</c>.</param>
    /// <param name="credential">The account name and key.</param>
    /// <param name="options">Retry and timeout options; null for defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="location"/> names no container.</exception>
    public AzureBlobByteSink(Uri location, StorageSharedKeyCredential credential, AzureBlobByteSourceOptions? options = null)
        : this(AzureBlobByteSource.Split(location, out string prefix, out Uri container), prefix,
            new BlobContainerClient(container, credential ?? throw new ArgumentNullException(nameof(credential)), AzureBlobByteSource.ClientOptions(options)))
    {
    }

    /// <summary>
    /// Creates a sink into the blobs under <paramref name="prefix"/> in container <paramref name="containerName"/> of the account a
    /// connection string names (for example Azurite's <c>UseDevelopmentStorage=true</c>).
    /// </summary>
    /// <param name="connectionString">The storage account's connection string.</param>
    /// <param name="containerName">The container.</param>
    /// <param name="prefix">The virtual folder that receives the dataset; null or empty for the container's root.</param>
    /// <param name="options">Retry and timeout options; null for defaults.</param>
    /// <exception cref="ArgumentException">The connection string or container name is empty.</exception>
    public AzureBlobByteSink(string connectionString, string containerName, string? prefix = null, AzureBlobByteSourceOptions? options = null)
        : this(AzureBlobByteSource.NotEmpty(connectionString), prefix ?? "",
            new BlobContainerClient(connectionString, AzureBlobByteSource.NotEmpty(containerName), AzureBlobByteSource.ClientOptions(options)))
    {
    }

    /// <summary>Creates a sink into the blobs under <paramref name="prefix"/> of a container client configured by the caller.</summary>
    /// <param name="container">The container client.</param>
    /// <param name="prefix">The virtual folder that receives the dataset; null or empty for the container's root.</param>
    public AzureBlobByteSink(BlobContainerClient container, string? prefix = null)
        : this(container?.Uri.ToString() ?? throw new ArgumentNullException(nameof(container)), prefix ?? "", container)
    {
    }

    // The first parameter only sequences argument checks before the client is built.
    private AzureBlobByteSink(string _, string prefix, BlobContainerClient container)
    {
        _container = container;
        Source = new AzureBlobByteSource(container, prefix);
        _prefix = Source.Prefix;
    }

    /// <inheritdoc/>
    /// <remarks>The container's address and the prefix, without any SAS token.</remarks>
    public string Location => Source.Location;

    /// <summary>Gets the source that reads what this sink committed (the same container, prefix and credential).</summary>
    public AzureBlobByteSource Source { get; }

    /// <inheritdoc/>
    public string Describe(string fileName) => Source.Describe(fileName);

    /// <inheritdoc/>
    public Stream Create(string fileName)
    {
        CheckName(fileName);
        EnsureContainer();
        return new BlockStagingStream(this, fileName, _container.GetBlockBlobClient(_prefix + fileName));
    }

    /// <inheritdoc/>
    public void Commit(string fileName)
    {
        CheckName(fileName);
        if (!_staged.TryRemove(fileName, out List<string>? blocks))
            throw new InvalidOperationException($"Nothing was written to '{Describe(fileName)}' to commit.");
        Call(fileName, "committing", () => _container.GetBlockBlobClient(_prefix + fileName).CommitBlockList(blocks));
    }

    /// <inheritdoc/>
    public void Delete(string fileName)
    {
        CheckName(fileName);
        Call(fileName, "deleting", () => _container.GetBlobClient(_prefix + fileName).DeleteIfExists(DeleteSnapshotsOption.IncludeSnapshots));
    }

    /// <inheritdoc/>
    /// <remarks>Committed blobs only: blocks being uploaded are invisible until their blob is committed. An absent container lists nothing.</remarks>
    public IReadOnlyList<string> List()
    {
        var names = new List<string>();
        try
        {
            foreach (BlobItem item in _container.GetBlobs(BlobTraits.None, BlobStates.None, _prefix.Length == 0 ? null : _prefix, CancellationToken.None))
            {
                string name = item.Name[_prefix.Length..];
                if (name.Length > 0 && !name.Contains('/')) names.Add(name);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode == BlobErrorCode.ContainerNotFound.ToString())
        {
            return [];
        }
        catch (RequestFailedException e)
        {
            throw Translate(e, "", "listing");
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <inheritdoc/>
    /// <remarks>A 60-second lease on the lock blob <paramref name="lockName"/> under the prefix, renewed every 15 seconds until disposed.</remarks>
    public IDisposable AcquireLock(string lockName)
    {
        CheckName(lockName);
        EnsureContainer();
        BlobClient blob = _container.GetBlobClient(_prefix + lockName);
        BlobLeaseClient lease = blob.GetBlobLeaseClient();
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                lease.Acquire(LeaseDuration);
                return new LeaseLock(lease, blob);
            }
            catch (RequestFailedException e) when (e.Status == 404 && attempt < 3)
            {
                try
                {
                    blob.Upload(BinaryData.FromString($"Pcr.MLNet writer lock: a writer holds a lease on this blob while it writes into '{Location}'.\n"), overwrite: false);
                }
                catch (RequestFailedException created) when (created.Status == 409) { } // another writer created it first
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                throw new IOException(
                    $"Another conversion is writing into '{Location}': it holds the lease on '{Describe(lockName)}'. Wait for it to finish; the lease of a writer that was killed expires within {LeaseDuration.TotalSeconds:0} seconds.", e);
            }
            catch (RequestFailedException e)
            {
                throw Translate(e, lockName, "leasing");
            }
        }
    }

    /// <inheritdoc/>
    public IPcrByteSource OpenSource() => new AzureBlobByteSource(_container, _prefix);

    private void EnsureContainer()
    {
        if (Volatile.Read(ref _containerChecked) != 0) return;
        try
        {
            _container.CreateIfNotExists();
        }
        catch (RequestFailedException e) when (e.Status == 403)
        {
            // A SAS scoped to the container may not allow creating it; it exists if the SAS could be issued for it.
        }
        catch (RequestFailedException e)
        {
            throw Translate(e, "", "creating the container of");
        }
        Volatile.Write(ref _containerChecked, 1);
    }

    private void Call(string fileName, string what, Action action)
    {
        try
        {
            action();
        }
        catch (RequestFailedException e)
        {
            throw Translate(e, fileName, what);
        }
    }

    private Exception Translate(RequestFailedException e, string fileName, string what)
    {
        string blob = fileName.Length == 0 ? Location : Describe(fileName);
        string code = e.ErrorCode ?? "no error code";
        if (e.Status is 401 or 403)
        {
            return new UnauthorizedAccessException(
                $"Azure Blob Storage refused {what} '{blob}' ({e.Status} {code}): check the credential, the account key, or that the SAS token allows reading, writing, listing and deleting blobs.", e);
        }
        return new IOException($"{char.ToUpperInvariant(what[0])}{what[1..]} Azure blob '{blob}' failed ({e.Status} {code}): {AzureBlobByteSource.FirstLine(e.Message)}", e);
    }

    private static void CheckName(string fileName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        if (fileName.IndexOfAny(['/', '\\']) >= 0)
            throw new ArgumentException($"Expected a file name without folder, got '{fileName}'.", nameof(fileName));
    }

    /// <summary>Uploads what is written as uncommitted blocks of <see cref="BlockSize"/>; on dispose, hands the block list to the sink for <see cref="Commit"/>.</summary>
    private sealed class BlockStagingStream(AzureBlobByteSink sink, string fileName, BlockBlobClient blob) : Stream
    {
        private readonly List<string> _blocks = [];
        private readonly string _run = Guid.NewGuid().ToString("N");
        private byte[]? _buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(BlockSize);
        private int _filled;
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => _buffer is not null;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException("The stream only appends.");
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_buffer is null, this);
            while (!buffer.IsEmpty)
            {
                int n = Math.Min(buffer.Length, BlockSize - _filled);
                buffer[..n].CopyTo(_buffer.AsSpan(_filled));
                _filled += n;
                _length += n;
                buffer = buffer[n..];
                if (_filled == BlockSize) StageBlock();
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The stream only writes.");

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("The stream only appends.");

        public override void SetLength(long value) => throw new NotSupportedException("The stream only appends.");

        protected override void Dispose(bool disposing)
        {
            if (_buffer is null) return;
            try
            {
                if (disposing)
                {
                    if (_filled > 0) StageBlock();
                    sink._staged[fileName] = _blocks;
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
                base.Dispose(disposing);
            }
        }

        private void StageBlock()
        {
            // Block ids must all have the same length within a blob; the run's id keeps two writers' blocks apart.
            string id = System.Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{_run}-{_blocks.Count:D8}"));
            using var content = new MemoryStream(_buffer!, 0, _filled, writable: false);
            sink.Call(fileName, "uploading a block of", () => blob.StageBlock(id, content));
            _blocks.Add(id);
            _filled = 0;
        }
    }

    /// <summary>The writer lock: a lease renewed in the background until disposed, then released and the lock blob deleted.</summary>
    private sealed class LeaseLock : IDisposable
    {
        private readonly BlobLeaseClient _lease;
        private readonly BlobClient _blob;
        private readonly Timer _renewal;
        private int _released;

        public LeaseLock(BlobLeaseClient lease, BlobClient blob)
        {
            _lease = lease;
            _blob = blob;
            _renewal = new Timer(_ => Renew(), null, LeaseRenewal, LeaseRenewal);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            _renewal.Dispose();
            try
            {
                _blob.DeleteIfExists(conditions: new BlobRequestConditions { LeaseId = _lease.LeaseId });
            }
            catch (RequestFailedException)
            {
                // The lease was lost (it expired while the writer was stalled): the next writer takes the blob over.
            }
        }

        private void Renew()
        {
            if (Volatile.Read(ref _released) != 0) return;
            try
            {
                _lease.Renew();
            }
            catch (RequestFailedException)
            {
                // Retried at the next tick; a lease that expired meanwhile may be taken by another writer, as the remarks say.
            }
        }
    }
}
