using System.Security.Cryptography;
using Upscaler.Core.Catalog;

namespace Upscaler.Core.Inference;

/// <summary>
/// Checks a model file against the SHA-256 its manifest entry states, every time a session is opened,
/// so a corrupt, truncated or swapped file is a clear error naming it instead of wrong pixels.
/// </summary>
internal static class ModelFileVerifier
{
    public static void Verify(ModelDescriptor model, ModelFile file) => Verify(model.Id, file);

    /// <param name="entry">The manifest entry the file belongs to, named in the error when it is missing.</param>
    public static void Verify(string entry, ModelFile file)
    {
        if (!File.Exists(file.Path))
            throw new ModelCatalogException($"model file {file.Path} is missing (manifest entry \"{entry}\")");
        string actual;
        try
        {
            using var stream = File.OpenRead(file.Path);
            actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelCatalogException($"model file {file.Path} cannot be read: {e.Message}", e);
        }
        if (actual != file.Sha256)
            throw new ModelCatalogException($"model file {file.Path} does not match its sha256 in the manifest (corrupt or replaced)");
    }
}
