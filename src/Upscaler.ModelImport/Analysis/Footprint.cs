namespace Upscaler.ModelImport.Analysis;

/// <summary>
/// Where a tensor of the network stands relative to the network's input: its resolution
/// (<see cref="Scale"/> pixels per input pixel) and how far, in input pixels, a value of it can
/// depend on input pixels on each side (<see cref="Radius"/>). Each step adds a conservative bound,
/// so padding a tile by the final radius (rounded up) makes tiled output identical to one pass.
/// Global pooling makes the footprint unbounded.
/// </summary>
internal readonly record struct Footprint(double Scale, double Radius, bool Unbounded)
{
    public static Footprint Input => new(1, 0, false);

    /// <summary>The receptive field in input pixels on each side; null when unbounded.</summary>
    public int? ReceptiveField => Unbounded ? null : LocalReceptiveField;

    /// <summary>The receptive field counting global pooling as a constant.</summary>
    public int LocalReceptiveField => (int)Math.Ceiling(Radius - 1e-9);

    /// <summary>A k x k convolution (dilation d, stride s) on this tensor.</summary>
    public Footprint Conv(int kernel, int dilation = 1, int stride = 1) =>
        // A strided convolution's output grid can start off-centre: count the extra (s - 1) pixels.
        this with { Scale = Scale / stride, Radius = Radius + ((kernel - 1) * dilation / 2.0 + (stride - 1)) / Scale };

    /// <summary>A transposed convolution (kernel k, stride s) on this tensor.</summary>
    public Footprint Deconv(int kernel, int stride, int dilation = 1) =>
        this with { Scale = Scale * stride, Radius = Radius + ((kernel - 1) * dilation / (double)stride + 1) / Scale };

    /// <summary>Resampling with <paramref name="taps"/> input taps on each side, by <paramref name="factor"/>.</summary>
    public Footprint Resample(int taps, double factor) =>
        this with { Scale = Scale * factor, Radius = Radius + taps / Scale };

    /// <summary>Pixel shuffle (depth to space) by <paramref name="factor"/>: no new neighbours in input terms.</summary>
    public Footprint Shuffle(double factor) =>
        // Unshuffling (factor < 1) gathers a block of 1/factor pixels per output pixel.
        this with { Scale = Scale * factor, Radius = Radius + (factor < 1 ? (1 / factor - 1) / Scale : 0) };

    public Footprint Global() => this with { Unbounded = true };

    /// <summary>An element-wise combination of two tensors.</summary>
    public static Footprint Merge(Footprint a, Footprint b) =>
        new(Math.Max(a.Scale, b.Scale), Math.Max(a.Radius, b.Radius), a.Unbounded || b.Unbounded);
}
