namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// Chooses the scan group each training epoch reads a <see cref="Data.PcrDataView"/> at. The trainer consults it
/// before every epoch, with what the previous epochs measured, so that a policy can adapt (an automatic choice is a
/// later addition); <see cref="ScanPolicy"/> has the fixed and scheduled ones.
/// </summary>
public interface IScanPolicy
{
    /// <summary>Returns the scan group for the epoch <paramref name="context"/> describes, 1..<see cref="ScanPolicyContext.ScanGroupCount"/>.</summary>
    /// <param name="context">The epoch about to run, the dataset's scan group count and the metrics of the epochs so far.</param>
    /// <returns>The scan group to read at.</returns>
    int ChooseScan(ScanPolicyContext context);

    /// <summary>Gets whether the policy reads every epoch at full fidelity (the only policy allowed for data that is not a PCR view).</summary>
    bool IsFullFidelity { get; }
}
