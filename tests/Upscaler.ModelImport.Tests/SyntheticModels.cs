using System.Diagnostics;
using System.Text.Json;

namespace Upscaler.ModelImport.Tests;

/// <summary>
/// The tiny models of every format and their reference outputs, generated once per test run by
/// Fixtures/make_models.py (Debian's python3 with python3-torch; scripts/test.sh installs it).
/// </summary>
public static class SyntheticModels
{
    private static readonly Lazy<Catalog> Generated = new(Generate);

    public sealed record Crop(string Name, int Height, int Width, float[] Data);

    public sealed record Case(string Name, string[] Files, int Scale, float? Denoise, Dictionary<string, string> References, JsonElement Expect)
    {
        public override string ToString() => Denoise is null ? Name : $"{Name} d={Denoise}";
    }

    public sealed record Catalog(string Directory, Dictionary<string, Crop> Crops, List<Case> Cases, Dictionary<string, string> Bad);

    public static Catalog Get() => Generated.Value;

    public static string PathOf(string file) => Path.Combine(Get().Directory, file);

    public static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var data = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
        return data;
    }

    /// <summary>The case names, for test case sources (generation happens on first use).</summary>
    public static IEnumerable<Case> Cases() => Get().Cases;

    public static IEnumerable<string> BadFiles() => Get().Bad.Keys.Order(StringComparer.Ordinal);

    private static Catalog Generate()
    {
        string root = RepositoryRoot();
        string dir = Path.Combine(Path.GetTempPath(), "upscaler-modelimport-tests-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { Path.Combine(root, "tests", "Upscaler.ModelImport.Tests", "Fixtures", "make_models.py"), dir, Path.Combine(root, "samples", "coffee.png") },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start /usr/bin/python3");
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                "make_models.py failed (it needs Debian's python3-torch, python3-numpy, python3-pil and python3-onnx; scripts/test.sh installs them):\n" + stderr);
        }

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "cases.json")));
        var crops = new Dictionary<string, Crop>();
        foreach (var c in json.RootElement.GetProperty("crops").EnumerateObject())
        {
            int h = c.Value[0].GetInt32(), w = c.Value[1].GetInt32();
            crops[c.Name] = new Crop(c.Name, h, w, ReadFloats(Path.Combine(dir, $"crop_{c.Name}.f32")));
        }
        var cases = json.RootElement.GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("name").GetString()!,
            c.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToArray(),
            c.GetProperty("scale").GetInt32(),
            c.GetProperty("denoise").ValueKind == JsonValueKind.Null ? null : (float)c.GetProperty("denoise").GetDouble(),
            c.GetProperty("references").EnumerateObject().ToDictionary(r => r.Name, r => r.Value.GetString()!),
            c.GetProperty("expect").Clone())).ToList();
        var bad = json.RootElement.GetProperty("bad").EnumerateObject().ToDictionary(b => b.Name, b => b.Value.GetString()!);
        return new Catalog(dir, crops, cases, bad);
    }

    public static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Plugins.sln")))
                return d.FullName;
        }
        throw new InvalidOperationException("repository root (Plugins.sln) not found above " + AppContext.BaseDirectory);
    }
}
