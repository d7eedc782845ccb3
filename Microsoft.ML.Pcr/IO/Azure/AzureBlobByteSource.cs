using System.Collections.Concurrent;
using Azure;
using Azure.Core;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Microsoft.ML.Pcr.IO;

/// <summary>
/// Reads a PCR dataset from Azure Blob Storage: the blobs <c>PCR_index.pb</c>, <c>PCR_0.pcr</c>, ... under a prefix of
/// a container. Every read of a record prefix is one ranged download (an HTTP GET with a <c>Range</c> header), so a
/// scan group costs exactly its bytes over the network. Reads are pinned to the ETag each blob had when its length was
/// first asked (when the dataset was opened): a blob replaced while it is being read gets a
/// <see cref="PcrFormatException"/>, never a mix of two versions. Transient failures are retried by the Azure SDK
/// (<see cref="AzureBlobByteSourceOptions"/>); a download cut part-way resumes from the same version.
/// </summary>
/// <remarks>
/// Safe for concurrent reads. Each blob's length and ETag are asked once (one listing of the prefix answers for all the
/// blobs in it; a blob it does not list gets a HEAD request) and kept for the life of the source: open a new source to
/// see a dataset that was rewritten. Blobs in folders below the prefix are not part of the dataset. Wrap the source in a
/// <see cref="CachedByteSource"/> to keep what was read on local disk for later epochs.
/// </remarks>
public sealed class AzureBlobByteSource : IVersionedByteSource
{
    private readonly BlobContainerClient _container;
    private readonly string _prefix;
    private readonly string _displayRoot;
    private readonly ConcurrentDictionary<string, BlobState> _states = new(StringComparer.Ordinal);
    private long _bytesDownloaded;
    private long _rangedReads;
    private long _propertyRequests;
    private int _listed;

    /// <summary>
    /// Creates a source over <paramref name="location"/> with anonymous access, or with the shared access signature
    /// (SAS) its query holds.
    /// </summary>
    /// <param name="location">
    /// The container and prefix, as <c>https://account.blob.core.windows.net/container/prefix</c> (the prefix may be
    /// empty); a SAS token may follow as the query.
    /// </param>
    /// <param name="options">Retry and timeout options; null for defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="location"/> names no container.</exception>
    public AzureBlobByteSource(Uri location, AzureBlobByteSourceOptions? options = null)
        : this(Split(location, out string prefix, out Uri container), prefix, new BlobContainerClient(container, ClientOptions(options)))
    {
    }

    /// <summary>Creates a source over <paramref name="location"/> that authenticates with a Microsoft Entra ID token.</summary>
    /// <param name="location">The container and prefix, as <c>https://account.blob.core.windows.net/container/prefix</c>.</param>
    /// <param name="credential">The token credential, for example <c>DefaultAzureCredential</c> from Azure.Identity.</param>
    /// <param name="options">Retry and timeout options; null for defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="location"/> names no container.</exception>
    public AzureBlobByteSource(Uri location, TokenCredential credential, AzureBlobByteSourceOptions? options = null)
        : this(Split(location, out string prefix, out Uri container), prefix,
            new BlobContainerClient(container, credential ?? throw new ArgumentNullException(nameof(credential)), ClientOptions(options)))
    {
    }

    /// <summary>Creates a source over <paramref name="location"/> that authenticates with a shared access signature.</summary>
    /// <param name="location">The container and prefix, as <c>https://account.blob.core.windows.net/container/prefix</c>, without a query.</param>
    /// <param name="credential">The shared access signature.</param>
    /// <param name="options">Retry and timeout options; null for defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="location"/> names no container.</exception>
    public AzureBlobByteSource(Uri location, AzureSasCredential credential, AzureBlobByteSourceOptions? options = null)
        : this(Split(location, out string prefix, out Uri container), prefix,
            new BlobContainerClient(container, credential ?? throw new ArgumentNullException(nameof(credential)), ClientOptions(options)))
    {
    }

    /// <summary>Creates a source over <paramref name="location"/> that authenticates with the storage account's name and key.</summary>
    /// <param name="location">The container and prefix, as <c>https://account.blob.core.windows.net/container/prefix</c>.</param>
    /// <param name="credential">The account name and key.</param>
    /// <param name="options">Retry and timeout options; null for defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="location"/> names no container.</exception>
    public AzureBlobByteSource(Uri location, StorageSharedKeyCredential credential, AzureBlobByteSourceOptions? options = null)
        : this(Split(location, out string prefix, out Uri container), prefix,
            new BlobContainerClient(container, credential ?? throw new ArgumentNullException(nameof(credential)), ClientOptions(options)))
    {
    }

    /// <summary>
    /// Creates a source over the blobs under <paramref name="prefix"/> in container <paramref name="containerName"/>
    /// of the account a connection string names (for example Azurite's <c>UseDevelopmentStorage=true</c>).
    /// </summary>
    /// <param name="connectionString">The storage account's connection string.</param>
    /// <param name="containerName">The container.</param>
    /// <param name="prefix">The virtual folder that holds the dataset (for example <c>datasets/clothing</c>); null or empty for the container's root.</param>
    /// <param name="options">Retry and timeout options; null for defaults.</param>
    /// <exception cref="ArgumentException">The connection string or container name is empty.</exception>
    public AzureBlobByteSource(string connectionString, string containerName, string? prefix = null, AzureBlobByteSourceOptions? options = null)
        : this(NotEmpty(connectionString), prefix ?? "", new BlobContainerClient(connectionString, NotEmpty(containerName), ClientOptions(options)))
    {
    }

    /// <summary>
    /// Creates a source over the blobs under <paramref name="prefix"/> of a container client configured by the caller
    /// (its credential, retry policy and transport are used as they are).
    /// </summary>
    /// <param name="container">The container client.</param>
    /// <param name="prefix">The virtual folder that holds the dataset; null or empty for the container's root.</param>
    public AzureBlobByteSource(BlobContainerClient container, string? prefix = null)
        : this(container?.Uri.ToString() ?? throw new ArgumentNullException(nameof(container)), prefix ?? "", container)
    {
    }

    // The first parameter only sequences argument checks before the client is built.
    private AzureBlobByteSource(string _, string prefix, BlobContainerClient container)
    {
        _container = container;
        string trimmed = prefix.Trim('/');
        _prefix = trimmed.Length == 0 ? "" : trimmed + "/";
        // Never the query: it may hold a SAS token, and messages end up in logs.
        var display = new UriBuilder(container.Uri) { Query = "" };
        _displayRoot = display.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        Location = _prefix.Length == 0 ? _displayRoot : $"{_displayRoot}/{trimmed}";
    }

    /// <inheritdoc/>
    /// <remarks>The container's address and the prefix, without any SAS token.</remarks>
    public string Location { get; }

    /// <summary>Gets the name of the container.</summary>
    public string ContainerName => _container.Name;

    /// <summary>Gets the prefix blob names start with (empty, or ending in '/').</summary>
    public string Prefix => _prefix;

    /// <summary>Gets the bytes downloaded by ranged reads so far (bodies only, not headers).</summary>
    public long BytesDownloaded => Interlocked.Read(ref _bytesDownloaded);

    /// <summary>Gets the ranged downloads made so far: one per <see cref="Read"/> or <see cref="ReadAsync"/> that asked for bytes.</summary>
    public long RangedReads => Interlocked.Read(ref _rangedReads);

    /// <summary>
    /// Gets the requests made for blob properties (length and ETag) so far: one listing of the prefix (a request per
    /// 5,000 blobs) the first time a length is asked, then one HEAD request per blob the listing did not answer for.
    /// </summary>
    public long PropertyRequests => Interlocked.Read(ref _propertyRequests);

    /// <inheritdoc/>
    public string Describe(string fileName) => $"{_displayRoot}/{_prefix}{fileName}";

    /// <inheritdoc/>
    /// <exception cref="FileNotFoundException">The container does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The credential was refused.</exception>
    /// <exception cref="IOException">The service failed after the retries.</exception>
    public long GetLength(string fileName) => GetState(fileName)?.Length ?? -1;

    /// <inheritdoc/>
    /// <remarks>The blob's ETag (without quotes), as pinned by the first request about it.</remarks>
    public string? GetVersion(string fileName) => GetState(fileName)?.ETag.ToString().Trim('"');

    /// <inheritdoc/>
    /// <exception cref="FileNotFoundException">The blob or its container does not exist.</exception>
    /// <exception cref="PcrFormatException">The blob was replaced since its length was asked.</exception>
    /// <exception cref="UnauthorizedAccessException">The credential was refused.</exception>
    /// <exception cref="IOException">The service or the network failed after the retries.</exception>
    public int Read(string fileName, long offset, Span<byte> buffer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        BlobState state = GetState(fileName) ?? throw BlobMissing(fileName, inner: null);
        int count = ReadableCount(state, offset, buffer.Length);
        if (count == 0) return 0;
        Interlocked.Increment(ref _rangedReads);
        int total = 0;
        try
        {
            using BlobDownloadStreamingResult result = state.Client.DownloadStreaming(Ranged(state, offset, count)).Value;
            using Stream content = result.Content;
            while (total < count)
            {
                int n = content.Read(buffer[total..count]);
                if (n == 0) break;
                total += n;
                Interlocked.Add(ref _bytesDownloaded, n);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Translate(e, fileName, state, offset, count);
        }
        return total == count ? total : throw ShortRead(fileName, offset, count, total);
    }

    /// <inheritdoc/>
    /// <exception cref="FileNotFoundException">The blob or its container does not exist.</exception>
    /// <exception cref="PcrFormatException">The blob was replaced since its length was asked.</exception>
    /// <exception cref="UnauthorizedAccessException">The credential was refused.</exception>
    /// <exception cref="IOException">The service or the network failed after the retries.</exception>
    public async ValueTask<int> ReadAsync(string fileName, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        BlobState state = await GetStateAsync(fileName, cancellationToken).ConfigureAwait(false) ?? throw BlobMissing(fileName, inner: null);
        int count = ReadableCount(state, offset, buffer.Length);
        if (count == 0) return 0;
        Interlocked.Increment(ref _rangedReads);
        int total = 0;
        try
        {
            Response<BlobDownloadStreamingResult> response = await state.Client
                .DownloadStreamingAsync(Ranged(state, offset, count), cancellationToken).ConfigureAwait(false);
            using BlobDownloadStreamingResult result = response.Value;
            await using Stream content = result.Content;
            while (total < count)
            {
                int n = await content.ReadAsync(buffer[total..count], cancellationToken).ConfigureAwait(false);
                if (n == 0) break;
                total += n;
                Interlocked.Add(ref _bytesDownloaded, n);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Translate(e, fileName, state, offset, count);
        }
        return total == count ? total : throw ShortRead(fileName, offset, count, total);
    }

    private static int ReadableCount(BlobState state, long offset, int wanted) =>
        offset >= state.Length ? 0 : (int)Math.Min(wanted, state.Length - offset);

    // One GET of exactly [offset, offset + count), only if the blob still has the ETag it had when it was first asked about.
    private static BlobDownloadOptions Ranged(BlobState state, long offset, int count) => new()
    {
        Range = new HttpRange(offset, count),
        Conditions = new BlobRequestConditions { IfMatch = state.ETag },
    };

    private BlobState? GetState(string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (_states.TryGetValue(fileName, out BlobState? known)) return known;
        if (ListOnce() && _states.TryGetValue(fileName, out known)) return known;
        BlobClient client = _container.GetBlobClient(_prefix + fileName);
        try
        {
            Interlocked.Increment(ref _propertyRequests);
            BlobProperties properties = client.GetProperties().Value;
            return _states.GetOrAdd(fileName, new BlobState(client, properties.ContentLength, properties.ETag));
        }
        catch (RequestFailedException e) when (e.Status == 404 && !IsContainerMissing(e, () => _container.Exists()))
        {
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Translate(e, fileName, state: null, offset: null, count: 0);
        }
    }

    // Opening a dataset asks the length of every record: one listing of the prefix answers for all of them (a page per
    // 5,000 blobs) instead of a HEAD request each. Without list permission (a read-only SAS) the HEADs are made instead.
    private bool ListOnce()
    {
        if (Interlocked.Exchange(ref _listed, 1) != 0) return false;
        try
        {
            foreach (Page<BlobHierarchyItem> page in _container.GetBlobsByHierarchy(BlobTraits.None, BlobStates.None, "/", _prefix).AsPages(pageSizeHint: 5000))
                AddListed(page);
            return true;
        }
        catch (RequestFailedException)
        {
            // The HEAD request that follows says what is wrong, if anything is.
            return false;
        }
    }

    private async ValueTask<bool> ListOnceAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _listed, 1) != 0) return false;
        try
        {
            await foreach (Page<BlobHierarchyItem> page in _container
                .GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", _prefix, cancellationToken).AsPages(pageSizeHint: 5000)
                .ConfigureAwait(false))
            {
                AddListed(page);
            }
            return true;
        }
        catch (RequestFailedException)
        {
            return false;
        }
    }

    private void AddListed(Page<BlobHierarchyItem> page)
    {
        Interlocked.Increment(ref _propertyRequests);
        foreach (BlobHierarchyItem item in page.Values)
        {
            if (item.Blob is not { Properties: { ContentLength: long length, ETag: ETag etag } } blob) continue;
            string name = blob.Name[_prefix.Length..];
            if (name.Length > 0) _states.TryAdd(name, new BlobState(_container.GetBlobClient(blob.Name), length, etag));
        }
    }

    private async ValueTask<BlobState?> GetStateAsync(string fileName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (_states.TryGetValue(fileName, out BlobState? known)) return known;
        if (await ListOnceAsync(cancellationToken).ConfigureAwait(false) && _states.TryGetValue(fileName, out known)) return known;
        BlobClient client = _container.GetBlobClient(_prefix + fileName);
        try
        {
            Interlocked.Increment(ref _propertyRequests);
            BlobProperties properties = (await client.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            return _states.GetOrAdd(fileName, new BlobState(client, properties.ContentLength, properties.ETag));
        }
        catch (RequestFailedException e) when (e.Status == 404 && !IsContainerMissing(e, () => _container.Exists(cancellationToken)))
        {
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Translate(e, fileName, state: null, offset: null, count: 0);
        }
    }

    // A HEAD response has no body, so the error code may be missing: then ask the container itself.
    private static bool IsContainerMissing(RequestFailedException e, Func<Response<bool>> containerExists) =>
        e.ErrorCode == BlobErrorCode.ContainerNotFound.ToString()
        || (e.ErrorCode != BlobErrorCode.BlobNotFound.ToString() && !containerExists().Value);

    // The SDK's own messages dump headers over many lines; ours name the blob and range and keep the SDK's as the inner exception.
    private Exception Translate(Exception e, string fileName, BlobState? state, long? offset, int count)
    {
        RequestFailedException? failure = e as RequestFailedException
            ?? (e as AggregateException)?.Flatten().InnerExceptions.OfType<RequestFailedException>().LastOrDefault();
        string range = offset is null ? "its properties" : $"bytes {offset}..{offset + count}";
        string blob = Describe(fileName);
        if (failure is null)
            return new IOException($"Reading {range} of Azure blob '{blob}' failed after the retries: {FirstLine(e.Message)}", e);
        string code = failure.ErrorCode ?? "no error code";
        if (failure.Status == 412 || failure.ErrorCode == BlobErrorCode.ConditionNotMet.ToString())
        {
            // A conditional read of a deleted blob fails the condition too (Azurite answers 412): tell the two apart.
            if (state is not null && !state.Client.Exists().Value) return BlobMissing(fileName, failure);
            return new PcrFormatException(
                $"the dataset was replaced while it was being read: {range} were asked of the blob's version {state?.ETag}, which it no longer has; open the dataset again",
                blob, fileName, offset, failure);
        }
        if (failure.Status == 404 && failure.ErrorCode == BlobErrorCode.ContainerNotFound.ToString())
            return ContainerMissing(failure);
        if (failure.Status == 404)
            return BlobMissing(fileName, failure);
        if (failure.Status is 401 or 403)
        {
            return new UnauthorizedAccessException(
                $"Azure Blob Storage refused access to '{blob}' ({failure.Status} {code}): check the credential, the account key, or the SAS token's permissions and expiry.",
                failure);
        }
        return new IOException($"Reading {range} of Azure blob '{blob}' failed ({failure.Status} {code}): {FirstLine(failure.Message)}", failure);
    }

    private FileNotFoundException BlobMissing(string fileName, Exception? inner) =>
        new($"Azure blob '{Describe(fileName)}' does not exist.", Describe(fileName), inner);

    private FileNotFoundException ContainerMissing(Exception? inner) =>
        new($"Azure Blob container '{_displayRoot}' does not exist.", _displayRoot, inner);

    private IOException ShortRead(string fileName, long offset, int count, int total) =>
        new($"Azure blob '{Describe(fileName)}' sent {total} of the {count} bytes asked at offset {offset}.");

    internal static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }

    internal static string Split(Uri location, out string prefix, out Uri container)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!location.IsAbsoluteUri)
            throw new ArgumentException($"Expected an absolute address such as https://account.blob.core.windows.net/container/prefix, got '{location}'.", nameof(location));
        var builder = new BlobUriBuilder(location);
        if (string.IsNullOrEmpty(builder.BlobContainerName))
            throw new ArgumentException($"The address '{location.GetLeftPart(UriPartial.Path)}' names no container; expected https://account.blob.core.windows.net/container/prefix.", nameof(location));
        prefix = builder.BlobName ?? "";
        builder.BlobName = "";
        container = builder.ToUri();
        return builder.BlobContainerName;
    }

    internal static string NotEmpty(string value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        return value;
    }

    internal static BlobClientOptions ClientOptions(AzureBlobByteSourceOptions? options) => (options ?? new AzureBlobByteSourceOptions()).ClientOptions;

    private sealed record BlobState(BlobClient Client, long Length, ETag ETag);
}
