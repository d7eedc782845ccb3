namespace Microsoft.ML.Pcr.Training;

/// <summary>The scan policies of <see cref="PcrImageClassificationTrainer"/>: full fidelity, one fixed scan group, or a per-epoch schedule.</summary>
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
