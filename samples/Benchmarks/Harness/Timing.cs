using System.Diagnostics;

namespace Pcr.Benchmarks.Harness;

/// <summary>
/// The one timing rule of these benchmarks: contenders run interleaved (A B C, A B C, ...) so that a noisy
/// neighbour hurts all of them alike, each is repeated, and the median of its repeats is kept.
/// </summary>
internal static class Timing
{
    /// <summary>Runs every contender once to warm it up, then <paramref name="repeats"/> rounds of all contenders in turn.</summary>
    /// <returns>The median seconds of each contender, in the order given.</returns>
    public static double[] InterleavedMedians(int repeats, params Action[] contenders)
    {
        foreach (Action warmUp in contenders) warmUp();
        var seconds = new List<double>[contenders.Length];
        for (int c = 0; c < contenders.Length; c++) seconds[c] = new List<double>(repeats);
        for (int round = 0; round < repeats; round++)
        {
            // Alternate the order of each round as well, so no contender always runs right after the same other.
            for (int i = 0; i < contenders.Length; i++)
            {
                int c = round % 2 == 0 ? i : contenders.Length - 1 - i;
                seconds[c].Add(Seconds(contenders[c]));
            }
        }
        return [.. seconds.Select(Median)];
    }

    /// <summary>Times one run of <paramref name="action"/>, in seconds.</summary>
    public static double Seconds(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>The median of <paramref name="values"/> (the upper one of an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}
