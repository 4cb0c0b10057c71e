using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Catalog;

/// <summary>
/// The per-user models folder as a writable catalog (<see cref="IModelRegistry"/>). Files are written
/// beside their final name and renamed into place, and the manifest is replaced in one rename, so a
/// failure at any step leaves the folder as it was; a lock file serialises concurrent writers.
/// </summary>
internal sealed partial class ModelRegistry(ModelCatalog catalog, SessionCache sessions) : IModelRegistry
{
    /// <summary>Receptive fields up to this are tiled exactly; wider ones are cross-faded.</summary>
    public const int MaxExactReceptiveField = 48;

    /// <summary>Overlap for cross-faded tiles when nobody measured a better one.</summary>
    public const int DefaultOverlap = 32;

    public string Folder => catalog.UserDirectory
        ?? throw new ModelCatalogException("no user models folder is configured (no home folder?): set " + UserModelsFolder.EnvironmentVariable);

    private string ManifestPath => Path.Combine(Folder, ModelCatalog.ManifestFileName);

    public void CheckId(string id)
    {
        if (!IdPattern().IsMatch(id))
            throw new ModelCatalogException($"\"{id}\" is not a usable model id: use lower-case letters, digits, '.', '_' and '-' (at most 64)");
        if (catalog.Models.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase)) is { } taken)
            throw new ModelCatalogException($"the id \"{id}\" is taken by an installed {taken.Origin.ToString().ToLowerInvariant()} model; choose another with --id");
        if (Path.Combine(Folder, id + ".onnx") is var final && File.Exists(final))
            throw new ModelCatalogException($"{final} already exists; remove it or choose another id");
    }

    public ModelInfo Add(ModelRegistration r)
    {
        CheckId(r.Id);
        if (r.RangeMax is not (1f or 255f))
            throw new ModelCatalogException($"a value range up to {r.RangeMax} is not supported: models read 0..1 or 0..255");
        if (!File.Exists(r.OnnxFile))
            throw new ModelCatalogException($"{r.OnnxFile}: no such file");

        Directory.CreateDirectory(Folder);
        using var writeLock = Lock();
        string fileName = r.Id + ".onnx", final = Path.Combine(Folder, fileName);
        if (File.Exists(final))   // again under the lock: another writer may have added it since
            throw new ModelCatalogException($"{final} already exists; remove it or choose another id");

        string temporary = Path.Combine(Folder, $".{fileName}.{Guid.NewGuid():N}.partial");
        string statisticsName = r.Id + ".stats.onnx", statisticsFinal = Path.Combine(Folder, statisticsName);
        if (r.StatisticsFile is not null && File.Exists(statisticsFinal))
            throw new ModelCatalogException($"{statisticsFinal} already exists; remove it or choose another id");
        // The int8 copies, each under its manifest key: (key, file to copy, name in the folder).
        var copies = new[] { ("int8", r.Int8File, r.Id + ".int8.onnx"), ("int8Avx2", r.Int8Avx2File, r.Id + ".int8avx2.onnx") }
            .Where(c => c.Item2 is not null).Select(c => (Key: c.Item1, Source: c.Item2!, Name: c.Item3)).ToList();
        foreach (var copy in copies.Where(c => File.Exists(Path.Combine(Folder, c.Name))))
            throw new ModelCatalogException($"{Path.Combine(Folder, copy.Name)} already exists; remove it or choose another id");
        bool placed = false, statisticsPlaced = false;
        var copiesPlaced = new List<string>();
        try
        {
            File.Copy(r.OnnxFile, temporary);
            bool known = r.ReceptiveField is not null || r.ReceptiveFieldUnbounded;
            var probed = ModelProbe.Probe(temporary, r.RangeMax, measureReceptiveField: !known, r.PooledValues);
            int? receptiveField = r.ReceptiveFieldUnbounded ? null : r.ReceptiveField ?? probed.ReceptiveField;
            var entry = Entry(r, probed, fileName, Sha256(temporary), receptiveField);
            if (r.StatisticsFile is not null)
            {
                if (!File.Exists(r.StatisticsFile))
                    throw new ModelCatalogException($"{r.StatisticsFile}: no such file");
                PlaceCopy(r.StatisticsFile, statisticsFinal);
                statisticsPlaced = true;
                entry["statistics"] = new JsonObject
                {
                    ["file"] = statisticsName,
                    ["sha256"] = Sha256(statisticsFinal),
                    ["values"] = new JsonArray(r.PooledValues.Select(v => (JsonNode)new JsonObject
                    {
                        ["name"] = v.Name, ["channels"] = v.Channels, ["kind"] = v.IsMax ? "max" : "mean",
                    }).ToArray()),
                };
            }

            foreach (var copy in copies)
            {
                if (!File.Exists(copy.Source))
                    throw new ModelCatalogException($"{copy.Source}: no such file");
                string path = Path.Combine(Folder, copy.Name);
                PlaceCopy(copy.Source, path);
                copiesPlaced.Add(path);
                entry[copy.Key] = new JsonObject { ["file"] = copy.Name, ["sha256"] = Sha256(path) };
            }

            File.Move(temporary, final);
            placed = true;
            WriteManifest(manifest => manifest.Add(entry));
        }
        catch (Exception e)
        {
            if (placed)
                File.Delete(final);
            if (statisticsPlaced)
                File.Delete(statisticsFinal);
            foreach (string path in copiesPlaced)
                File.Delete(path);
            if (e is IOException or UnauthorizedAccessException)
                throw new ModelCatalogException($"cannot write to {Folder}: {e.Message}", e);
            throw;
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }

        catalog.Reload();
        var added = catalog.GetById(r.Id);
        return added.ToInfo(catalog.DirectoryOf(added));
    }

    public void Remove(string id)
    {
        var model = catalog.Models.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase));
        if (model is null)
            throw new ModelCatalogException($"no model with id \"{id}\" is installed");
        if (model.Origin != ModelOrigin.User)
            throw new ModelCatalogException($"\"{model.Id}\" is a {model.Origin.ToString().ToLowerInvariant()} model; only models you added can be removed");

        using (Lock())
        {
            WriteManifest(manifest =>
            {
                var entry = manifest.FirstOrDefault(e => string.Equals(e?["id"]?.GetValue<string>(), model.Id, StringComparison.OrdinalIgnoreCase));
                if (entry is not null)
                    manifest.Remove(entry);
            });
            sessions.Evict(model.Id);
            foreach (var file in new[] { model.Float32, model.Fp16, model.Int8, model.Int8Avx2, model.Statistics?.File })
                if (file is not null && File.Exists(file.Path))
                    File.Delete(file.Path);
        }
        catalog.Reload();
    }

    /// <summary>Copies beside the target and renames it into place: an interrupted copy never leaves a file under the final name.</summary>
    private static void PlaceCopy(string source, string target)
    {
        string partial = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.partial");
        try
        {
            File.Copy(source, partial);
            File.Move(partial, target);
        }
        finally
        {
            if (File.Exists(partial))
                File.Delete(partial);
        }
    }

    private static JsonObject Entry(ModelRegistration r, ProbedModel probed, string fileName, string sha256, int? receptiveField)
    {
        JsonObject Tensor(string name) => new()
        {
            ["name"] = name, ["layout"] = "NCHW", ["channels"] = 3,
            ["range"] = new JsonArray(0.0, (double)r.RangeMax), ["order"] = r.Order.ToString().ToUpperInvariant(),
        };

        var entry = new JsonObject
        {
            ["id"] = r.Id,
            ["kind"] = ModelCatalog.KindName(r.Kind),
            ["scale"] = probed.Scale,
            ["file"] = fileName,
            ["sha256"] = sha256,
            ["input"] = Tensor(probed.InputName),
            ["output"] = Tensor(probed.OutputName),
        };
        if (probed.DenoiseInputName is { } denoise)
            entry["denoise"] = new JsonObject { ["input"] = denoise, ["shape"] = new JsonArray(1) };
        // A split model's main graph is local: its (local) receptive field is tiled exactly, however wide.
        if (receptiveField is int rf && (rf <= MaxExactReceptiveField || r.StatisticsFile is not null) && r.Overlap is null)
            entry["receptiveField"] = rf;
        else
            entry["overlap"] = r.Overlap ?? DefaultOverlap;
        entry["features"] = r.Features ?? 64;
        if (r.FlopsPerPixel is double flops)
            entry["flopsPerPixel"] = flops;
        if (r.MemoryPerPixel is double memory and > 0)
            entry["memoryPerPixel"] = Math.Ceiling(memory);
        if (r.Parameters is long parameters)
            entry["params"] = parameters;
        if (r.Architecture is not null)
            entry["architecture"] = r.Architecture;
        if (r.Licence is not null)
            entry["licence"] = r.Licence;
        if (r.Source is not null)
            entry["source"] = r.Source;
        entry["description"] = r.Description;
        return entry;
    }

    /// <summary>Rewrites the manifest through a temporary file and one rename.</summary>
    private void WriteManifest(Action<JsonArray> edit)
    {
        JsonObject root;
        if (File.Exists(ManifestPath))
        {
            try
            {
                root = JsonNode.Parse(File.ReadAllText(ManifestPath))?.AsObject() ?? throw new JsonException("empty");
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw new ModelCatalogException($"{ManifestPath} is not a valid catalog ({e.Message}); fix or delete it", e);
            }
        }
        else
        {
            root = new JsonObject { ["formatVersion"] = 1, ["models"] = new JsonArray() };
        }
        if (root["models"] is not JsonArray models)
            throw new ModelCatalogException($"{ManifestPath} has no \"models\" list; fix or delete it");
        edit(models);

        string temporary = ManifestPath + $".{Guid.NewGuid():N}.partial";
        try
        {
            File.WriteAllText(temporary, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            File.Move(temporary, ManifestPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    private FileStream Lock()
    {
        string path = Path.Combine(Folder, ".lock");
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (attempt < 50)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();
}
