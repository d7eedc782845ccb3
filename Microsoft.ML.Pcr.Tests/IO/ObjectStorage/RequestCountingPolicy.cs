using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Microsoft.ML.Pcr.Tests.IO.ObjectStorage;

/// <summary>
/// An Azure SDK pipeline policy that records every request it sees (method, blob path, Range header, status) and the
/// body length the server declared: what went over the wire, as the server sent it, independent of the source's own counters.
/// </summary>
internal sealed class RequestCountingPolicy : HttpPipelinePolicy
{
    public ConcurrentQueue<(string Method, string Path, string? Range, int Status, long ContentLength)> Requests { get; } = new();

    public IEnumerable<(string Method, string Path, string? Range, int Status, long ContentLength)> Gets(string blobSuffix) =>
        Requests.Where(r => r.Method == "GET" && r.Path.EndsWith(blobSuffix, StringComparison.Ordinal));

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ProcessNext(message, pipeline);
        Record(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        Record(message);
    }

    private void Record(HttpMessage message)
    {
        message.Request.Headers.TryGetValue("x-ms-range", out string? range);
        if (range is null) message.Request.Headers.TryGetValue("Range", out range);
        long length = message.Response.Headers.ContentLength ?? 0;
        Requests.Enqueue((message.Request.Method.ToString(), message.Request.Uri.Path, range, message.Response.Status, length));
    }
}
