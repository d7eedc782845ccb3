namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// Stops training when the watched metric has not improved by at least <see cref="MinDelta"/> for
/// <see cref="Patience"/> epochs, as ML.NET's image classification trainer's early stopping does. The metric is the
/// validation set's when there is one, the training batches' otherwise.
/// </summary>
public sealed class PcrEarlyStopping
{
    /// <summary>The metric watched.</summary>
    public enum EarlyStoppingMetric
    {
        /// <summary>Accuracy (higher is better).</summary>
        Accuracy,

        /// <summary>Cross-entropy (lower is better).</summary>
        Loss,
    }

    /// <summary>Create an early stopping rule.</summary>
    /// <param name="minDelta">The smallest change that counts as an improvement, 0 or more.</param>
    /// <param name="patience">Epochs without improvement before stopping, 1 or more.</param>
    /// <param name="metric">The metric watched.</param>
    public PcrEarlyStopping(float minDelta = 0.01f, int patience = 5, EarlyStoppingMetric metric = EarlyStoppingMetric.Accuracy)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minDelta);
        ArgumentOutOfRangeException.ThrowIfLessThan(patience, 1);
        MinDelta = minDelta;
        Patience = patience;
        Metric = metric;
    }

    /// <summary>Gets the smallest change that counts as an improvement.</summary>
    public float MinDelta { get; }

    /// <summary>Gets the number of epochs without improvement before training stops.</summary>
    public int Patience { get; }

    /// <summary>Gets the metric watched.</summary>
    public EarlyStoppingMetric Metric { get; }

    /// <summary>Whether training should stop after the epochs in <paramref name="history"/>.</summary>
    internal bool ShouldStop(IReadOnlyList<PcrTrainingEpochMetrics> history)
    {
        float Value(PcrTrainingEpochMetrics m) => Metric == EarlyStoppingMetric.Accuracy
            ? m.ValidationAccuracy ?? m.TrainAccuracy
            : -(m.ValidationLoss ?? m.Loss);
        if (history.Count <= Patience) return false;
        float best = float.NegativeInfinity;
        for (int i = 0; i < history.Count - Patience; i++) best = Math.Max(best, Value(history[i]));
        for (int i = history.Count - Patience; i < history.Count; i++)
            if (Value(history[i]) >= best + MinDelta) return false;
        return true;
    }
}
