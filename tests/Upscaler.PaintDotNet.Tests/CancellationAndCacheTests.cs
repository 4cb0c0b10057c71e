using Upscaler.PaintDotNet.Adapter;

namespace Upscaler.PaintDotNet.Tests;

public class CancellationPollingTests
{
    [Test]
    public void Returns_the_result_when_not_cancelled() =>
        Assert.That(CancellationPolling.Run(_ => Task.FromResult(42), () => false), Is.EqualTo(42));

    [Test]
    public void A_flag_already_raised_does_not_start_the_work()
    {
        bool started = false;
        Assert.Throws(Is.InstanceOf<OperationCanceledException>(), () => CancellationPolling.Run(_ => { started = true; return Task.FromResult(0); }, () => true));
        Assert.That(started, Is.False);
    }

    [Test]
    public void A_flag_raised_during_the_work_cancels_its_token()
    {
        int polls = 0;
        Assert.Throws(Is.InstanceOf<OperationCanceledException>(), () => CancellationPolling.Run(
            async ct => { await Task.Delay(Timeout.Infinite, ct); return 0; },
            () => ++polls >= 3, TimeSpan.FromMilliseconds(5)));
    }

    [Test]
    public void Errors_of_the_work_come_out_unwrapped() =>
        Assert.Throws<InvalidOperationException>(() => CancellationPolling.Run<int>(_ => throw new InvalidOperationException("boom"), () => false));
}

public class RenderCacheTests
{
    [Test]
    public void Same_settings_and_pixels_compute_once()
    {
        var cache = new RenderCache();
        int runs = 0;
        BgraCanvas Compute(BgraCanvas c, EffectSettings s) { runs++; return c.Clone(); }
        var source = TestCanvases.Random(4, 4);

        var first = cache.GetOrCompute(source, EffectSettings.Default, Compute);
        var second = cache.GetOrCompute(source.Clone(), EffectSettings.Default with { }, Compute);

        Assert.That(runs, Is.EqualTo(1));
        Assert.That(second, Is.SameAs(first));
    }

    [Test]
    public void Changed_settings_or_pixels_compute_again()
    {
        var cache = new RenderCache();
        int runs = 0;
        BgraCanvas Compute(BgraCanvas c, EffectSettings s) { runs++; return c.Clone(); }
        var source = TestCanvases.Random(4, 4);

        cache.GetOrCompute(source, EffectSettings.Default, Compute);
        cache.GetOrCompute(source, EffectSettings.Default with { DenoisePercent = 10 }, Compute);
        var changed = source.Clone();
        changed.Data[5] ^= 1;
        cache.GetOrCompute(changed, EffectSettings.Default with { DenoisePercent = 10 }, Compute);

        Assert.That(runs, Is.EqualTo(3));
    }

    [Test]
    public void A_failed_computation_leaves_nothing_cached()
    {
        var cache = new RenderCache();
        var source = TestCanvases.Random(2, 2);
        Assert.Throws<OperationCanceledException>(() => cache.GetOrCompute(source, EffectSettings.Default, (_, _) => throw new OperationCanceledException()));
        int runs = 0;
        cache.GetOrCompute(source, EffectSettings.Default, (c, _) => { runs++; return c; });
        Assert.That(runs, Is.EqualTo(1));
    }
}
