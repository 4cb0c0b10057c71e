using Upscaler.Core;

namespace Upscaler.PaintDotNet.Adapter;

/// <summary>The factors the effect offers. The value is the factor, so the enum doubles as the number.</summary>
public enum ScaleChoice
{
    X2 = 2,
    X3 = 3,
    X4 = 4,
}

/// <summary>Where inference runs, in the order the effect's drop-down lists them.</summary>
public enum DeviceChoice
{
    Auto,
    Gpu,
    Cpu,
}

/// <summary>
/// The effect's properties as plain values, and how they map to engine options. Paint.NET hands them over
/// as boxed property values; the effect unboxes them into this record (the model row through <see cref="ModelMenu"/>).
/// </summary>
/// <param name="Model">A kind name or a model id (<see cref="ModelMenuEntry.Value"/>).</param>
/// <param name="AutoDenoise">Measure the image and choose the strength; <paramref name="DenoisePercent"/> is used only when off.</param>
public sealed record EffectSettings(ScaleChoice Scale, string Model, bool AutoDenoise, int DenoisePercent, DeviceChoice Device,
    bool RestoreFaces = true, int FaceStrengthPercent = 100)
{
    public const int MinDenoisePercent = 0;
    public const int MaxDenoisePercent = 100;

    /// <summary>The defaults the effect's dialog opens with: the general models, automatic denoise (50 % when switched off), at x2.</summary>
    public static EffectSettings Default { get; } = new(ScaleChoice.X2, "general", true, 50, DeviceChoice.Auto);

    /// <summary>What the user asked for: automatic, or the strength of the slider.</summary>
    public DenoiseSetting Denoise => AutoDenoise ? DenoiseSetting.Auto : DenoiseSetting.Fixed(DenoisePercent / 100.0);

    /// <summary>The integer factor the canvas was enlarged by, and that the result is rebuilt at.</summary>
    public int Factor => Scale switch
    {
        ScaleChoice.X2 or ScaleChoice.X3 or ScaleChoice.X4 => (int)Scale,
        _ => throw new InvalidOptionsException($"scale {(int)Scale} is not offered: use 2, 3 or 4"),
    };

    /// <summary>
    /// The engine options for one run; with automatic denoise the strength is chosen per image (see
    /// <see cref="EnlargedCanvasUpscaler"/>) and is 0 here. The tile size is left to the engine's memory
    /// budget: the effect has no tile setting because the result does not depend on it (for the cross-faded
    /// open models, only by a few levels) and the automatic size is the fastest within the budget.
    /// </summary>
    public UpscaleOptions ToUpscaleOptions()
    {
        if (DenoisePercent is < MinDenoisePercent or > MaxDenoisePercent)
            throw new InvalidOptionsException($"denoise {DenoisePercent} % is out of range: use 0 to 100 %");
        if (FaceStrengthPercent is < 0 or > 100)
            throw new InvalidOptionsException($"face strength {FaceStrengthPercent} % is out of range: use 0 to 100 %");
        if (string.IsNullOrWhiteSpace(Model))
            throw new InvalidOptionsException("no model is chosen");
        var options = new UpscaleOptions
        {
            Scale = Factor,
            Denoise = Denoise.Strength ?? 0,
            Faces = RestoreFaces ? FaceMode.Auto : FaceMode.Off,
            FaceStrength = FaceStrengthPercent / 100.0,
            Device = Device switch
            {
                DeviceChoice.Auto => ComputeDevice.Auto,
                DeviceChoice.Gpu => ComputeDevice.Gpu,
                DeviceChoice.Cpu => ComputeDevice.Cpu,
                _ => throw new InvalidOptionsException($"unknown device choice {Device}"),
            },
        }.WithModel(Model);
        options.Validate();
        return options;
    }
}
