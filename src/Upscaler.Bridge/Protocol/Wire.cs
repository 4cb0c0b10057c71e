namespace Upscaler.Bridge.Protocol;

/// <summary>
/// The constants of protocol version 1 (docs/bridge-protocol.md is the normative description).
/// Every number on the wire is little-endian.
/// </summary>
internal static class Wire
{
    /// <summary>"UPBR": lets a reader tell a frame from stray text (a library printing to stdout).</summary>
    public static ReadOnlySpan<byte> Magic => "UPBR"u8;

    public const ushort Version = 1;

    /// <summary>magic (4) + version (2) + type (2) + payload length (8).</summary>
    public const int FrameHeaderSize = 16;

    /// <summary>Fixed part of an UPSCALE payload, before the pixels.</summary>
    public const int RequestHeaderSize = 40;

    /// <summary>UPSCALE flag: a model id block (u16 length, then that many UTF-8 bytes) follows the request header.</summary>
    public const uint ModelIdFlag = 1;

    /// <summary>UPSCALE flag: one byte, the quality (1..100) of the JPEG file the pixels came from, follows the model id block (or the header).</summary>
    public const uint JpegQualityFlag = 2;

    /// <summary>
    /// UPSCALE flag: a face block (9 bytes: u8 mode, 0 auto or 1 off; f64 face strength 0..1) follows, after
    /// the model id block and the JPEG quality byte when those are sent. Without it faces are auto at strength 1.
    /// </summary>
    public const uint FacesFlag = 4;

    public const int FaceBlockSize = 9;

    public const uint KnownFlags = ModelIdFlag | JpegQualityFlag | FacesFlag;

    /// <summary>The UPSCALE denoise value that asks for automatic denoise (the bridge measures the image, says what it chose in a DENOISE frame).</summary>
    public const double DenoiseAuto = -1.0;

    /// <summary>The DENOISE answer: request id, used, JPEG quality, reserved (u16), strength, noise, blockiness (f64 each).</summary>
    public const int DenoiseAnswerSize = 32;

    /// <summary>Longest model id, in UTF-8 bytes (ids are at most 64 ASCII characters).</summary>
    public const int MaxModelIdBytes = 64;

    /// <summary>Fixed part of a RESULT payload, before the pixels.</summary>
    public const int ResultHeaderSize = 16;

    /// <summary>Largest image side accepted, in and out (the engine's and GIMP's limit).</summary>
    public const int MaxSide = Upscaler.Core.OutputSize.MaxSide;

    /// <summary>Largest input area; the output area limit of the engine applies on top.</summary>
    public const long MaxPixels = Upscaler.Core.OutputSize.MaxPixels;

    /// <summary>Largest pixel block: what one .NET byte array can hold.</summary>
    public const long MaxPixelBytes = 2_147_483_591; // Array.MaxLength

    /// <summary>Largest payload of a frame that is not an UPSCALE request (CANCEL, LIST_MODELS, unknown types).</summary>
    public const long MaxSmallPayload = 1 << 20;

    /// <summary>Longest error message sent, in UTF-8 bytes.</summary>
    public const int MaxMessageBytes = 4096;
}

/// <summary>What a frame carries. Requests are below 0x100, answers from 0x100.</summary>
internal enum FrameType : ushort
{
    Upscale = 0x0001,
    Cancel = 0x0002,
    ListModels = 0x0003,

    Progress = 0x0101,
    Result = 0x0102,
    Error = 0x0103,
    Models = 0x0104,
    Denoise = 0x0105,
}

/// <summary>Why a request failed; sent in ERROR frames. Values are part of the protocol.</summary>
internal enum ErrorCode : ushort
{
    /// <summary>The byte stream is broken (bad magic, truncated frame, absurd length); the bridge exits after saying so.</summary>
    MalformedFrame = 1,
    /// <summary>The frame names a protocol version this bridge does not speak; the bridge exits.</summary>
    UnsupportedVersion = 2,
    /// <summary>A well-framed request with bad content: unknown type or field value, pixel count mismatch.</summary>
    BadRequest = 3,
    /// <summary>The input or the output it would make is over the stated size limits.</summary>
    TooLarge = 4,
    /// <summary>Scale, denoise or tile size out of range.</summary>
    InvalidOptions = 5,
    /// <summary>No model of the requested kind is installed, or a model file is damaged.</summary>
    ModelUnavailable = 6,
    /// <summary>The requested device (e.g. the GPU) cannot be used.</summary>
    DeviceUnavailable = 7,
    /// <summary>The request was cancelled by a CANCEL frame or by the end of input.</summary>
    Cancelled = 8,
    /// <summary>Anything else; the message says what.</summary>
    Internal = 9,
}
