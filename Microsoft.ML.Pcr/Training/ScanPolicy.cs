namespace Microsoft.ML.Pcr.Training;

/// <summary>The scan policies of <see cref="PcrImageClassificationTrainer"/>: full fidelity, one fixed scan group, a per-epoch schedule, or an automatic choice.</summary>
public static class ScanPolicy
{
    /// <summary>Gets the policy that reads every epoch at full fidelity (the default).</summary>
    public static IScanPolicy Full { get; } = new FixedPolicy(null);

    /// <summary>Create a policy that reads every epoch at scan group <paramref name="scan"/> (capped at the dataset's full fidelity).</summary>
    /// <param name="scan">The scan group, 1 or more.</param>
    /// <returns>The policy.</returns>
    public static IScanPolicy Fixed(int scan)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scan, 1);
        return new FixedPolicy(scan);
    }

    /// <summary>
    /// Create a policy that reads epoch i at <c>scans[i]</c> (null for full fidelity; values above the dataset's scan
    /// group count mean full fidelity); epochs past the end of the schedule keep its last entry. For example
    /// <c>Schedule(2, 2, 5, 5, null)</c>.
    /// </summary>
    /// <param name="scans">One scan group per epoch, at least one.</param>
    /// <returns>The policy.</returns>
    public static IScanPolicy Schedule(params int?[] scans)
    {
        ArgumentNullException.ThrowIfNull(scans);
        if (scans.Length == 0) throw new ArgumentException("The schedule needs at least one scan group.", nameof(scans));
        foreach (int? s in scans)
            if (s is < 1) throw new ArgumentOutOfRangeException(nameof(scans), s, "Every scan group of the schedule must be 1 or more (or null for full fidelity).");
        return new SchedulePolicy([.. scans]);
    }

    /// <summary>
    /// Create a policy that chooses the scan group from gradients, as the PCR paper's training script does: before epoch
    /// <see cref="AutomaticScanPolicyOptions.StartEpoch"/> and then every <see cref="AutomaticScanPolicyOptions.Frequency"/>
    /// epochs it reads the same training rows (the fewest whole records holding <see cref="AutomaticScanPolicyOptions.BatchesMeasured"/>
    /// batches) at full fidelity and at every candidate scan group (as record prefixes, through the loader; the full-fidelity
    /// bytes are read once and the candidates' prefixes taken from them), computes the gradient over them without an optimizer
    /// step, and reads the following epochs at the smallest candidate whose gradient has a cosine similarity of at least <see cref="AutomaticScanPolicyOptions.Threshold"/> with the full-fidelity one.
    /// Measuring leaves the model as it was: the network runs in training mode (so the gradient is the one a training step
    /// would take, batch statistics included) and its batch-norm running statistics and gradients are restored afterwards.
    /// Every decision is reported on <see cref="PcrTrainingEpochMetrics.ScanDecision"/> and in <c>MLContext.Log</c>.
    /// </summary>
    /// <param name="options">When and how to measure; null for the defaults (the paper's: from epoch 5 every 15 epochs, 10 batches, threshold 0.8).</param>
    /// <returns>The policy (it remembers its last choice; give each trainer its own).</returns>
    public static IScanPolicy Automatic(AutomaticScanPolicyOptions? options = null) => new AutomaticScanPolicy(options ?? new AutomaticScanPolicyOptions());

    /// <summary>
    /// Parses a schedule as the sample and the command line write it: comma-separated scan groups, <c>full</c> for full
    /// fidelity (e.g. <c>2,2,5,5,full</c>); a single value is a fixed scan group.
    /// </summary>
    /// <param name="text">The schedule text.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="FormatException">An entry is neither a positive integer nor <c>full</c>.</exception>
    public static IScanPolicy Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var scans = new List<int?>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Equals("full", StringComparison.OrdinalIgnoreCase)) scans.Add(null);
            else if (int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int s) && s >= 1) scans.Add(s);
            else throw new FormatException($"'{part}' in the scan schedule '{text}' is neither a scan group (1 or more) nor 'full'.");
        }
        return scans.Count == 1 ? (scans[0] is int one ? Fixed(one) : Full) : Schedule([.. scans]);
    }

    private static int Cap(int? scan, int count) => scan is int s ? Math.Min(s, count) : count;

    private sealed class FixedPolicy(int? scan) : IScanPolicy
    {
        public bool IsFullFidelity => scan is null;

        public int ChooseScan(ScanPolicyContext context) => Cap(scan, context.ScanGroupCount);

        public override string ToString() => scan?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "full";
    }

    private sealed class SchedulePolicy(int?[] scans) : IScanPolicy
    {
        public bool IsFullFidelity => scans.All(s => s is null);

        public int ChooseScan(ScanPolicyContext context) => Cap(scans[Math.Min(context.Epoch, scans.Length - 1)], context.ScanGroupCount);

        public override string ToString() => string.Join(",", scans.Select(s => s?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "full"));
    }
}
