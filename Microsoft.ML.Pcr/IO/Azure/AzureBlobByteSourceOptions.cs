using Azure.Core;
using Azure.Storage.Blobs;

namespace Microsoft.ML.Pcr.IO;

/// <summary>
/// Options of an <see cref="AzureBlobByteSource"/>: how transient failures are retried and how long one network
/// operation may take. They configure the Azure SDK's own retry policy (<see cref="ClientOptions"/>'s
/// <see cref="ClientOptions.Retry"/>); a download that fails part-way resumes where it stopped, from the same version
/// of the blob.
/// </summary>
public sealed class AzureBlobByteSourceOptions
{
    /// <summary>Creates options with the defaults: 5 retries, exponential back-off from 0.2 s up to 10 s, 100 s network timeout.</summary>
    public AzureBlobByteSourceOptions()
    {
        ClientOptions = new BlobClientOptions();
        ClientOptions.Retry.Mode = RetryMode.Exponential;
        ClientOptions.Retry.MaxRetries = 5;
        ClientOptions.Retry.Delay = TimeSpan.FromSeconds(0.2);
        ClientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(10);
        ClientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(100);
    }

    /// <summary>
    /// Gets the Azure SDK's client options the source's client is built with: the retry policy, the transport,
    /// diagnostics, and pipeline policies added with <see cref="ClientOptions.AddPolicy"/>. The properties below are
    /// shortcuts into its <see cref="ClientOptions.Retry"/>.
    /// </summary>
    public BlobClientOptions ClientOptions { get; }

    /// <summary>Gets or sets how many times a failed request (or a download cut part-way) is retried; 0 or more. Default 5.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxRetries
    {
        get => ClientOptions.Retry.MaxRetries;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ClientOptions.Retry.MaxRetries = value;
        }
    }

    /// <summary>Gets or sets the delay before the first retry; later ones back off exponentially up to <see cref="MaxRetryDelay"/>. Default 0.2 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan RetryDelay
    {
        get => ClientOptions.Retry.Delay;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            ClientOptions.Retry.Delay = value;
        }
    }

    /// <summary>Gets or sets the longest delay between two retries. Default 10 s.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan MaxRetryDelay
    {
        get => ClientOptions.Retry.MaxDelay;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            ClientOptions.Retry.MaxDelay = value;
        }
    }

    /// <summary>
    /// Gets or sets how long one network operation (a request, or one read from a download's body) may take before it
    /// is abandoned and retried. Default 100 s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan NetworkTimeout
    {
        get => ClientOptions.Retry.NetworkTimeout;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            ClientOptions.Retry.NetworkTimeout = value;
        }
    }
}
