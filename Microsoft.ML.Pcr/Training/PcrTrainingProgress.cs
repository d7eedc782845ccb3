namespace Microsoft.ML.Pcr.Training;

/// <summary>Where training is, reported after every batch to <see cref="PcrImageClassificationTrainer.Options.Progress"/> (for a progress bar).</summary>
/// <param name="Epoch">The epoch, 0-based.</param>
/// <param name="EpochCount">The number of epochs at most.</param>
/// <param name="Images">Training images done in this epoch.</param>
/// <param name="ImagesPerEpoch">Training images per epoch, or <see langword="null"/> when the data does not know its row count.</param>
/// <param name="Loss">The current batch's cross-entropy.</param>
public readonly record struct PcrTrainingProgress(int Epoch, int EpochCount, long Images, long? ImagesPerEpoch, float Loss);
