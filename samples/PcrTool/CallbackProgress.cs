namespace PcrTool;

/// <summary>An <see cref="IProgress{T}"/> that calls its callback on the reporting thread (no synchronisation context).</summary>
internal sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
