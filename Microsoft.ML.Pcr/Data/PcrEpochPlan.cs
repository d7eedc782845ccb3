using Microsoft.ML.Pcr.Format;

namespace Microsoft.ML.Pcr.Data;

/// <summary>
/// What one worker reads in one epoch: the global record order (a function of seed and epoch only), this worker's share of it
/// (order positions p with p mod WorkerCount = WorkerIndex), the padding that gives every worker the same row count, and the
/// rows a resumed epoch skips. Every worker computes every worker's plan from the index alone, so no coordination is needed.
/// </summary>
internal sealed class PcrEpochPlan
{
    /// <summary>One record read of the plan: the record's permuted images First..First+Count-1; Round 0 is the share, 1.. the padding repeats.</summary>
    internal readonly record struct Step(int Record, int First, int Count, int Round);

    private readonly int _permutationSeed;

    public PcrEpochPlan(PcrDataset dataset, int[] records, int? seed, int epoch, int workerIndex, int workerCount, long rowsPerWorker, long skipRows)
    {
        Seed = seed;
        int[] order = (int[])records.Clone();
        if (seed is int s)
        {
            _permutationSeed = MixSeed(s, epoch);
            new Random(_permutationSeed).Shuffle(order);
        }

        var share = new List<int>();
        long shareRows = 0;
        for (int p = workerIndex; p < order.Length; p += workerCount)
        {
            share.Add(order[p]);
            shareRows += dataset.Records[order[p]].ImageCount;
        }
        Share = [.. share];

        var steps = new List<Step>(share.Count + 1);
        foreach (int r in share) steps.Add(new Step(r, 0, dataset.Records[r].ImageCount, 0));
        long padding = rowsPerWorker - shareRows;
        if (padding > 0 && shareRows == 0)
            throw new InvalidOperationException(
                $"Worker {workerIndex} of {workerCount} got only records without images in epoch {epoch}, so it cannot repeat rows to reach the {rowsPerWorker} rows every worker yields.");
        // Padding repeats this worker's own rows from the start of its share, in the same order, for as many rounds as it takes.
        for (int round = 1; padding > 0; round++)
        {
            foreach (int r in share)
            {
                int count = (int)Math.Min(dataset.Records[r].ImageCount, padding);
                if (count == 0) continue;
                steps.Add(new Step(r, 0, count, round));
                padding -= count;
                if (padding == 0) break;
            }
        }

        // A resumed epoch drops the rows already yielded; a partly consumed step keeps its remaining rows (its prefix is read again).
        int first = 0;
        while (skipRows > 0 && first < steps.Count)
        {
            Step step = steps[first];
            if (skipRows < step.Count)
            {
                steps[first] = step with { First = step.First + (int)skipRows, Count = step.Count - (int)skipRows };
                break;
            }
            skipRows -= step.Count;
            first++;
        }
        FirstStep = first;
        Steps = [.. steps.Skip(first)];
    }

    /// <summary>Gets the shuffle seed, or null when the order is the records' own.</summary>
    public int? Seed { get; }

    /// <summary>Gets this worker's records of the epoch, in the order it reads them (without padding).</summary>
    public int[] Share { get; }

    /// <summary>Gets the record reads left to do, in order.</summary>
    public Step[] Steps { get; }

    /// <summary>Gets the number of whole steps a resumed epoch skipped, so that <see cref="Steps"/>[i] is step FirstStep + i of the epoch.</summary>
    public int FirstStep { get; }

    /// <summary>Fills <paramref name="permutation"/> with the order in which <paramref name="record"/>'s images are yielded: a function of seed, epoch and record.</summary>
    public void Permute(int record, Span<int> permutation)
    {
        for (int i = 0; i < permutation.Length; i++) permutation[i] = i;
        if (Seed is not null) new Random(MixSeed(_permutationSeed, record)).Shuffle(permutation);
    }

    /// <summary>
    /// The rows every worker yields per epoch: the images of the ceil(records / workers) largest records, the most any worker's
    /// share can hold whatever the order, so that the count is the same in every epoch and for every seed.
    /// </summary>
    public static long RowsPerWorker(PcrDataset dataset, int[] records, int workerCount)
    {
        int take = (records.Length + workerCount - 1) / workerCount;
        return records.Select(r => (long)dataset.Records[r].ImageCount).OrderDescending().Take(take).Sum();
    }

    /// <summary>
    /// SplitMix64's finaliser over two numbers (a seed and an epoch, or a seed and a record), folded to a non-negative int seed.
    /// Fixed arithmetic, not <see cref="HashCode"/> (randomised per process), so a seed gives the same order in every run.
    /// </summary>
    internal static int MixSeed(int seed, int value)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)value) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z ^ (z >> 32)) & int.MaxValue;
    }
}
