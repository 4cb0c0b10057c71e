namespace Upscaler.ModelImport.Analysis;

/// <summary>
/// Adds up a network's cost while it is written: FLOPs per input pixel (multiply-adds x2 of
/// convolutions, transposed convolutions and fully-connected layers; per-image constant work such
/// as the fully-connected layers after a global pooling counts as 0 per pixel) and the widest
/// activation in channels (what a tile's memory grows with).
/// </summary>
internal sealed class NetworkMetrics
{
    public double FlopsPerPixel { get; private set; }

    public int Features { get; private set; }

    /// <summary>A convolution whose output has <paramref name="outScale"/> pixels per input pixel (per axis).</summary>
    public void Conv(int inChannels, int outChannels, int kernelH, int kernelW, int groups, double outScale)
    {
        FlopsPerPixel += 2.0 * inChannels / groups * outChannels * kernelH * kernelW * outScale * outScale;
        Activation(outChannels);
    }

    /// <summary>A transposed convolution whose input has <paramref name="inScale"/> pixels per input pixel.</summary>
    public void Deconv(int inChannels, int outChannels, int kernelH, int kernelW, int groups, double inScale)
    {
        FlopsPerPixel += 2.0 * inChannels * outChannels / groups * kernelH * kernelW * inScale * inScale;
        Activation(outChannels);
    }

    /// <summary>A fully-connected layer applied at every pixel of a tensor at <paramref name="scale"/>.</summary>
    public void FullyConnectedPerPixel(int inputs, int outputs, double scale)
    {
        FlopsPerPixel += 2.0 * inputs * outputs * scale * scale;
        Activation(outputs);
    }

    public void Activation(int channels) => Features = Math.Max(Features, channels);
}
