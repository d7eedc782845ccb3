namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// Options for <see cref="ScanPolicy.Automatic(AutomaticScanPolicyOptions)"/>: when the policy measures, on how many
/// batches, which scan groups it considers and how close to full fidelity their gradient must be.
/// </summary>
public sealed class AutomaticScanPolicyOptions
{
    /// <summary>The first epoch (0-based) before which the policy measures; epochs before it read at <see cref="InitialScan"/>. Default 5.</summary>
    public int StartEpoch = 5;

    /// <summary>Measure again every this many epochs after <see cref="StartEpoch"/>; between measurements the last choice holds. Default 15.</summary>
    public int Frequency = 15;

    /// <summary>
    /// The training batches (at the trainer's batch size) each measurement needs at least: it reads the fewest whole records that
    /// hold them (a seeded choice; records are the unit a PCR is read in) and measures every row of those, the same rows for every
    /// candidate. Default 10.
    /// </summary>
    public int BatchesMeasured = 10;

    /// <summary>The cosine similarity to the full-fidelity gradient a candidate needs, in (0, 1]. Default 0.8.</summary>
    public double Threshold = 0.8;

    /// <summary>The scan groups considered (values above the dataset's scan group count are ignored); null for every scan group the dataset has.</summary>
    public IReadOnlyList<int>? Candidates;

    /// <summary>Whether a later measurement may choose a higher scan group than the current one (the published method never goes back up). Default true.</summary>
    public bool AllowIncrease = true;

    /// <summary>The scan group of the epochs before <see cref="StartEpoch"/>; null for full fidelity.</summary>
    public int? InitialScan;
}
