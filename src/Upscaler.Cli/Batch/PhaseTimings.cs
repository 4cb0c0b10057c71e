using System.Diagnostics;
using System.Globalization;
using Upscaler.Core;

namespace Upscaler.Cli.Batch;

/// <summary>
/// Where one image's time went, for <c>--timings</c>: a line such as
/// <c>timings: a.png: start-up 0.16 s, decode 0.04 s, auto denoise 0.01 s, model load 0.03 s, upscale 3.20 s, encode 1.95 s, total 5.38 s; peak memory 0.65 GB</c>.
/// Start-up (from the process's start to the first image: runtime, argument parsing, catalog) is in the
/// first image's line only; model load is the engine's work before the first tile (opening and
/// checking the model's sessions, converting the pixels), measured at the engine's first progress report.
/// </summary>
internal sealed class PhaseTimings
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(string Name, double Seconds)> _phases = [];
    private double _mark;

    /// <param name="startUp">Seconds from the process's start to this image, for the first image; else null.</param>
    public PhaseTimings(double? startUp)
    {
        if (startUp is double s)
            _phases.Add(("start-up", s));
    }

    /// <summary>Seconds since the process started, as the operating system recorded its start.</summary>
    public static double SinceProcessStart()
    {
        using var self = Process.GetCurrentProcess();
        return Math.Max(0, (DateTime.Now - self.StartTime).TotalSeconds);
    }

    /// <summary>Ends the current phase under this name.</summary>
    public void End(string phase)
    {
        double now = _clock.Elapsed.TotalSeconds;
        _phases.Add((phase, now - _mark));
        _mark = now;
    }

    /// <summary>Forwards the engine's progress, ending the "model load" phase at its first report.</summary>
    public IProgress<UpscaleProgress> Watch(IProgress<UpscaleProgress> inner) => new FirstReport(this, inner);

    public string Line(string input)
    {
        double total = _phases.Sum(p => p.Seconds);
        string phases = string.Join(", ", _phases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name} {p.Seconds:0.00} s")));
        using var self = Process.GetCurrentProcess();
        return string.Create(CultureInfo.InvariantCulture, $"timings: {input}: {phases}, total {total:0.00} s; peak memory {self.PeakWorkingSet64 / 1e9:0.00} GB");
    }

    private sealed class FirstReport(PhaseTimings timings, IProgress<UpscaleProgress> inner) : IProgress<UpscaleProgress>
    {
        private int _seen;

        public void Report(UpscaleProgress value)
        {
            if (Interlocked.Exchange(ref _seen, 1) == 0)
                timings.End("model load");
            inner.Report(value);
        }
    }
}
