namespace Upscaler.PaintDotNet.Adapter;

/// <summary>
/// Remembers the last result, keyed by the settings and the exact source pixels, so the engine runs
/// once per settings change: Paint.NET may set the same token again (for instance for the final
/// render after OK), and then the cached result is reused instead of running inference twice.
/// </summary>
/// <remarks>The key compares the whole source, not a hash, so a stale result can never be shown for a changed layer.</remarks>
public sealed class RenderCache
{
    private readonly Lock _lock = new();
    private EffectSettings? _settings;
    private BgraCanvas? _source;
    private BgraCanvas? _result;

    /// <summary>Returns the cached result for these inputs, or computes, stores and returns a new one.</summary>
    public BgraCanvas GetOrCompute(BgraCanvas source, EffectSettings settings, Func<BgraCanvas, EffectSettings, BgraCanvas> compute)
    {
        lock (_lock)
        {
            if (_result is not null && _settings == settings && _source is not null && SameCanvas(_source, source))
                return _result;
        }

        var result = compute(source, settings);
        lock (_lock)
        {
            _settings = settings;
            _source = source.Clone();
            _result = result;
        }
        return result;
    }

    public void Clear()
    {
        lock (_lock)
        {
            _settings = null;
            _source = null;
            _result = null;
        }
    }

    private static bool SameCanvas(BgraCanvas a, BgraCanvas b) =>
        a.Width == b.Width && a.Height == b.Height && a.Data.AsSpan().SequenceEqual(b.Data);
}
