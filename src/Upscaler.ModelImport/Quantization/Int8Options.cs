namespace Upscaler.ModelImport.Quantization;

/// <summary>How the int8 copies are made.</summary>
public sealed record Int8Options
{
    /// <summary>Even out activation channels between convolutions first (<see cref="ChannelEqualizer"/>).</summary>
    public bool EqualizeChannels { get; init; } = true;
}
