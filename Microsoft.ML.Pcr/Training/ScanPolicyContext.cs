namespace Microsoft.ML.Pcr.Training;

/// <summary>What an <see cref="IScanPolicy"/> knows when it chooses the scan group of an epoch.</summary>
public sealed class ScanPolicyContext
{
    internal ScanPolicyContext(int epoch, int epochCount, int scanGroupCount, IReadOnlyList<PcrTrainingEpochMetrics> history, IGradientProbe? gradientProbe = null)
    {
        GradientProbe = gradientProbe;
        Epoch = epoch;
        EpochCount = epochCount;
        ScanGroupCount = scanGroupCount;
        History = history;
    }

    /// <summary>Gets the epoch about to run, 0-based.</summary>
    public int Epoch { get; }

    /// <summary>Gets the number of epochs the trainer runs at most.</summary>
    public int EpochCount { get; }

    /// <summary>Gets the number of scan groups of full fidelity (L) of the training data.</summary>
    public int ScanGroupCount { get; }

    /// <summary>Gets the metrics of the epochs run so far, oldest first.</summary>
    public IReadOnlyList<PcrTrainingEpochMetrics> History { get; }

    /// <summary>Gets the trainer's gradient measurement on the current model (null for data that is not a PCR view).</summary>
    internal IGradientProbe? GradientProbe { get; }

    /// <summary>Gets or sets the measurement a policy took for this epoch, which the trainer reports with the epoch's metrics.</summary>
    internal ScanDecision? Decision { get; set; }
}
