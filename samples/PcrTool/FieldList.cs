using Spectre.Console;

namespace PcrTool;

/// <summary>Name and value lines, the names aligned, the values not padded (so that redirected output has no trailing spaces).</summary>
internal sealed class FieldList
{
    private readonly List<(string Name, string Value)> _rows = [];

    public void Add(string name, string value) => _rows.Add((name, value));

    public void WriteTo(IAnsiConsole console)
    {
        int width = _rows.Max(r => r.Name.Length) + 2;
        foreach ((string name, string value) in _rows) console.WriteLine(name.PadRight(width) + value);
    }
}
