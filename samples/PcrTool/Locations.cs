using Azure.Storage.Blobs;
using Microsoft.ML.Pcr.IO;

namespace PcrTool;

/// <summary>
/// Where a command reads or writes a dataset: a directory, or a prefix of an Azure Blob Storage container given as
/// <c>https://account.blob.core.windows.net/container/prefix</c> (Azurite: <c>http://127.0.0.1:10000/devstoreaccount1/container/prefix</c>).
/// A container's credential is the SAS token in the address's query; without one, the account key of the connection string in
/// <c>AZURE_STORAGE_CONNECTION_STRING</c>; without either, anonymous access (reading a public container).
/// </summary>
internal static class Locations
{
    /// <summary>The environment variable that holds a storage account's connection string.</summary>
    public const string ConnectionStringVariable = "AZURE_STORAGE_CONNECTION_STRING";

    /// <summary>Whether <paramref name="location"/> names a container rather than a directory.</summary>
    public static bool IsContainer(string location) =>
        location.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The dataset at <paramref name="location"/>, to read.</summary>
    public static IPcrByteSource OpenSource(string location) =>
        IsContainer(location) ? new AzureBlobByteSource(Container(location, out string prefix), prefix) : new FileByteSource(location);

    /// <summary>Where a dataset at <paramref name="location"/> is written.</summary>
    public static IPcrByteSink OpenSink(string location) =>
        IsContainer(location) ? new AzureBlobByteSink(Container(location, out string prefix), prefix) : new DirectoryByteSink(location);

    private static BlobContainerClient Container(string location, out string prefix)
    {
        if (!Uri.TryCreate(location, UriKind.Absolute, out Uri? uri))
            throw new ArgumentException($"'{location}' is not a valid address; expected https://account.blob.core.windows.net/container/prefix.");
        var builder = new BlobUriBuilder(uri);
        if (string.IsNullOrEmpty(builder.BlobContainerName))
            throw new ArgumentException($"'{uri.GetLeftPart(UriPartial.Path)}' names no container; expected https://account.blob.core.windows.net/container/prefix.");
        prefix = builder.BlobName ?? "";
        string container = builder.BlobContainerName;
        bool hasSas = builder.Sas is not null || uri.Query.Contains("sig=", StringComparison.OrdinalIgnoreCase);
        string? connectionString = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!hasSas && !string.IsNullOrWhiteSpace(connectionString)) return new BlobContainerClient(connectionString, container);
        builder.BlobName = "";
        return new BlobContainerClient(builder.ToUri());
    }
}
