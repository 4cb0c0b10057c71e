using System.Globalization;

namespace Upscaler.Core;

/// <summary>
/// The denoise a user asks for: automatic (measured in each image, see <see cref="AutoDenoise"/>) or a
/// fixed strength from 0 to 1. Every front end offers both; automatic is the default (<c>default</c> is <see cref="Auto"/>).
/// </summary>
public readonly record struct DenoiseSetting
{
    private DenoiseSetting(double strength) => Strength = strength;

    /// <summary>Measure each image and choose its strength.</summary>
    public static DenoiseSetting Auto => default;

    /// <summary>The fixed strength, or null for <see cref="Auto"/>.</summary>
    public double? Strength { get; }

    public bool IsAuto => Strength is null;

    /// <exception cref="InvalidOptionsException">the strength is not a number from 0 to 1.</exception>
    public static DenoiseSetting Fixed(double strength)
    {
        if (!double.IsFinite(strength) || strength < 0 || strength > 1)
            throw new InvalidOptionsException($"denoise {strength.ToString(CultureInfo.InvariantCulture)} is out of range: use a strength from 0 to 1, or auto");
        return new DenoiseSetting(strength);
    }

    /// <summary>"auto" (any case) or a number from 0 to 1 with a '.' as the decimal point.</summary>
    /// <exception cref="InvalidOptionsException">anything else.</exception>
    public static DenoiseSetting Parse(string text)
    {
        string trimmed = (text ?? "").Trim();
        if (trimmed.Equals("auto", StringComparison.OrdinalIgnoreCase))
            return Auto;
        if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out double strength))
            throw new InvalidOptionsException($"denoise \"{text}\" is neither auto nor a strength from 0 to 1");
        return Fixed(strength);
    }

    public override string ToString() => Strength is double s ? s.ToString("0.##", CultureInfo.InvariantCulture) : "auto";
}
