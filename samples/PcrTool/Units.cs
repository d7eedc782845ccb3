using System.Globalization;

namespace PcrTool;

/// <summary>How the commands print sizes, shares and measures (invariant culture, decimal megabytes).</summary>
internal static class Units
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Megabytes of 10^6 bytes, one decimal.</summary>
    public static string Megabytes(long bytes) => (bytes / 1e6).ToString("0.0", Invariant) + " MB";

    /// <summary>An exact byte count with its size in megabytes.</summary>
    public static string Bytes(long bytes) => $"{bytes.ToString("N0", Invariant)} bytes ({Megabytes(bytes)})";

    /// <summary>The first <paramref name="max"/> items joined with ", ", then how many more.</summary>
    public static string List(IEnumerable<string> items, int max = 30)
    {
        string[] all = [.. items];
        return all.Length <= max ? string.Join(", ", all) : string.Join(", ", all.Take(max)) + $", ... ({all.Length - max} more)";
    }

    public static string Count(long n) => n.ToString("N0", Invariant);

    public static string Percent(double share) => (share * 100).ToString("0.0", Invariant) + "%";

    public static string Decibels(double psnr) => double.IsPositiveInfinity(psnr) ? "inf (identical)" : psnr.ToString("0.00", Invariant) + " dB";

    public static string Fixed(double value, string format) => value.ToString(format, Invariant);
}
