using System.CommandLine;

namespace PcrTool;

/// <summary>Range checks on options, reported as parse errors (usage printed, non-zero exit).</summary>
internal static class Validate
{
    public static void AtLeast(Option<int> option, int min) =>
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < min) r.AddError($"{option.Name} must be at least {min}.");
        });

    public static void Between(Option<int> option, int min, int max) =>
        option.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < min || v > max) r.AddError($"{option.Name} must be between {min} and {max}.");
        });
}
