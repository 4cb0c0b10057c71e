using System.Diagnostics;
using Upscaler.Cli.Images;
using Upscaler.Cli.Terminal;
using Upscaler.Core;

namespace Upscaler.Cli.Batch;

/// <summary>
/// Upscales each input in turn. A bad input is reported in one line and the rest go on; problems
/// that would fail every input (a broken model catalog, an unavailable device) stop the batch.
/// </summary>
internal sealed class BatchRunner(IUpscaler upscaler, TextWriter output, TextWriter error, ProgressDisplay progress)
{
    public async Task<int> RunAsync(BatchSettings settings, CancellationToken cancellationToken)
    {
        var (files, failures) = JobPlanner.ExpandInputs(settings.Inputs);
        foreach (var failure in failures)
            Error(failure);
        int failed = failures.Count;

        var claimed = new HashSet<string>(StringComparer.Ordinal);
        double? startUp = settings.Timings ? PhaseTimings.SinceProcessStart() : null;
        for (int i = 0; i < files.Count; i++)
        {
            var job = JobPlanner.Plan(files[i], settings.Output, settings.OutDir, settings.Format, settings.Options.Scale);
            string label = files.Count > 1 ? $"[{i + 1}/{files.Count}] {files[i]}" : files[i];
            try
            {
                if (!claimed.Add(Path.GetFullPath(job.Output)))
                    throw new ImageFileException($"{job.Input}: its output {job.Output} is already written by an earlier input");
                var timings = settings.Timings ? new PhaseTimings(i == 0 ? startUp : null) : null;
                await RunOneAsync(job, settings, label, timings, cancellationToken);
                if (timings is not null)
                    output.WriteLine(timings.Line(job.Input));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Error("cancelled; the file being written was removed");
                return ExitCodes.Cancelled;
            }
            catch (Exception e) when (e is ModelCatalogException or DeviceUnavailableException)
            {
                Error(e.Message);
                return ExitCodes.SomeFailed;
            }
            catch (Exception e) when (e is ImageFileException or UpscalerException)
            {
                Error(e.Message.StartsWith(job.Input, StringComparison.Ordinal) ? e.Message : $"{job.Input}: {e.Message}");
                failed++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A bug of ours must still cost only this input, and read as one line.
                Error($"{job.Input}: {ErrorText.Internal(e)}");
                failed++;
            }
        }
        return failed == 0 ? ExitCodes.Success : ExitCodes.SomeFailed;
    }

    private async Task RunOneAsync(UpscaleJob job, BatchSettings settings, string label, PhaseTimings? timings, CancellationToken cancellationToken)
    {
        if (!settings.Overwrite && File.Exists(job.Output))
            throw new ImageFileException($"{job.Output}: already exists (use --overwrite to replace it)");

        // Check the size limits from the header alone, before decoding a possibly huge file.
        var (width, height) = VipsImageReader.ReadSize(job.Input);
        var size = OutputSize.For(width, height, settings.Options.Scale);
        size.EnsureWithinLimits();
        if (size.Width > job.Format.MaxSide() || size.Height > job.Format.MaxSide())
            throw new ImageFileException($"{job.Input}: a {size.Width}x{size.Height} result is too large for {job.Format} (at most {job.Format.MaxSide()} px per side)");

        var clock = Stopwatch.StartNew();
        var decoded = VipsImageReader.Read(job.Input);
        timings?.End("decode");
        // Everything about the output that can fail is checked before the upscale: the metadata fits
        // the format, the folder takes a file (the temporary file is created now) and has room for it.
        foreach (var notice in MetadataFit.Check(decoded, job.Format))
            error.WriteLine($"upscaler: {job.Input}: {notice}");
        long required = job.Format.MinimumBytes(size.Width, size.Height, decoded.Pixels.Channels, decoded.Pixels.BitDepth)
                        + decoded.Metadata.Values.Sum(block => (long)block.Length);
        using var target = PendingOutput.Create(job.Output, settings.Overwrite, required);
        var options = ChooseDenoise(job, decoded, settings);
        if (settings.Denoise.IsAuto)
            timings?.End("auto denoise");
        var upscaled = await progress.RunAsync(label, p => upscaler.UpscaleAsync(decoded.Pixels, options, timings?.Watch(p) ?? p, cancellationToken));
        timings?.End("upscale");
        cancellationToken.ThrowIfCancellationRequested();
        VipsImageWriter.Write(decoded, upscaled, target, job.Format, settings.Quality, cancellationToken);
        target.Commit(settings.Overwrite);
        timings?.End("encode");
        output.WriteLine($"{job.Input} -> {job.Output} ({upscaled.Width}x{upscaled.Height}, {clock.Elapsed.TotalSeconds:0.0} s)");
    }

    /// <summary>
    /// Automatic denoise measures each image, with the quality of a JPEG file as a hint, and says what it
    /// chose; a fixed strength is used as given. Models without a denoise control were announced once.
    /// </summary>
    private UpscaleOptions ChooseDenoise(UpscaleJob job, DecodedImage decoded, BatchSettings settings)
    {
        if (!settings.Denoise.IsAuto)
            return settings.Options;
        // Null for anything but a JPEG file (the reader checks the file's own signature, not its name).
        int? quality = JpegQualityReader.Read(job.Input);
        var decision = AutoDenoise.Decide(upscaler, decoded.Pixels, settings.Options, settings.Denoise, quality);
        if (decision.ModelTakesDenoise)
            output.WriteLine($"{job.Input}: {decision.Describe()}");
        return settings.Options with { Denoise = decision.Strength };
    }

    private void Error(string message) => error.WriteLine($"upscaler: error: {message}");
}
