using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Microsoft.ML.Pcr.Tests.IO.ObjectStorage;

/// <summary>
/// An Azure SDK pipeline policy that records every request it sees (method, blob path, Range header, status) and the
/// body length the server declared (status 0 for an attempt that failed in the transport): what went over the wire, as the server sent it, independent of the source's own counters.
/// </summary>
internal sealed class RequestCountingPolicy : HttpPipelinePolicy
{
    public ConcurrentQueue<(string Method, string Path, string? Range, int Status, long ContentLength)> Requests { get; } = new();

    public IEnumerable<(string Method, string Path, string? Range, int Status, long ContentLength)> Gets(string blobSuffix) =>
        Requests.Where(r => r.Method == "GET" && r.Path.EndsWith(blobSuffix, StringComparison.Ordinal));

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            ProcessNext(message, pipeline);
        }
        catch (Exception)
        {
            RecordFailure(message);
            throw;
        }
        Record(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            await ProcessNextAsync(message, pipeline);
        }
        catch (Exception)
        {
            RecordFailure(message);
            throw;
        }
        Record(message);
    }

    private void Record(HttpMessage message) =>
        Requests.Enqueue((message.Request.Method.ToString(), message.Request.Uri.Path, Range(message), message.Response.Status, message.Response.Headers.ContentLength ?? 0));

    // A request that failed in the transport (no response): status 0.
    private void RecordFailure(HttpMessage message) =>
        Requests.Enqueue((message.Request.Method.ToString(), message.Request.Uri.Path, Range(message), 0, 0));

    private static string? Range(HttpMessage message)
    {
        message.Request.Headers.TryGetValue("x-ms-range", out string? range);
        if (range is null) message.Request.Headers.TryGetValue("Range", out range);
        return range;
    }
}
