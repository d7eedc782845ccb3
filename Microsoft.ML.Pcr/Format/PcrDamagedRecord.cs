namespace Microsoft.ML.Pcr.Format;

/// <summary>A record left out of a dataset opened with <c>skipDamagedRecords</c>, and why.</summary>
/// <param name="Name">The record file name from the index.</param>
/// <param name="Reason">What was wrong, naming the file.</param>
public sealed record PcrDamagedRecord(string Name, string Reason);
