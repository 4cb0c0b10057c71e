namespace Upscaler.Bridge.Protocol;

/// <summary>
/// A request the bridge refuses. <see cref="Fatal"/> means the byte stream itself can no longer be
/// trusted (the next frame boundary is unknown), so the bridge answers and exits; otherwise the
/// offending frame has been consumed whole and the next request starts from a clean state.
/// </summary>
internal sealed class ProtocolException(ErrorCode code, string message, bool fatal, uint requestId = 0) : Exception(message)
{
    public ErrorCode Code { get; } = code;
    public bool Fatal { get; } = fatal;
    public uint RequestId { get; } = requestId;
}
