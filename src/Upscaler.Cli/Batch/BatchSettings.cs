using Upscaler.Cli.Images;
using Upscaler.Core;

namespace Upscaler.Cli.Batch;

/// <summary>
/// Everything the command line asked for, already parsed and checked for usage errors. With automatic
/// denoise, <see cref="UpscaleOptions.Denoise"/> is chosen per image from <see cref="Denoise"/>.
/// </summary>
internal sealed record BatchSettings(
    IReadOnlyList<string> Inputs,
    string? Output,
    string? OutDir,
    OutputFormat? Format,
    int? Quality,
    bool Overwrite,
    UpscaleOptions Options,
    DenoiseSetting Denoise,
    bool Timings = false);
