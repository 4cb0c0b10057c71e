using System.Diagnostics;

namespace Upscaler.Core.Tests;

[TestFixture]
public class ProgressAndCancellationTests
{
    /// <summary>Records reports synchronously, unlike <see cref="Progress{T}"/>, which posts them later.</summary>
    private sealed class Recorder(Action<UpscaleProgress>? onReport = null) : IProgress<UpscaleProgress>
    {
        public List<UpscaleProgress> Reports { get; } = [];

        public void Report(UpscaleProgress value)
        {
            lock (Reports)
                Reports.Add(value);
            onReport?.Invoke(value);
        }
    }

    [Test]
    public async Task Progress_counts_every_tile_of_every_pass_up_to_the_total()
    {
        var engine = Engines.Create(Engines.TestModels);
        var recorder = new Recorder();
        var input = TestImages.Pattern(64, 40, PixelLayout.Rgba);

        await engine.UpscaleAsync(input, new UpscaleOptions { Scale = 8, TileSize = 16 }, recorder);

        // x8 = x4 pass on 64x40 (4x3 tiles) + x2 pass on 256x160 (16x10 tiles), for colour and alpha.
        int total = 2 * (4 * 3 + 16 * 10);
        Assert.That(recorder.Reports.Select(r => r.TilesTotal), Is.All.EqualTo(total));
        Assert.That(recorder.Reports.Select(r => r.TilesDone), Is.EqualTo(Enumerable.Range(0, total + 1)));
    }

    [Test]
    public void A_token_cancelled_before_the_start_stops_at_once()
    {
        var engine = Engines.Create(Engines.TestModels);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.CatchAsync<OperationCanceledException>(() =>
            engine.UpscaleAsync(TestImages.Pattern(32, 32), new UpscaleOptions(), null, cts.Token));
    }

    [Test]
    public void Cancelling_between_tiles_stops_the_upscale()
    {
        var engine = Engines.Create(Engines.TestModels);
        using var cts = new CancellationTokenSource();
        var recorder = new Recorder(p => { if (p.TilesDone == 2) cts.Cancel(); });

        Assert.CatchAsync<OperationCanceledException>(() =>
            engine.UpscaleAsync(TestImages.Pattern(64, 64), new UpscaleOptions { Scale = 2, TileSize = 16 }, recorder, cts.Token));
        Assert.That(recorder.Reports.Max(r => r.TilesDone), Is.EqualTo(2));
    }

    [Test]
    public void Cancelling_aborts_an_inference_that_is_already_running()
    {
        // One whole-image tile through a deliberately slow model: there is no tile boundary to stop at,
        // so only RunOptions.Terminate can end it early.
        var engine = Engines.Create(Engines.SlowModels);
        var input = TestImages.Pattern(900, 900);
        var options = new UpscaleOptions { Scale = 2, TileSize = 0 };
        using var cts = new CancellationTokenSource();
        var started = new Recorder(p => { if (p.TilesDone == 0) cts.CancelAfter(100); });

        var clock = Stopwatch.StartNew();
        Assert.CatchAsync<OperationCanceledException>(() => engine.UpscaleAsync(input, options, started, cts.Token));
        TestContext.Out.WriteLine($"cancelled after {clock.ElapsedMilliseconds} ms");
    }
}
