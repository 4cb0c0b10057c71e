using System.Buffers.Binary;
using Upscaler.Core;

namespace Upscaler.Bridge.Protocol;

/// <summary>
/// The 40-byte fixed part of an UPSCALE payload, decoded and checked field by field. A bad field is
/// not an exception: it becomes <see cref="Problem"/>, so the reader can still skip the pixels and stay in sync.
/// </summary>
internal sealed record RequestHeader
{
    public uint RequestId { get; private init; }
    public int Width { get; private init; }
    public int Height { get; private init; }
    public int Channels { get; private init; }
    public int Bits { get; private init; }
    public long PixelBytes { get; private init; }
    public UpscaleOptions? Options { get; private init; }
    /// <summary>Set by flag <see cref="Wire.ModelIdFlag"/>: a model id block follows this header, before the pixels.</summary>
    public bool HasModelId { get; private init; }
    /// <summary>Set by flag <see cref="Wire.JpegQualityFlag"/>: a JPEG quality byte follows (after the model id block, if any).</summary>
    public bool HasJpegQuality { get; private init; }
    /// <summary>Automatic when the denoise field is <see cref="Wire.DenoiseAuto"/>; else the strength in <see cref="Options"/>.</summary>
    public DenoiseSetting Denoise { get; private init; }
    /// <summary>Set by flag <see cref="Wire.FacesFlag"/>: a face block follows (after the model id block and the JPEG quality byte, if any).</summary>
    public bool HasFaces { get; private init; }
    public string? Problem { get; private init; }
    public ErrorCode ProblemCode { get; private init; }

    public static RequestHeader Parse(ReadOnlySpan<byte> b)
    {
        uint id = BinaryPrimitives.ReadUInt32LittleEndian(b);
        uint width = BinaryPrimitives.ReadUInt32LittleEndian(b[4..]);
        uint height = BinaryPrimitives.ReadUInt32LittleEndian(b[8..]);
        int channels = b[12], bits = b[13], model = b[14], device = b[15];
        double scale = BinaryPrimitives.ReadDoubleLittleEndian(b[16..]);
        double denoise = BinaryPrimitives.ReadDoubleLittleEndian(b[24..]);
        int tile = BinaryPrimitives.ReadInt32LittleEndian(b[32..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(b[36..]);

        var header = new RequestHeader { RequestId = id };
        RequestHeader Reject(ErrorCode code, string message) => header with { Problem = message, ProblemCode = code };

        if (width == 0 || height == 0)
            return Reject(ErrorCode.BadRequest, $"image size {width}x{height} is empty");
        if (width > Wire.MaxSide || height > Wire.MaxSide)
            return Reject(ErrorCode.TooLarge, $"image size {width}x{height} is over the limit of {Wire.MaxSide} px per side");
        if ((long)width * height > Wire.MaxPixels)
            return Reject(ErrorCode.TooLarge, $"image size {width}x{height} is over the limit of {Wire.MaxPixels / 1_000_000} MP");
        if (channels is < 1 or > 4)
            return Reject(ErrorCode.BadRequest, $"channel count {channels} is not 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA)");
        if (bits is not (8 or 16))
            return Reject(ErrorCode.BadRequest, $"bits per channel {bits} is not 8 or 16");
        if (model > (int)ModelKind.Anime)
            return Reject(ErrorCode.BadRequest, $"unknown model code {model}: use 0 (general), 1 (face), 2 (text), 3 (sharp) or 4 (anime)");
        if (device > (int)ComputeDevice.Gpu)
            return Reject(ErrorCode.BadRequest, $"unknown device code {device}: use 0 (auto), 1 (cpu) or 2 (gpu)");
        if (tile < -1)
            return Reject(ErrorCode.BadRequest, $"tile size {tile} is invalid: use -1 (auto), 0 (whole image) or 16 to 8192");
        header = header with
        {
            HasModelId = (flags & Wire.ModelIdFlag) != 0,
            HasJpegQuality = (flags & Wire.JpegQualityFlag) != 0,
            HasFaces = (flags & Wire.FacesFlag) != 0,
        };
        if ((flags & ~Wire.KnownFlags) != 0)
            return Reject(ErrorCode.BadRequest,
                $"unknown request flags 0x{flags:x8}: protocol version {Wire.Version} defines 0x{Wire.ModelIdFlag:x8} (model id), 0x{Wire.JpegQualityFlag:x8} (JPEG quality) and 0x{Wire.FacesFlag:x8} (faces)");

        long pixelBytes = (long)width * height * channels * (bits / 8);
        header = header with { Width = (int)width, Height = (int)height, Channels = channels, Bits = bits, PixelBytes = pixelBytes };
        if (pixelBytes > Wire.MaxPixelBytes)
            return Reject(ErrorCode.TooLarge, $"a {width}x{height} {channels}-channel {bits}-bit image is {pixelBytes} bytes, over the limit of {Wire.MaxPixelBytes}");

        // -1 asks for automatic denoise (chosen per image before the upscale); the strength checked here is then a placeholder.
        bool auto = denoise == Wire.DenoiseAuto;
        var options = new UpscaleOptions
        {
            Scale = scale,
            Denoise = auto ? 0 : denoise,
            Model = (ModelKind)model,
            Device = (ComputeDevice)device,
            TileSize = tile == -1 ? null : tile,
        };
        try
        {
            options.Validate();
            OutputSize.For(header.Width, header.Height, scale).EnsureWithinLimits();
        }
        catch (InvalidOptionsException e)
        {
            return Reject(ErrorCode.InvalidOptions, e.Message);
        }
        catch (ImageTooLargeException e)
        {
            return Reject(ErrorCode.TooLarge, e.Message);
        }
        return header with { Options = options, Denoise = auto ? DenoiseSetting.Auto : DenoiseSetting.Fixed(denoise) };
    }
}
