using System.Globalization;
using System.Text;

namespace Pcr.Benchmarks.Harness;

/// <summary>
/// Collects the markdown the benchmarks print: a heading per table, tables, targets with PASS/MISS and "skipped" notes.
/// Everything written is echoed to the console at once and kept for the results file.
/// </summary>
internal sealed class Report
{
    private readonly StringBuilder _text = new();
    private readonly List<(string Table, string Target, bool Pass)> _targets = [];
    private string _table = "";

    public string Text => _text.ToString();

    public IReadOnlyList<(string Table, string Target, bool Pass)> Targets => _targets;

    public void Heading(string title)
    {
        _table = title;
        Line($"## {title}");
        Line();
    }

    public void Line(string text = "")
    {
        Console.WriteLine(text);
        _text.AppendLine(text);
    }

    public void Note(string text)
    {
        Line(text);
        Line();
    }

    public void Skipped(string reason) => Note($"skipped: {reason}");

    /// <summary>Writes a markdown table; columns after the first are right-aligned.</summary>
    public void Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        Line("| " + string.Join(" | ", header) + " |");
        Line("|" + string.Join("|", header.Select((_, i) => i == 0 ? "---" : "---:")) + "|");
        foreach (IReadOnlyList<string> row in rows) Line("| " + string.Join(" | ", row) + " |");
        Line();
    }

    /// <summary>Reports a target as PASS or MISS, with the measured value that decided it.</summary>
    public void Target(string target, bool pass, string measured)
    {
        _targets.Add((_table, target, pass));
        Line($"- target {target}: **{(pass ? "PASS" : "MISS")}** ({measured})");
    }

    public static string F(double value, int decimals = 1) =>
        double.IsFinite(value) ? value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "n/a";

    public static string Ratio(double value) => F(value, 2) + "x";

    public static string Percent(double share, int decimals = 1) => F(share * 100, decimals) + "%";

    public static string MB(double bytes) => F(bytes / 1e6, 1) + " MB";
}
