namespace Upscaler.Core.Inference;

/// <summary>
/// When the CPU sessions give their arenas back: once no pass has run for
/// <see cref="UpscalerSettings.CpuArenaIdleTime"/>, so the next image of a batch, the alpha pass after the
/// colour pass, the face model after the general one, or a host's next render (Paint.NET renders again on
/// every change of a setting) reuse the arena instead of page-faulting it in again (the first runs after
/// giving it back are 20-40 % slower, docs/benchmarks.md); a long-lived host still holds nothing for long.
/// <para>
/// Several models' arenas are held together only while their estimated sizes (the tile sizer's, for each
/// model's last pass) add up to at most twice the tile memory budget: the general and face models, or the
/// x4 and x2 passes of a x8 chain, stay; a big open model's pass (windows of GiBs) has the others given back
/// first, largest first. A pass in progress (a host's concurrent upscale) always keeps its own.
/// </para>
/// </summary>
internal sealed class IdleArenas : IDisposable
{
    private readonly TimeSpan _idleTime;
    private readonly long _heldTogetherBytes;
    private readonly Timer _timer;
    private readonly Dictionary<ModelSession, long> _held = []; // arena estimates of the held sessions
    private readonly Dictionary<ModelSession, int> _passes = []; // passes in progress, per session
    private readonly object _gate = new();
    private bool _disposed;
    private int _givenBack;

    /// <param name="heldTogetherBytes">The most the held arenas may add up to (estimated), a starting pass's included.</param>
    public IdleArenas(TimeSpan idleTime, long heldTogetherBytes)
    {
        _idleTime = idleTime;
        _heldTogetherBytes = heldTogetherBytes;
        _timer = new Timer(_ => GiveAllBack(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>The sessions whose arenas are held now, waiting for the engine to be idle.</summary>
    internal IReadOnlyList<ModelSession> Held
    {
        get
        {
            lock (_gate)
                return [.. _held.Keys];
        }
    }

    /// <summary>How many arenas have been given back so far.</summary>
    internal int GivenBack => Volatile.Read(ref _givenBack);

    /// <summary>
    /// A pass of <paramref name="session"/> starts, needing about <paramref name="arenaBytes"/>: the engine
    /// is busy, so the idle timer stops, and other models' arenas that no pass is using go back while all
    /// of them together would exceed the bound.
    /// </summary>
    public void PassStarting(ModelSession session, long arenaBytes)
    {
        var over = new List<KeyValuePair<ModelSession, long>>();
        lock (_gate)
        {
            if (_disposed)
                return;
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            _passes[session] = _passes.GetValueOrDefault(session) + 1;
            // An arena keeps the largest size it has grown to.
            long own = Math.Max(arenaBytes, _held.GetValueOrDefault(session));
            _held[session] = own;
            long total = _held.Values.Sum();
            foreach (var other in _held.Where(h => h.Key != session && !_passes.ContainsKey(h.Key)).OrderByDescending(h => h.Value).ToList())
            {
                if (total <= _heldTogetherBytes)
                    break;
                over.Add(other);
                _held.Remove(other.Key);
                total -= other.Value;
            }
        }
        GiveBack(over);
    }

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
            _held.TryAdd(session, 0);
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
        List<KeyValuePair<ModelSession, long>> idle;
        lock (_gate)
        {
            idle = _held.Where(h => !_passes.ContainsKey(h.Key)).ToList();
            foreach (var (session, _) in idle)
                _held.Remove(session);
        }
        GiveBack(idle);
    }

    private void GiveBack(List<KeyValuePair<ModelSession, long>> sessions)
    {
        foreach (var (session, bytes) in sessions)
        {
            if (session.GiveArenaBack())
                Interlocked.Increment(ref _givenBack);
            else
                // Busy with a run outside any pass, or its tiny run failed: still held, at its estimate, until
                // the next idle spell.
                lock (_gate)
                    if (!_disposed)
                        _held.TryAdd(session, bytes);
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
