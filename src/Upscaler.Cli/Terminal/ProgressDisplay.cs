using Spectre.Console;
using Upscaler.Core;

namespace Upscaler.Cli.Terminal;

/// <summary>
/// Shows per-file progress on stderr: a live bar on a terminal, plain lines (at every 10 %) when
/// stderr is redirected to a file or pipe, so logs stay readable.
/// </summary>
internal sealed class ProgressDisplay(TextWriter error, bool interactive)
{
    public async Task<T> RunAsync<T>(string label, Func<IProgress<UpscaleProgress>, Task<T>> work)
    {
        if (!interactive)
            return await work(new PlainLines(error, label));

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });
        return await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(label), maxValue: 1);
                var result = await work(new Progress<UpscaleProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.TilesTotal);
                    task.Value = p.TilesDone;
                }));
                task.Value = task.MaxValue;
                return result;
            });
    }

    /// <summary>Synchronous on purpose: lines come out in order, each decile once.</summary>
    private sealed class PlainLines(TextWriter error, string label) : IProgress<UpscaleProgress>
    {
        private int _lastDecile = -1;

        public void Report(UpscaleProgress value)
        {
            int decile = (int)(value.Fraction * 10);
            if (decile == _lastDecile || value.TilesTotal == 0)
                return;
            _lastDecile = decile;
            error.WriteLine($"{label}: {decile * 10}% ({value.TilesDone}/{value.TilesTotal} tiles)");
        }
    }
}
