using Upscaler.Core;

namespace Upscaler.Bridge.Protocol;

/// <summary>One request frame, read whole and checked, as <see cref="FrameReader"/> hands it over.</summary>
internal abstract record Incoming;

/// <summary>
/// UPSCALE: the image and the options, already validated against the limits. With automatic denoise the
/// strength in <see cref="Options"/> is chosen by the server; <see cref="JpegQuality"/> is the host's hint for it.
/// </summary>
internal sealed record UpscaleFrame(uint RequestId, PixelImage Image, UpscaleOptions Options, DenoiseSetting Denoise, int? JpegQuality) : Incoming;

/// <summary>CANCEL: stop request <see cref="RequestId"/> if it is still running.</summary>
internal sealed record CancelFrame(uint RequestId) : Incoming;

/// <summary>LIST_MODELS: which models the bridge has installed.</summary>
internal sealed record ListModelsFrame : Incoming;

/// <summary>A well-framed request that cannot be served; its payload has been consumed, the stream is in sync.</summary>
internal sealed record RejectedFrame(uint RequestId, ErrorCode Code, string Message) : Incoming;
