namespace Upscaler.Core.Inference;

/// <summary>
/// When the CPU sessions give their arenas back: once no model has run for
/// <see cref="UpscalerSettings.CpuArenaIdleTime"/>, so the next image of a batch, the alpha pass after the
/// colour pass, or a host's next render (Paint.NET renders again on every change of a setting) reuse the
/// arena instead of page-faulting it in again (the first runs after giving it back are 20-40 % slower,
/// docs/benchmarks.md); a long-lived host still holds nothing for long. Only one model's arena is held at
/// a time: when another model starts (the x2 pass of a x8 chain, the face model after the general one),
/// the others are given back first, so the peak memory is never above one model's.
/// </summary>
internal sealed class IdleArenas : IDisposable
{
    private readonly TimeSpan _idleTime;
    private readonly Timer _timer;
    private readonly List<ModelSession> _held = [];
    private readonly object _gate = new();
    private bool _disposed;

    public IdleArenas(TimeSpan idleTime)
    {
        _idleTime = idleTime;
        _timer = new Timer(_ => GiveAllBack(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>The sessions whose arenas are held now, waiting for the engine to be idle.</summary>
    internal IReadOnlyList<ModelSession> Held
    {
        get
        {
            lock (_gate)
                return [.. _held];
        }
    }

    /// <summary>A run of <paramref name="session"/> ended: its arena is given back unless another run starts in time.</summary>
    public void RunEnded(ModelSession session)
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            if (!_held.Contains(session))
                _held.Add(session);
            _timer.Change(_idleTime, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// <paramref name="session"/> is about to run: the engine is busy, so the idle timer stops, and every other
    /// model's held arena is given back now.
    /// </summary>
    public void RunStarting(ModelSession session)
    {
        List<ModelSession> others;
        lock (_gate)
        {
            if (_disposed)
                return;
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            if (_held.Count == 0 || (_held.Count == 1 && _held[0] == session))
                return;
            others = _held.Where(s => s != session).ToList();
            _held.RemoveAll(s => s != session);
        }
        GiveBack(others);
    }

    /// <summary>A session is closing (a removed user model): nothing is given back for it any more.</summary>
    public void Forget(ModelSession session)
    {
        lock (_gate)
            _held.Remove(session);
    }

    /// <summary>Gives every held arena back now, as the idle timer does.</summary>
    public void GiveAllBack()
    {
        List<ModelSession> all;
        lock (_gate)
        {
            all = [.. _held];
            _held.Clear();
        }
        GiveBack(all);
    }

    private void GiveBack(List<ModelSession> sessions)
    {
        foreach (var session in sessions)
        {
            // A session busy with a run (another upscale of a host) is held again; that run re-arms the timer.
            if (!session.GiveArenaBack())
                lock (_gate)
                    if (!_disposed && !_held.Contains(session))
                        _held.Add(session);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _held.Clear();
        }
        using var done = new ManualResetEvent(false);
        if (_timer.Dispose(done))
            done.WaitOne();
    }
}
