namespace Upscaler.ModelImport.Quantization;

/// <summary>How the int8 copies are made.</summary>
public sealed record Int8Options
{
    /// <summary>
    /// Keep the first and last convolutions in float32. They touch the 3-channel image, so they cost
    /// little, and they are where rounding shows most (the first sees the image's fine steps, the
    /// last writes the result's).
    /// </summary>
    public bool FloatEnds { get; init; } = true;

    /// <summary>Even out activation channels between convolutions first (<see cref="ChannelEqualizer"/>).</summary>
    public bool EqualizeChannels { get; init; } = true;
}
