namespace Upscaler.Core.Inference;

/// <summary>
/// When the CPU sessions give their arenas back: once no pass has run for
/// <see cref="UpscalerSettings.CpuArenaIdleTime"/>, so the next image of a batch, the alpha pass after the
/// colour pass, or a host's next render (Paint.NET renders again on every change of a setting) reuse the
/// arena instead of page-faulting it in again (the first runs after giving it back are 20-40 % slower,
/// docs/benchmarks.md); a long-lived host still holds nothing for long. When a pass of another model starts
/// (the x2 pass of a x8 chain, the face model after the general one), the arenas no pass is using are given
/// back first, so one image never holds two models' arenas; a pass in progress (a host's concurrent
/// upscale) keeps its own.
/// </summary>
internal sealed class IdleArenas : IDisposable
{
    private readonly TimeSpan _idleTime;
    private readonly Timer _timer;
    private readonly List<ModelSession> _held = [];
    private readonly Dictionary<ModelSession, int> _passes = []; // passes in progress, per session
    private readonly object _gate = new();
    private bool _disposed;
    private int _givenBack;

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

    /// <summary>
    /// A pass of <paramref name="session"/> starts: the engine is busy, so the idle timer stops, and the
    /// arenas of other models that no pass is using (a host's concurrent upscale may be) go back now.
    /// </summary>
    public void PassStarting(ModelSession session)
    {
        List<ModelSession> others;
        lock (_gate)
        {
            if (_disposed)
                return;
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            _passes[session] = _passes.GetValueOrDefault(session) + 1;
            others = _held.Where(s => s != session && !_passes.ContainsKey(s)).ToList();
            _held.RemoveAll(others.Contains);
        }
        GiveBack(others);
    }

    /// <summary>How many arenas have been given back so far.</summary>
    internal int GivenBack => Volatile.Read(ref _givenBack);

    /// <summary>A pass of <paramref name="session"/> ended: its arena is held until no pass has run for the idle time.</summary>
    public void PassEnded(ModelSession session)
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            if (_passes.TryGetValue(session, out int count) && count > 1)
                _passes[session] = count - 1;
            else
                _passes.Remove(session);
            if (!_held.Contains(session))
                _held.Add(session);
            if (_passes.Count == 0)
                _timer.Change(_idleTime, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>A session is closing (a removed user model): nothing is given back for it any more.</summary>
    public void Forget(ModelSession session)
    {
        lock (_gate)
            _held.Remove(session);
    }

    /// <summary>Gives every held arena that no pass is using back now, as the idle timer does.</summary>
    public void GiveAllBack()
    {
        List<ModelSession> idle;
        lock (_gate)
        {
            idle = _held.Where(s => !_passes.ContainsKey(s)).ToList();
            _held.RemoveAll(idle.Contains);
        }
        GiveBack(idle);
    }

    private void GiveBack(List<ModelSession> sessions)
    {
        foreach (var session in sessions)
        {
            // A session busy with a run outside any pass (a probe) is held again for the next idle spell.
            if (session.GiveArenaBack())
                Interlocked.Increment(ref _givenBack);
            else
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
