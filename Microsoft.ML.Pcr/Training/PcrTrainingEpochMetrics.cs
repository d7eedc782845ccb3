namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// What one training epoch of <see cref="PcrImageClassificationTrainer"/> measured, handed to
/// <see cref="PcrImageClassificationTrainer.Options.MetricsCallback"/> and written to <c>MLContext.Log</c>.
/// </summary>
public sealed class PcrTrainingEpochMetrics
{
    /// <summary>Gets the epoch, 0-based.</summary>
    public int Epoch { get; init; }

    /// <summary>Gets the scan group the epoch read the training data at (the full count for data that is not a PCR view).</summary>
    public int Scan { get; init; }

    /// <summary>Gets the bytes the epoch read: record bytes for a PCR view, encoded image bytes otherwise.</summary>
    public long BytesRead { get; init; }

    /// <summary>Gets the number of training images the epoch used.</summary>
    public long Images { get; init; }

    /// <summary>Gets the number of images skipped because they could not be decoded (only with <see cref="PcrImageClassificationTrainer.Options.SkipUndecodableImages"/>).</summary>
    public long SkippedImages { get; init; }

    /// <summary>Gets the mean cross-entropy of the epoch's training batches.</summary>
    public float Loss { get; init; }

    /// <summary>Gets the accuracy on the training batches (with augmentation, as trained).</summary>
    public float TrainAccuracy { get; init; }

    /// <summary>Gets the accuracy on the validation set, or <see langword="null"/> without one.</summary>
    public float? ValidationAccuracy { get; init; }

    /// <summary>Gets the mean cross-entropy on the validation set, or <see langword="null"/> without one.</summary>
    public float? ValidationLoss { get; init; }

    /// <summary>Gets the learning rate at the end of the epoch.</summary>
    public float LearningRate { get; init; }

    /// <summary>Gets the training images per second (the training pass only).</summary>
    public double ImagesPerSecond { get; init; }

    /// <summary>Gets the share (0..1) of the training pass spent waiting for decoded batches: near 1 means I/O or decoding bound.</summary>
    public double DataWaitShare { get; init; }

    /// <summary>Gets the time of the training pass (without validation).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Gets what the scan policy measured before this epoch to choose <see cref="Scan"/> (the automatic policy's measuring epochs), or <see langword="null"/>.</summary>
    public ScanDecision? ScanDecision { get; init; }

    /// <summary>Returns the line the trainer writes to the log.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"epoch {Epoch}: scan {Scan}, {BytesRead:N0} bytes, loss {Loss:F4}, train accuracy {TrainAccuracy:P1}") +
        (ValidationAccuracy is float v ? FormattableString.Invariant($", validation accuracy {v:P1}") : "") +
        FormattableString.Invariant($", {ImagesPerSecond:F0} images/s, waiting for data {DataWaitShare:P0}, {Duration.TotalSeconds:F1} s") +
        (SkippedImages > 0 ? FormattableString.Invariant($", {SkippedImages} undecodable images skipped") : "");
}
