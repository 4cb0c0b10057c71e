using Upscaler.Core;

namespace Upscaler.Cli.Models;

/// <summary>
/// The kind a model is listed under when <c>models add</c> is not told: community models are named for
/// what they do, and most ESRGAN-family ones are GAN-trained (sharp, invented detail).
/// </summary>
internal static class KindGuess
{
    private static readonly (string[] Words, ModelKind Kind)[] Rules =
    [
        (["anime", "cugan", "waifu", "manga", "cartoon", "art", "illust", "toon"], ModelKind.Anime),
        (["face", "portrait", "gfpgan", "codeformer"], ModelKind.Face),
        (["text", "ocr", "document", "screen"], ModelKind.Text),
        (["psnr", "faithful", "fidelity"], ModelKind.General),
    ];

    public static ModelKind FromFileName(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file).ToLowerInvariant();
        foreach (var (words, kind) in Rules)
            if (words.Any(name.Contains))
                return kind;
        return ModelKind.Sharp;
    }
}
