namespace Pcr.Benchmarks.Harness;

/// <summary>One table of the benchmarks: measures, then writes its markdown (and its targets) to the report.</summary>
internal interface IBenchmarkTable
{
    /// <summary>The name <c>--only</c> selects it by.</summary>
    string Name { get; }

    /// <summary>The table's heading.</summary>
    string Title { get; }

    void Run(BenchContext context, Report report);
}
