using Spectre.Console;

namespace PcrTool;

/// <summary>
/// Progress of a long command: a live bar on a terminal; on redirected output, plain unpadded lines at every tenth of the
/// work, so that logs show that something is happening without terminal control codes or trailing spaces.
/// </summary>
internal static class ToolProgress
{
    /// <summary>Runs <paramref name="body"/>, which reports how many of <paramref name="total"/> units are done through the callback it gets.</summary>
    public static async Task<T> RunAsync<T>(IAnsiConsole console, string what, long total, Func<Action<long>, Task<T>> body)
    {
        total = Math.Max(total, 1);
        if (console.Profile.Capabilities.Interactive)
        {
            return await console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    ProgressTask task = progress.AddTask(Markup.Escape(what), maxValue: total);
                    T result = await body(done => task.Value = done).ConfigureAwait(false);
                    task.Value = total;
                    return result;
                }).ConfigureAwait(false);
        }

        var gate = new Lock();
        long lastTenth = 0;
        console.WriteLine($"{what}: 0/{Units.Count(total)}");
        return await body(done =>
        {
            long tenth = Math.Min(done, total) * 10 / total;
            lock (gate)
            {
                if (tenth <= lastTenth) return;
                lastTenth = tenth;
                console.WriteLine($"{what}: {Units.Count(done)}/{Units.Count(total)} ({tenth * 10}%)");
            }
        }).ConfigureAwait(false);
    }
}
