namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// The trainer's narrow hook for a scan policy that measures: gradients of the current model on a fixed set of training
/// rows, read at full fidelity and at candidate scan groups, without changing the model.
/// </summary>
internal interface IGradientProbe
{
    /// <summary>
    /// Returns the cosine similarity of the gradient (over the same rows: the fewest whole records that hold
    /// <paramref name="batches"/> batches, every row of them) at each candidate scan group with the one at full fidelity,
    /// and the bytes the measurement read from the training source. Parameters, batch-norm statistics, gradients and
    /// optimizer state are as they were before.
    /// </summary>
    (double[] Similarities, long BytesRead) Similarities(IReadOnlyList<int> candidates, int batches);
}
