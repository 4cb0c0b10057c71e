namespace Upscaler.Cli.Batch;

/// <summary>One input file and where its result goes.</summary>
internal sealed record UpscaleJob(string Input, string Output, Images.OutputFormat Format);
