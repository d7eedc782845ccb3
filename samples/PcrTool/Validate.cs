using System.CommandLine;
using System.CommandLine.Parsing;

namespace PcrTool;

/// <summary>Range checks on options, reported as parse errors (usage printed, non-zero exit).</summary>
internal static class Validate
{
    public static void AtLeast(Option<int> option, int min) =>
        option.Validators.Add(r =>
        {
            if (TryGet(r, out int v) && v < min) r.AddError($"{option.Name} must be at least {min}.");
        });

    public static void AtLeast(Option<int?> option, int min) =>
        option.Validators.Add(r =>
        {
            if (TryGet(r, out int v) && v < min) r.AddError($"{option.Name} must be at least {min}.");
        });

    public static void Between(Option<int> option, int min, int max) =>
        option.Validators.Add(r =>
        {
            if (TryGet(r, out int v) && (v < min || v > max)) r.AddError($"{option.Name} must be between {min} and {max}.");
        });

    // A value that is not a number already has its parse error; there is no range to check.
    private static bool TryGet(OptionResult result, out int value)
    {
        try
        {
            value = result.GetValueOrDefault<int>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = 0;
            return false;
        }
    }
}
