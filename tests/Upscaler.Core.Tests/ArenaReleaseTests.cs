using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Tests;

/// <summary>
/// The CPU arena after a pass (IdleArenas): kept while the engine is busy, so the next image reuses it, and
/// given back to the system once it has been idle, or when another model's pass needs the room.
/// </summary>
[TestFixture]
public class ArenaReleaseTests
{
    private static ServiceProvider Services(Action<UpscalerSettings> configure) =>
        new ServiceCollection().AddUpscaler(s =>
        {
            s.ModelsDirectory = Engines.ShippedModels;
            s.UserModelsDirectory = null;
            configure(s);
        }).BuildServiceProvider();

    private static UpscaleOptions Options(int scale, string model) =>
        new() { Scale = scale, ModelId = model, Device = ComputeDevice.Cpu, Faces = FaceMode.Off };

    private static long ResidentBytes()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    /// <summary>Reports synchronously, so the memory is read while the last tile's arena is still held.</summary>
    private sealed class ResidentAtLastTile : IProgress<UpscaleProgress>
    {
        public long Bytes { get; private set; }

        public void Report(UpscaleProgress value)
        {
            if (value.TilesDone == value.TilesTotal && value.TilesTotal > 0)
                Bytes = ResidentBytes();
        }
    }

    /// <summary>The lowest resident size seen within <paramref name="wait"/>.</summary>
    private static long LowestResidentWithin(TimeSpan wait)
    {
        long lowest = ResidentBytes();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < wait)
        {
            Thread.Sleep(100);
            lowest = Math.Min(lowest, ResidentBytes());
        }
        return lowest;
    }

    [Test]
    public async Task An_idle_engine_gives_the_arena_back_and_one_that_keeps_it_does_not()
    {
        // A 1 MP x4 pass in 524 px windows: its arena holds a few hundred MB of activations.
        var image = TestImages.Pattern(1000, 1000);
        const long arena = 100L << 20;

        long keptDrop;
        using (var keeping = Services(s => s.ReleaseCpuArenaAfterPass = false))
        {
            var atEnd = new ResidentAtLastTile();
            await keeping.GetRequiredService<IUpscaler>().UpscaleAsync(image, Options(4, "general-x4"), atEnd);
            keptDrop = atEnd.Bytes - LowestResidentWithin(TimeSpan.FromSeconds(2));
        }

        long releasedDrop;
        using (var releasing = Services(s => s.CpuArenaIdleTime = TimeSpan.FromMilliseconds(300)))
        {
            var atEnd = new ResidentAtLastTile();
            await releasing.GetRequiredService<IUpscaler>().UpscaleAsync(image, Options(4, "general-x4"), atEnd);
            releasedDrop = atEnd.Bytes - LowestResidentWithin(TimeSpan.FromSeconds(2));
            Assert.That(releasing.GetRequiredService<SessionCache>().IdleArenas!.Held, Is.Empty);
        }

        TestContext.Out.WriteLine($"resident memory fell by {keptDrop >> 20} MB with the arena kept, {releasedDrop >> 20} MB once idle");
        Assert.That(keptDrop, Is.LessThan(arena), "kept arena was given back");
        Assert.That(releasedDrop, Is.GreaterThan(arena), "idle arena was not given back");
    }

    [Test]
    public async Task The_arena_is_held_from_image_to_image_and_for_each_model_of_a_chain()
    {
        using var services = Services(s => s.CpuArenaIdleTime = TimeSpan.FromHours(1));
        var engine = services.GetRequiredService<IUpscaler>();
        var idle = services.GetRequiredService<SessionCache>().IdleArenas!;
        string[] Held() => idle.Held.Select(s => s.Model.Id).Order().ToArray();

        await engine.UpscaleAsync(TestImages.Pattern(64, 48), Options(4, "general-x4"));
        Assert.That(Held(), Is.EqualTo(new[] { "general-x4" }));
        await engine.UpscaleAsync(TestImages.Pattern(64, 48, seed: 2), Options(4, "general-x4"));
        Assert.That(Held(), Is.EqualTo(new[] { "general-x4" }));

        // x8: the x4 model, then the x2 model over its output; together well within twice the tile budget.
        await engine.UpscaleAsync(TestImages.Pattern(64, 48), new UpscaleOptions { Scale = 8, Device = ComputeDevice.Cpu, Faces = FaceMode.Off });
        Assert.That(Held(), Is.EqualTo(new[] { "general-x2", "general-x4" }));
        Assert.That(idle.GivenBack, Is.Zero);

        idle.GiveAllBack();
        Assert.That(Held(), Is.Empty);
        Assert.That(idle.GivenBack, Is.EqualTo(2));
    }

    [Test]
    public void A_pass_that_needs_the_room_has_the_other_arenas_given_back_largest_first()
    {
        // Twice the default 256 MiB budget may be held together.
        const long mib = 1 << 20;
        using var services = Services(s => s.CpuArenaIdleTime = TimeSpan.FromHours(1));
        var cache = services.GetRequiredService<SessionCache>();
        var catalog = services.GetRequiredService<Catalog.ModelCatalog>();
        ModelSession Session(string id) => cache.Get(catalog.GetById(id), ComputeDevice.Cpu);
        var idle = cache.IdleArenas!;
        string[] Held() => idle.Held.Select(s => s.Model.Id).Order().ToArray();

        using (Session("general-x4").BeginPass(300 * mib)) { }
        using (Session("face-x4").BeginPass(100 * mib)) { }
        Assert.That(Held(), Is.EqualTo(new[] { "face-x4", "general-x4" }));

        // 300 + 100 + 200 MiB is over 512: the largest other (general-x4) goes back, and that is enough.
        using (Session("general-x2").BeginPass(200 * mib))
            Assert.That(Held(), Is.EqualTo(new[] { "face-x4", "general-x2" }));
        Assert.That(idle.GivenBack, Is.EqualTo(1));

        // A big model's pass has every other arena given back.
        using (Session("text-x4").BeginPass(600 * mib))
            Assert.That(Held(), Is.EqualTo(new[] { "text-x4" }));
        Assert.That(idle.GivenBack, Is.EqualTo(3));
    }

    [Test]
    public async Task A_pass_in_progress_keeps_its_arena_while_another_model_runs()
    {
        using var services = Services(s => s.CpuArenaIdleTime = TimeSpan.FromHours(1));
        var engine = services.GetRequiredService<IUpscaler>();
        var idle = services.GetRequiredService<SessionCache>().IdleArenas!;
        using var firstTile = new ManualResetEventSlim();
        using var mayGoOn = new ManualResetEventSlim();
        var progress = new Gate(firstTile, mayGoOn);

        // A host's two upscales at once: general-x4 paused after its first tile while general-x2 runs whole.
        var large = Task.Run(() => engine.UpscaleAsync(TestImages.Pattern(256, 192), Options(4, "general-x4") with { TileSize = 64 }, progress));
        Assert.That(firstTile.Wait(TimeSpan.FromMinutes(1)), Is.True);
        await engine.UpscaleAsync(TestImages.Pattern(64, 48), Options(2, "general-x2"));
        Assert.That(idle.GivenBack, Is.Zero, "the arena of a pass in progress was given back");
        mayGoOn.Set();
        await large;

        Assert.That(idle.Held.Select(s => s.Model.Id).Order(), Is.EqualTo(new[] { "general-x2", "general-x4" }));
        idle.GiveAllBack();
        Assert.That(idle.GivenBack, Is.EqualTo(2));
    }

    /// <summary>Holds the upscale after its first tile until the test lets it go on.</summary>
    private sealed class Gate(ManualResetEventSlim firstTile, ManualResetEventSlim mayGoOn) : IProgress<UpscaleProgress>
    {
        public void Report(UpscaleProgress value)
        {
            if (value.TilesDone != 1)
                return;
            firstTile.Set();
            mayGoOn.Wait(TimeSpan.FromMinutes(1));
        }
    }

    [Test]
    public void A_cancelled_upscale_leaves_its_arena_to_be_given_back_once_idle()
    {
        using var services = Services(s => s.CpuArenaIdleTime = TimeSpan.FromHours(1));
        var engine = services.GetRequiredService<IUpscaler>();
        using var cancel = new CancellationTokenSource();
        var progress = new CancelAfterFirstTile(cancel);

        Assert.That(async () => await engine.UpscaleAsync(TestImages.Pattern(400, 300), Options(4, "general-x4") with { TileSize = 64 },
            progress, cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(services.GetRequiredService<SessionCache>().IdleArenas!.Held.Select(s => s.Model.Id), Is.EqualTo(new[] { "general-x4" }));
    }

    private sealed class CancelAfterFirstTile(CancellationTokenSource cancel) : IProgress<UpscaleProgress>
    {
        public void Report(UpscaleProgress value)
        {
            if (value.TilesDone == 1)
                cancel.Cancel();
        }
    }
}
