using System.Diagnostics;
using System.Globalization;

namespace Microsoft.ML.Pcr.Training;

/// <summary>
/// The automatic scan policy (PCR paper, section 4): before the measuring epochs, compares the gradient of the current
/// model at each candidate scan group with the full-fidelity gradient on the same rows and reads at the smallest
/// candidate whose cosine similarity reaches the threshold.
/// </summary>
internal sealed class AutomaticScanPolicy : IScanPolicy
{
    private readonly AutomaticScanPolicyOptions _options;
    private readonly int[]? _candidates;
    private int? _current;

    public AutomaticScanPolicy(AutomaticScanPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.StartEpoch, nameof(options.StartEpoch));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Frequency, 1, nameof(options.Frequency));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchesMeasured, 1, nameof(options.BatchesMeasured));
        if (!(options.Threshold is > 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(options.Threshold), options.Threshold, "The similarity threshold must be in (0, 1].");
        if (options.InitialScan is < 1)
            throw new ArgumentOutOfRangeException(nameof(options.InitialScan), options.InitialScan, "The initial scan group must be 1 or more (or null for full fidelity).");
        if (options.Candidates is { } candidates)
        {
            if (candidates.Count == 0) throw new ArgumentException("At least one candidate scan group is needed (or null for every scan group).", nameof(options.Candidates));
            foreach (int c in candidates)
                if (c < 1) throw new ArgumentOutOfRangeException(nameof(options.Candidates), c, "Every candidate scan group must be 1 or more.");
            _candidates = [.. candidates.Distinct().Order()];
        }
        // Copied so that later changes to the caller's options do not change a policy already given to a trainer.
        _options = new AutomaticScanPolicyOptions
        {
            StartEpoch = options.StartEpoch, Frequency = options.Frequency, BatchesMeasured = options.BatchesMeasured,
            Threshold = options.Threshold, Candidates = _candidates, AllowIncrease = options.AllowIncrease, InitialScan = options.InitialScan,
        };
    }

    public bool IsFullFidelity => false;

    public int ChooseScan(ScanPolicyContext context)
    {
        int count = context.ScanGroupCount;
        if (context.Epoch == 0) _current = null; // a new Fit
        bool measure = context.Epoch >= _options.StartEpoch && (context.Epoch - _options.StartEpoch) % _options.Frequency == 0;
        if (!measure) return _current ?? Math.Min(_options.InitialScan ?? count, count);

        IGradientProbe probe = context.GradientProbe
            ?? throw new InvalidOperationException("The automatic scan policy measures gradients through the trainer; it was consulted without one.");
        // Full fidelity is the reference: it is always a candidate (similarity 1 up to rounding), and the fallback.
        int[] candidates = [.. (_candidates ?? Enumerable.Range(1, count)).Where(c => c < count).Append(count)];
        var watch = Stopwatch.StartNew();
        (double[] similarities, long bytes) = probe.Similarities(candidates, _options.BatchesMeasured);
        watch.Stop();
        int chosen = count;
        for (int i = 0; i < candidates.Length; i++)
        {
            if (similarities[i] >= _options.Threshold)
            {
                chosen = candidates[i];
                break;
            }
        }
        if (!_options.AllowIncrease && _current is int previous) chosen = Math.Min(chosen, previous);
        _current = chosen;
        context.Decision = new ScanDecision(context.Epoch, chosen, candidates, similarities, bytes, watch.Elapsed);
        return chosen;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"automatic (from epoch {_options.StartEpoch} every {_options.Frequency}, {_options.BatchesMeasured} batches, threshold {_options.Threshold}, " +
        $"candidates {(_candidates is null ? "all" : string.Join(",", _candidates))}{(_options.AllowIncrease ? "" : ", never increasing")})");
}
