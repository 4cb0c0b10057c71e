// Windows only: compiled against Paint.NET's own assemblies (see Upscaler.PaintDotNet.csproj).
// Kept to the calls into Paint.NET; every decision lives in Upscaler.PaintDotNet.Adapter, tested on Linux.
using System.Runtime.ExceptionServices;
using PaintDotNet;
using PaintDotNet.Effects;
using PaintDotNet.Imaging;
using PaintDotNet.IndirectUI;
using PaintDotNet.PropertySystem;
using PaintDotNet.Rendering;
using Upscaler.Core;
using Upscaler.PaintDotNet.Adapter;

namespace Upscaler.PaintDotNet;

/// <summary>Effects › Photo › AI Upscale: replaces a layer enlarged with Image › Resize by its AI-upscaled original.</summary>
[PluginSupportInfo(typeof(AIUpscalePluginInfo))]
public sealed class AIUpscaleEffect : PropertyBasedBitmapEffect
{
    // One engine and one cached result per process: Paint.NET creates a new effect object for every
    // dialog and for the final render, and models should load once.
    private static readonly Lazy<EngineHost> Engine =
        new(() => EngineHost.ForPluginDirectory(EngineHost.DirectoryOf(typeof(AIUpscaleEffect).Assembly)), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly RenderCache Cache = new();

    // The model rows, listed from the engine's catalog (ours, the bundled and the user's models) each time
    // the dialog's properties are made; the token holds a row number, mapped back by the same menu.
    private static ModelMenu? _models;

    private static ModelMenu Models => _models ??= ModelMenu.For(Engine.Value.Upscaler);

    private BgraCanvas? _result;
    private ExceptionDispatchInfo? _error;

    public AIUpscaleEffect()
        : base(EffectText.Name, SubmenuNames.Photo, BitmapEffectOptions.Create() with { IsConfigurable = true })
    {
    }

    private enum PropertyNames
    {
        Scale,
        Model,
        AutoDenoise,
        Denoise,
        Device,
        Faces,
        FaceStrength,
    }

    protected override PropertyCollection OnCreatePropertyCollection()
    {
        var defaults = EffectSettings.Default;
        var models = _models = ModelMenu.For(Engine.Value.Upscaler);
        object[] rows = Enumerable.Range(0, models.Entries.Count).Cast<object>().ToArray();
        var properties = new List<Property>
        {
            ChoiceProperty(PropertyNames.Scale, Enum.GetValues<ScaleChoice>(), defaults.Scale),
            new StaticListChoiceProperty(PropertyNames.Model, rows, models.DefaultIndex, false),
            new BooleanProperty(PropertyNames.AutoDenoise, defaults.AutoDenoise),
            new Int32Property(PropertyNames.Denoise, defaults.DenoisePercent, EffectSettings.MinDenoisePercent, EffectSettings.MaxDenoisePercent),
            ChoiceProperty(PropertyNames.Device, Enum.GetValues<DeviceChoice>(), defaults.Device),
            new BooleanProperty(PropertyNames.Faces, defaults.RestoreFaces),
            new Int32Property(PropertyNames.FaceStrength, defaults.FaceStrengthPercent, 0, 100),
        };
        return new PropertyCollection(properties, new List<PropertyCollectionRule> { new DenoiseControlsRule(models), new FaceStrengthRule() });
    }

    protected override ControlInfo OnCreateConfigUI(PropertyCollection props)
    {
        ControlInfo ui = CreateDefaultConfigUI(props);
        ui.SetPropertyControlValue(PropertyNames.Scale, ControlInfoPropertyNames.DisplayName, EffectText.ScaleLabel);
        ui.SetPropertyControlValue(PropertyNames.Model, ControlInfoPropertyNames.DisplayName, EffectText.ModelTitle);
        ui.SetPropertyControlValue(PropertyNames.AutoDenoise, ControlInfoPropertyNames.DisplayName, EffectText.AutoDenoiseLabel);
        ui.SetPropertyControlValue(PropertyNames.AutoDenoise, ControlInfoPropertyNames.Description, EffectText.AutoDenoiseDescription);
        ui.SetPropertyControlValue(PropertyNames.Denoise, ControlInfoPropertyNames.DisplayName, EffectText.DenoiseLabel);
        ui.SetPropertyControlValue(PropertyNames.Device, ControlInfoPropertyNames.DisplayName, EffectText.DeviceLabel);
        ui.SetPropertyControlValue(PropertyNames.Faces, ControlInfoPropertyNames.DisplayName, "");
        ui.SetPropertyControlValue(PropertyNames.Faces, ControlInfoPropertyNames.Description, EffectText.FacesLabel);
        ui.SetPropertyControlValue(PropertyNames.FaceStrength, ControlInfoPropertyNames.DisplayName, EffectText.FaceStrengthLabel);
        PropertyControlInfo scale = ui.FindControlForPropertyName(PropertyNames.Scale)!;
        foreach (var value in Enum.GetValues<ScaleChoice>())
            scale.SetValueDisplayName(value, EffectText.ScaleName(value));
        PropertyControlInfo model = ui.FindControlForPropertyName(PropertyNames.Model)!;
        for (int row = 0; row < Models.Entries.Count; row++)
            model.SetValueDisplayName(row, Models.Entries[row].Label);
        PropertyControlInfo device = ui.FindControlForPropertyName(PropertyNames.Device)!;
        foreach (var value in Enum.GetValues<DeviceChoice>())
            device.SetValueDisplayName(value, EffectText.DeviceName(value));
        return ui;
    }

    protected override void OnCustomizeConfigUIWindowProperties(PropertyCollection props)
    {
        props[ControlInfoPropertyNames.WindowHelpContentType]!.Value = WindowHelpContentType.PlainText;
        props[ControlInfoPropertyNames.WindowHelpContent]!.Value = EffectText.Help;
        base.OnCustomizeConfigUIWindowProperties(props);
    }

    protected override void OnInitializeRenderInfo(IBitmapEffectRenderInfo renderInfo)
    {
        renderInfo.OutputPixelFormat = PixelFormats.Bgra32;
        base.OnInitializeRenderInfo(renderInfo);
    }

    // Called once per settings change, before the tiles render: the one place inference runs.
    protected override void OnSetToken(PropertyBasedEffectConfigToken? newToken)
    {
        _result = null;
        _error = null;
        try
        {
            var settings = new EffectSettings(
                (ScaleChoice)newToken!.GetProperty<StaticListChoiceProperty>(PropertyNames.Scale)!.Value,
                Models[(int)newToken.GetProperty<StaticListChoiceProperty>(PropertyNames.Model)!.Value].Value,
                newToken.GetProperty<BooleanProperty>(PropertyNames.AutoDenoise)!.Value,
                newToken.GetProperty<Int32Property>(PropertyNames.Denoise)!.Value,
                (DeviceChoice)newToken.GetProperty<StaticListChoiceProperty>(PropertyNames.Device)!.Value,
                newToken.GetProperty<BooleanProperty>(PropertyNames.Faces)!.Value,
                newToken.GetProperty<Int32Property>(PropertyNames.FaceStrength)!.Value);
            _result = Cache.GetOrCompute(CopySource(), settings, (source, s) => CancellationPolling.Run(
                ct => new EnlargedCanvasUpscaler(Engine.Value.Upscaler).UpscaleAsync(source, s, null, ct),
                () => IsCancelRequested));
        }
        catch (OperationCanceledException)
        {
            // Paint.NET throws away a cancelled render; leave no result.
        }
        catch (UpscalerException e)
        {
            // Rethrown from OnRender, where Paint.NET reports effect errors to the user.
            _error = ExceptionDispatchInfo.Capture(e);
        }
        base.OnSetToken(newToken);
    }

    // Copies the cached result; no computation here.
    protected override void OnRender(IBitmapEffectOutput output)
    {
        _error?.Throw();
        BgraCanvas? result = _result;
        if (result is null || IsCancelRequested)
            return;

        RectInt32 bounds = output.Bounds;
        using IBitmapLock<ColorBgra32> outputLock = output.LockBgra32();
        RegionPtr<ColorBgra32> target = outputLock.AsRegionPtr();
        byte[] data = result.Data;
        for (int y = 0; y < bounds.Height; y++)
        {
            int i = result.Offset(bounds.X, bounds.Y + y);
            for (int x = 0; x < bounds.Width; x++, i += BgraCanvas.BytesPerPixel)
                target[x, y] = ColorBgra32.FromBgra(data[i], data[i + 1], data[i + 2], data[i + 3]);
        }
    }

    private BgraCanvas CopySource()
    {
        using IEffectInputBitmap<ColorBgra32> source = Environment.GetSourceBitmapBgra32();
        SizeInt32 size = source.Size;
        using IBitmapLock<ColorBgra32> sourceLock = source.Lock(new RectInt32(0, 0, size));
        RegionPtr<ColorBgra32> region = sourceLock.AsRegionPtr();
        var canvas = BgraCanvas.Create(size.Width, size.Height);
        byte[] data = canvas.Data;
        for (int y = 0; y < size.Height; y++)
        {
            int i = canvas.Offset(0, y);
            for (int x = 0; x < size.Width; x++, i += BgraCanvas.BytesPerPixel)
            {
                ColorBgra32 c = region[x, y];
                data[i] = c.B;
                data[i + 1] = c.G;
                data[i + 2] = c.R;
                data[i + 3] = c.A;
            }
        }
        return canvas;
    }

    private static StaticListChoiceProperty ChoiceProperty<T>(PropertyNames name, T[] values, T defaultValue) where T : struct, Enum =>
        new(name, values.Cast<object>().ToArray(), Array.IndexOf(values, defaultValue), false);

    /// <summary>
    /// Keeps the denoise controls as the adapter decides (<see cref="ModelMenu.EnabledDenoiseControls"/>): both
    /// read-only for a model without a denoise control, the strength also while automatic denoise is on. One
    /// rule for both sources, since two built-in rules on one target would undo each other.
    /// </summary>
    private sealed class DenoiseControlsRule(ModelMenu models) : PropertyCollectionRule
    {
        protected override void OnInitialized()
        {
            Get(PropertyNames.Model).ValueChanged += (_, _) => Sync();
            Get(PropertyNames.AutoDenoise).ValueChanged += (_, _) => Sync();
            Sync();
        }

        private void Sync()
        {
            var (automatic, strength) = models.EnabledDenoiseControls((int)Get(PropertyNames.Model).Value!, (bool)Get(PropertyNames.AutoDenoise).Value!);
            Get(PropertyNames.AutoDenoise).ReadOnly = !automatic;
            Get(PropertyNames.Denoise).ReadOnly = !strength;
        }

        // The '!'s hold whether or not this Paint.NET version annotates Owner and its indexer as nullable.
        private Property Get(PropertyNames name) => Owner![name]!;

        public override PropertyCollectionRule Clone() => new DenoiseControlsRule(models);
    }

    /// <summary>The face strength is read-only while "Restore faces" is off (it would change nothing).</summary>
    private sealed class FaceStrengthRule : PropertyCollectionRule
    {
        protected override void OnInitialized()
        {
            Owner![PropertyNames.Faces]!.ValueChanged += (_, _) => Sync();
            Sync();
        }

        private void Sync() => Owner![PropertyNames.FaceStrength]!.ReadOnly = !(bool)Owner![PropertyNames.Faces]!.Value!;

        public override PropertyCollectionRule Clone() => new FaceStrengthRule();
    }
}

/// <summary>What Paint.NET shows in its plug-in list and error reports.</summary>
public sealed class AIUpscalePluginInfo : IPluginSupportInfo
{
    public string Author => "Upscaler";
    public string Copyright => "Upscaler contributors";
    public string DisplayName => EffectText.Name;
    public Version Version => typeof(AIUpscaleEffect).Assembly.GetName().Version ?? new Version(0, 1);
    public Uri WebsiteUri => new("https://github.com/");
}
