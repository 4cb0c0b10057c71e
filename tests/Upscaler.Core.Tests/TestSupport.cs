using Microsoft.Extensions.DependencyInjection;
using Upscaler.Core;

namespace Upscaler.Core.Tests;

/// <summary>Engines wired exactly as front ends wire them, pointed at a chosen model folder.</summary>
internal static class Engines
{
    public static string TestModels => Path.Combine(TestContext.CurrentContext.TestDirectory, "TestModels");
    public static string SlowModels => Path.Combine(TestModels, "slow");
    public static string ShippedModels => Path.Combine(Repository.Root, "models");

    public static IUpscaler Create(string modelsDirectory, Action<UpscalerSettings>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddUpscaler(s =>
        {
            s.ModelsDirectory = modelsDirectory;
            // Never the real user's models: a test sees only the catalogs it names.
            s.UserModelsDirectory = null;
            configure?.Invoke(s);
        });
        return services.BuildServiceProvider().GetRequiredService<IUpscaler>();
    }
}

internal static class Repository
{
    /// <summary>The checkout's root: the nearest parent of the test binaries holding Plugins.sln.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Plugins.sln")))
                    return dir.FullName;
            throw new InvalidOperationException("Plugins.sln not found above the test directory");
        }
    }
}

/// <summary>Deterministic test pictures with smooth areas, edges and fine detail, like photographs have.</summary>
internal static class TestImages
{
    public static PixelImage Pattern(int width, int height, PixelLayout layout = PixelLayout.Rgb, int bitDepth = 8, int seed = 1)
    {
        var image = PixelImage.Create(width, height, layout, bitDepth);
        var random = new Random(seed);
        double phase = random.NextDouble() * 6;
        int channels = image.Channels;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < channels; c++)
                {
                    double v = 0.5 + 0.3 * Math.Sin(x * 0.21 + c + phase) * Math.Cos(y * 0.17 - c)
                        + ((x / 7 + y / 5 + c) % 3 == 0 ? 0.15 : -0.1) + (random.NextDouble() - 0.5) * 0.05;
                    Set(image, x, y, c, Math.Clamp(v, 0, 1));
                }
            }
        }
        return image;
    }

    /// <summary>Only gentle waves: no edges or noise for a model to sharpen.</summary>
    public static PixelImage Smooth(int width, int height)
    {
        var image = PixelImage.Create(width, height, PixelLayout.Rgb, 8);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                    Set(image, x, y, c, 0.5 + 0.3 * Math.Sin(x * 0.21 + c) * Math.Cos(y * 0.17 - c));
        return image;
    }

    public static void Set(PixelImage image, int x, int y, int channel, double value)
    {
        long i = ((long)y * image.Width + x) * image.Channels + channel;
        int q = (int)Math.Round(value * image.MaxValue);
        if (image.BitDepth == 8)
            image.Data[i] = (byte)q;
        else
            BitConverter.TryWriteBytes(image.Data.AsSpan((int)(i * 2), 2), (ushort)q);
    }

    /// <summary>Largest per-sample difference, in units of the images' own maximum (0..1).</summary>
    public static double MaxDifference(PixelImage a, PixelImage b)
    {
        Assert.That((b.Width, b.Height, b.Layout, b.BitDepth), Is.EqualTo((a.Width, a.Height, a.Layout, a.BitDepth)));
        int worst = 0;
        for (int y = 0; y < a.Height; y++)
            for (int x = 0; x < a.Width; x++)
                for (int c = 0; c < a.Channels; c++)
                    worst = Math.Max(worst, Math.Abs(a.GetSample(x, y, c) - b.GetSample(x, y, c)));
        return (double)worst / a.MaxValue;
    }
}

/// <summary>Reports on the engine's own thread, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SyncProgress(Action<UpscaleProgress> report) : IProgress<UpscaleProgress>
{
    public void Report(UpscaleProgress value) => report(value);
}
