using Upscaler.Core;

namespace Upscaler.PaintDotNet.Adapter;

/// <summary>One row of the effect's model drop-down: what it selects and how it reads.</summary>
/// <param name="Value">A kind name (general, face, text, sharp, anime) or a model id, as <see cref="UpscaleOptions.WithModel"/> takes it.</param>
/// <param name="TakesDenoise">False when the row's models have no denoise control: the effect disables its denoise controls.</param>
public sealed record ModelMenuEntry(string Value, string Label, bool TakesDenoise);

/// <summary>
/// The effect's model drop-down, built from the engine's catalog when the effect's properties are made:
/// each installed kind first (the engine picks the kind's models that fit the factor), then every
/// installed model by id with its description — ours, the bundled open models and the user's. The
/// drop-down holds row numbers; this maps them back to what they select.
/// </summary>
public sealed class ModelMenu
{
    private const int LongestDescription = 90;

    private ModelMenu(IReadOnlyList<ModelMenuEntry> entries, int defaultIndex)
    {
        Entries = entries;
        DefaultIndex = defaultIndex;
    }

    public IReadOnlyList<ModelMenuEntry> Entries { get; }

    /// <summary>The general kind where it is installed, else the first row.</summary>
    public int DefaultIndex { get; }

    /// <summary>
    /// The menu for the engine's catalog. A catalog that cannot be read gives the general kind alone, so the
    /// dialog still opens; the upscale then reports the catalog's error.
    /// </summary>
    public static ModelMenu For(IUpscaler engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        try
        {
            return From(engine.Models);
        }
        catch (UpscalerException)
        {
            return new ModelMenu([new ModelMenuEntry(Name(ModelKind.General), EffectText.KindLabel(ModelKind.General, []), true)], 0);
        }
    }

    public static ModelMenu From(IReadOnlyList<ModelInfo> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        var entries = new List<ModelMenuEntry>();
        foreach (var kind in Enum.GetValues<ModelKind>())
        {
            var ofKind = models.Where(m => m.Kind == kind).ToList();
            if (ofKind.Count > 0)
                entries.Add(new ModelMenuEntry(Name(kind), EffectText.KindLabel(kind, ofKind.Select(m => m.Scale).Distinct().Order().ToList()),
                    AutoDenoise.TakesDenoise(models, new UpscaleOptions { Model = kind })));
        }
        foreach (var model in models)
        {
            bool takesDenoise = AutoDenoise.TakesDenoise(models, new UpscaleOptions { ModelId = model.Id });
            entries.Add(new ModelMenuEntry(model.Id, EffectText.ModelLabel(model.Id, Shorten(model.Description), takesDenoise), takesDenoise));
        }
        if (entries.Count == 0)
            entries.Add(new ModelMenuEntry(Name(ModelKind.General), EffectText.KindLabel(ModelKind.General, []), true));
        int general = entries.FindIndex(e => e.Value == Name(ModelKind.General));
        return new ModelMenu(entries, Math.Max(0, general));
    }

    /// <summary>The row a drop-down index names.</summary>
    /// <exception cref="InvalidOptionsException">no such row (e.g. settings kept from before a model was removed).</exception>
    public ModelMenuEntry this[int index] => index >= 0 && index < Entries.Count
        ? Entries[index]
        : throw new InvalidOptionsException($"model choice {index} is not in the list of {Entries.Count} installed models: choose the model again");

    /// <summary>
    /// Which denoise controls the dialog enables: none for a model without a denoise control, and the
    /// strength only while automatic denoise is off.
    /// </summary>
    public (bool Automatic, bool Strength) EnabledDenoiseControls(int index, bool automatic)
    {
        bool takes = index < 0 || index >= Entries.Count || Entries[index].TakesDenoise;
        return (takes, takes && !automatic);
    }

    /// <summary>The rows whose models have no denoise control.</summary>
    public IReadOnlyList<int> WithoutDenoise => Enumerable.Range(0, Entries.Count).Where(i => !Entries[i].TakesDenoise).ToList();

    private static string Name(ModelKind kind) => kind.ToString().ToLowerInvariant();

    private static string Shorten(string description)
    {
        string text = description.Trim();
        return text.Length <= LongestDescription ? text : text[..(LongestDescription - 1)].TrimEnd() + "…";
    }
}
