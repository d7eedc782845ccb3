namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// One measurement of the automatic scan policy (<see cref="ScanPolicy.Automatic(AutomaticScanPolicyOptions)"/>): the
/// cosine similarity of each candidate scan group's gradient with the full-fidelity gradient on the same rows, and the
/// scan group chosen. Reported on <see cref="PcrTrainingEpochMetrics.ScanDecision"/> and written to <c>MLContext.Log</c>.
/// </summary>
public sealed class ScanDecision
{
    internal ScanDecision(int epoch, int scan, int[] candidates, double[] similarities, long bytesRead, TimeSpan duration)
    {
        Epoch = epoch;
        Scan = scan;
        Candidates = candidates;
        Similarities = similarities;
        BytesRead = bytesRead;
        Duration = duration;
    }

    /// <summary>Gets the epoch (0-based) the measurement was taken before.</summary>
    public int Epoch { get; }

    /// <summary>Gets the scan group chosen: the smallest candidate whose similarity reaches the threshold (full fidelity when none does), no higher than the previous choice unless increases are allowed.</summary>
    public int Scan { get; }

    /// <summary>Gets the candidate scan groups measured, ascending.</summary>
    public IReadOnlyList<int> Candidates { get; }

    /// <summary>Gets the cosine similarity (-1..1) of each candidate's gradient with the full-fidelity one, in the order of <see cref="Candidates"/>.</summary>
    public IReadOnlyList<double> Similarities { get; }

    /// <summary>
    /// Gets the record bytes the measurement read from the training data's byte source: the full-fidelity prefixes of its records,
    /// once (the candidates' prefixes are prefixes of those bytes, kept in memory). The epoch's own
    /// <see cref="PcrTrainingEpochMetrics.BytesRead"/> does not include them.
    /// </summary>
    public long BytesRead { get; }

    /// <summary>Gets the time the measurement took.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Returns the line the trainer writes to the log.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"scan decision before epoch {Epoch}: scan {Scan}; similarity to full fidelity ") +
        string.Join(", ", Candidates.Select((c, i) => FormattableString.Invariant($"{c}: {Similarities[i]:F3}"))) +
        FormattableString.Invariant($"; {BytesRead:N0} bytes, {Duration.TotalSeconds:F1} s");
}
