namespace Microsoft.ML.Pcr.Conversion;

/// <summary>An input that was not converted, and why.</summary>
/// <param name="RelativePath">The input's path relative to the ImageFolder root ('/'-separated).</param>
/// <param name="Reason">What is wrong with it.</param>
public sealed record SkippedFile(string RelativePath, string Reason);
