using System.Text.Json;
using Microsoft.Extensions.Logging;
using Upscaler.Bridge.Protocol;
using Upscaler.Core;

namespace Upscaler.Bridge;

/// <summary>
/// Serves requests from <c>input</c> until it ends, one upscale at a time, answering on <c>output</c>.
/// While an upscale runs it keeps reading, so a CANCEL (or the end of input, i.e. the client went
/// away) stops the inference promptly. Every UPSCALE gets exactly one final answer: RESULT or ERROR.
/// </summary>
internal sealed class BridgeServer(IUpscaler upscaler, Stream input, Stream output, ILogger logger)
{
    /// <summary>Exit codes: 0 = input ended cleanly, 2 = the input stream was broken, 3 = the output was closed.</summary>
    public const int CleanExit = 0, BrokenInput = 2, OutputClosed = 3;

    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        var reader = new FrameReader(input);
        var writer = new FrameWriter(output);
        Task<Incoming?>? pending = null;
        try
        {
            while (true)
            {
                var frame = await (pending ?? reader.ReadAsync(cancellationToken));
                pending = null;
                switch (frame)
                {
                    case null:
                        logger.LogDebug("end of input");
                        return CleanExit;
                    case CancelFrame cancel:
                        // Nothing is running: the cancel crossed the request's final answer. Not an error.
                        logger.LogDebug("cancel for request {Id}, which is not running", cancel.RequestId);
                        break;
                    case ListModelsFrame:
                        SendModels(writer);
                        break;
                    case RejectedFrame rejected:
                        logger.LogWarning("request {Id} rejected: {Message}", rejected.RequestId, rejected.Message);
                        writer.WriteError(rejected.RequestId, rejected.Code, rejected.Message, fatal: false);
                        break;
                    case UpscaleFrame request:
                        pending = await ServeAsync(request, reader, writer, cancellationToken);
                        break;
                }
            }
        }
        catch (ProtocolException e) when (e.Fatal)
        {
            logger.LogError("broken input, exiting: {Message}", e.Message);
            try
            {
                writer.WriteError(e.RequestId, e.Code, e.Message, fatal: true);
            }
            catch (IOException)
            {
            }
            return BrokenInput;
        }
        catch (IOException e)
        {
            logger.LogError("output closed, exiting: {Message}", e.Message);
            return OutputClosed;
        }
    }

    /// <summary>
    /// Runs one upscale while watching the input. Returns the read that was in flight when the upscale
    /// ended (or null), for the main loop to pick up: the stream is never read by two tasks at once.
    /// </summary>
    private async Task<Task<Incoming?>?> ServeAsync(UpscaleFrame request, FrameReader reader, FrameWriter writer, CancellationToken cancellationToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var work = UpscaleAsync(request, writer, cancel.Token);
        Task<Incoming?>? next = null;
        while (!work.IsCompleted)
        {
            next ??= reader.ReadAsync(cancellationToken);
            if (await Task.WhenAny(work, next) != next)
                break;
            if (!next.IsCompletedSuccessfully || next.Result is null)
            {
                // The input ended or broke: nobody will read this result, stop at once.
                logger.LogDebug("input ended during request {Id}: cancelling it", request.RequestId);
                cancel.Cancel();
                break;
            }
            if (next.Result is CancelFrame c)
            {
                if (c.RequestId == request.RequestId)
                    cancel.Cancel();
                next = null;
                continue;
            }
            // A pipelined request: it waits its turn (and a CANCEL behind it is read after this request).
            break;
        }
        await work;
        return next;
    }

    private async Task UpscaleAsync(UpscaleFrame request, FrameWriter writer, CancellationToken cancellationToken)
    {
        uint id = request.RequestId;
        var image = request.Image;
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var options = request.Options;
            if (request.Denoise.IsAuto)
            {
                var decision = AutoDenoise.Decide(upscaler, image, options, request.Denoise, request.JpegQuality);
                writer.WriteDenoise(id, decision);
                logger.LogInformation("request {Id}: {Denoise}", id, decision.Describe());
                options = options with { Denoise = decision.Strength };
            }
            var progress = new FrameProgress(writer, id);
            var result = await upscaler.UpscaleAsync(image, options, progress, cancellationToken);
            writer.WriteResult(id, result);
            logger.LogInformation("request {Id}: {W}x{H} {Layout} {Bits}-bit -> {OW}x{OH} in {Seconds:0.00} s",
                id, image.Width, image.Height, image.Layout, image.BitDepth, result.Width, result.Height, started.Elapsed.TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            logger.LogInformation("request {Id}: cancelled after {Seconds:0.00} s", id, started.Elapsed.TotalSeconds);
            writer.WriteError(id, ErrorCode.Cancelled, "the upscale was cancelled", fatal: false);
        }
        catch (UpscalerException e)
        {
            logger.LogWarning("request {Id} failed: {Message}", id, e.Message);
            writer.WriteError(id, CodeFor(e), e.Message, fatal: false);
        }
        catch (OutOfMemoryException)
        {
            writer.WriteError(id, ErrorCode.TooLarge, $"out of memory upscaling a {image.Width}x{image.Height} image: try a smaller scale or tile size", fatal: false);
        }
        catch (Exception e) when (e is not IOException)
        {
            logger.LogError(e, "request {Id}: internal error", id);
            writer.WriteError(id, ErrorCode.Internal, ErrorText.Internal(e), fatal: false);
        }
    }

    private void SendModels(FrameWriter writer)
    {
        IReadOnlyList<ModelInfo> models;
        try
        {
            models = upscaler.Models;
        }
        catch (UpscalerException e)
        {
            writer.WriteError(0, ErrorCode.ModelUnavailable, e.Message, fatal: false);
            return;
        }
        var answer = new
        {
            bridge = BridgeVersion.Text,
            protocol = (int)Wire.Version,
            models = models.Select(m => new
            {
                id = m.Id,
                kind = m.Kind.ToString().ToLowerInvariant(),
                scale = m.Scale,
                description = m.Description,
                denoise = m.HasDenoise,
                origin = m.Origin.ToString().ToLowerInvariant(),
            }),
        };
        writer.WriteModels(JsonSerializer.Serialize(answer));
    }

    internal static ErrorCode CodeFor(UpscalerException e) => e switch
    {
        InvalidOptionsException => ErrorCode.InvalidOptions,
        ModelCatalogException => ErrorCode.ModelUnavailable,
        DeviceUnavailableException => ErrorCode.DeviceUnavailable,
        ImageTooLargeException => ErrorCode.TooLarge,
        _ => ErrorCode.Internal,
    };

    /// <summary>
    /// Reports synchronously on the engine's thread (not via <see cref="Progress{T}"/>, which posts to the
    /// thread pool): every PROGRESS frame is then on the wire before the RESULT, in order.
    /// </summary>
    private sealed class FrameProgress(FrameWriter writer, uint requestId) : IProgress<UpscaleProgress>
    {
        public void Report(UpscaleProgress value) => writer.WriteProgress(requestId, value.TilesDone, value.TilesTotal);
    }
}
