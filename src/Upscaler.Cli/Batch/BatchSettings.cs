using Upscaler.Cli.Images;
using Upscaler.Core;

namespace Upscaler.Cli.Batch;

/// <summary>Everything the command line asked for, already parsed and checked for usage errors.</summary>
internal sealed record BatchSettings(
    IReadOnlyList<string> Inputs,
    string? Output,
    string? OutDir,
    OutputFormat? Format,
    int? Quality,
    bool Overwrite,
    UpscaleOptions Options,
    bool Timings = false);
