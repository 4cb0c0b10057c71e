using System.Buffers.Binary;
using Upscaler.Core;

namespace Upscaler.Bridge.Protocol;

/// <summary>
/// Reads request frames from the input stream. It never trusts a length or a size before checking it
/// against the limits, and never holds much more memory than the bytes that actually arrived, so a
/// hostile or truncated frame costs little. Content errors consume the frame and come back as
/// <see cref="RejectedFrame"/>; a stream that cannot be resynchronised throws a fatal <see cref="ProtocolException"/>.
/// </summary>
internal sealed class FrameReader(Stream input)
{
    private const int FirstPixelChunk = 64 << 20;
    private readonly byte[] _scratch = new byte[64 << 10];

    /// <summary>The next frame, or <c>null</c> at a clean end of input (between frames).</summary>
    public async Task<Incoming?> ReadAsync(CancellationToken cancellationToken = default)
    {
        // The magic is checked as soon as its 4 bytes are in: stray text is refused at once, not
        // after waiting for a 16-byte header that may never come.
        var header = new byte[Wire.FrameHeaderSize];
        int got = await ReadAtMostAsync(header.AsMemory(0, 4), cancellationToken);
        if (got == 0)
            return null;
        if (got == 4 && !header.AsSpan(0, 4).SequenceEqual(Wire.Magic))
            throw Fatal($"bad frame magic 0x{BinaryPrimitives.ReadUInt32BigEndian(header):x8}: this is not a bridge frame (expected \"UPBR\")");
        if (got == 4)
            got += await ReadAtMostAsync(header.AsMemory(4), cancellationToken);
        if (got < header.Length)
            throw Fatal($"truncated frame header: {got} of {Wire.FrameHeaderSize} bytes before the end of input");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(4));
        if (version != Wire.Version)
            throw new ProtocolException(ErrorCode.UnsupportedVersion, $"protocol version {version} is not supported: this bridge speaks version {Wire.Version}", fatal: true);
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(6));
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(8));

        return (FrameType)type switch
        {
            FrameType.Upscale => await ReadUpscaleAsync(length, cancellationToken),
            FrameType.Cancel => await ReadSmallAsync(length, 4, p => new CancelFrame(BinaryPrimitives.ReadUInt32LittleEndian(p)), "CANCEL", cancellationToken),
            FrameType.ListModels => await ReadSmallAsync(length, 0, _ => new ListModelsFrame(), "LIST_MODELS", cancellationToken),
            _ => await RejectSmallAsync(length, $"unknown request frame type 0x{type:x4}", cancellationToken),
        };
    }

    private async Task<Incoming> ReadSmallAsync(ulong length, int size, Func<byte[], Incoming> parse, string name, CancellationToken cancellationToken)
    {
        if (length != (ulong)size)
            return await RejectSmallAsync(length, $"a {name} frame carries {size} payload bytes, not {length}", cancellationToken);
        var payload = new byte[size];
        await ReadExactlyAsync(payload, "payload", cancellationToken);
        return parse(payload);
    }

    private async Task<Incoming> RejectSmallAsync(ulong length, string message, CancellationToken cancellationToken)
    {
        if (length > Wire.MaxSmallPayload)
            throw Fatal($"{message} with a {length}-byte payload, over the {Wire.MaxSmallPayload}-byte limit for such frames");
        await SkipAsync(length, cancellationToken);
        return new RejectedFrame(0, ErrorCode.BadRequest, message);
    }

    private async Task<Incoming> ReadUpscaleAsync(ulong length, CancellationToken cancellationToken)
    {
        if (length > Wire.RequestHeaderSize + (ulong)Wire.MaxPixelBytes)
            throw Fatal($"UPSCALE frame length {length} is over the limit of {Wire.RequestHeaderSize + Wire.MaxPixelBytes} bytes");
        if (length < Wire.RequestHeaderSize)
        {
            await SkipAsync(length, cancellationToken);
            return new RejectedFrame(0, ErrorCode.BadRequest, $"UPSCALE frame of {length} bytes is shorter than its {Wire.RequestHeaderSize}-byte header");
        }

        var head = new byte[Wire.RequestHeaderSize];
        await ReadExactlyAsync(head, "UPSCALE header", cancellationToken);
        ulong pixelBytes = length - Wire.RequestHeaderSize;
        var parsed = RequestHeader.Parse(head);
        string? problem = parsed.Problem, modelId = null;
        int? jpegQuality = null;
        if (problem is null && parsed.HasModelId)
            (modelId, pixelBytes, problem) = await ReadModelIdAsync(pixelBytes, cancellationToken);
        if (problem is null && parsed.HasJpegQuality)
            (jpegQuality, pixelBytes, problem) = await ReadJpegQualityAsync(pixelBytes, cancellationToken);
        var options = parsed.Options;
        if (problem is null && parsed.HasFaces)
            (options, pixelBytes, problem) = await ReadFacesAsync(options!, pixelBytes, cancellationToken);
        if (problem is null && (ulong)parsed.PixelBytes != pixelBytes)
            problem = $"pixel data holds {pixelBytes} bytes, a {parsed.Width}x{parsed.Height} {parsed.Channels}-channel {parsed.Bits}-bit image needs {parsed.PixelBytes}";
        if (problem is not null)
        {
            await SkipAsync(pixelBytes, cancellationToken);
            return new RejectedFrame(parsed.RequestId, parsed.Problem is null ? ErrorCode.BadRequest : parsed.ProblemCode, problem);
        }

        var pixels = await ReadPixelsAsync((int)pixelBytes, cancellationToken);
        var image = new PixelImage(parsed.Width, parsed.Height, (PixelLayout)parsed.Channels, parsed.Bits, pixels);
        return new UpscaleFrame(parsed.RequestId, image, options! with { ModelId = modelId }, parsed.Denoise, jpegQuality);
    }

    /// <summary>The JPEG quality block: one byte, 1 to 100. Returns what is left of the payload for the pixels.</summary>
    private async Task<(int? Quality, ulong PixelBytes, string? Problem)> ReadJpegQualityAsync(ulong rest, CancellationToken cancellationToken)
    {
        if (rest < 1)
            return (null, rest, "the UPSCALE flags announce a JPEG quality, but the frame ends before it");
        var quality = new byte[1];
        await ReadExactlyAsync(quality, "JPEG quality", cancellationToken);
        return quality[0] is >= 1 and <= 100
            ? (quality[0], rest - 1, null)
            : (null, rest - 1, $"JPEG quality {quality[0]} is out of range: 1 to 100");
    }

    /// <summary>The face block: u8 mode (0 auto, 1 off), f64 strength 0..1. Returns what is left of the payload for the pixels.</summary>
    private async Task<(UpscaleOptions? Options, ulong PixelBytes, string? Problem)> ReadFacesAsync(UpscaleOptions options, ulong rest, CancellationToken cancellationToken)
    {
        if (rest < Wire.FaceBlockSize)
            return (null, rest, "the UPSCALE flags announce a face block, but the frame ends before it");
        var block = new byte[Wire.FaceBlockSize];
        await ReadExactlyAsync(block, "face block", cancellationToken);
        rest -= Wire.FaceBlockSize;
        if (block[0] > (int)FaceMode.Off)
            return (null, rest, $"unknown face mode {block[0]}: use 0 (auto) or 1 (off)");
        var faces = options with { Faces = (FaceMode)block[0], FaceStrength = BinaryPrimitives.ReadDoubleLittleEndian(block.AsSpan(1)) };
        try
        {
            faces.Validate();
            return (faces, rest, null);
        }
        catch (InvalidOptionsException e)
        {
            return (null, rest, e.Message);
        }
    }

    /// <summary>The model id block: u16 length (1 to 64), then UTF-8. Returns what is left of the payload for the pixels.</summary>
    private async Task<(string? Id, ulong PixelBytes, string? Problem)> ReadModelIdAsync(ulong rest, CancellationToken cancellationToken)
    {
        if (rest < 2)
            return (null, rest, "the UPSCALE flags announce a model id, but the frame ends before it");
        var size = new byte[2];
        await ReadExactlyAsync(size, "model id length", cancellationToken);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(size);
        rest -= 2;
        if (length is 0 or > Wire.MaxModelIdBytes || (ulong)length > rest)
            return (null, rest, $"model id length {length} is out of range: 1 to {Wire.MaxModelIdBytes} bytes");
        var bytes = new byte[length];
        await ReadExactlyAsync(bytes, "model id", cancellationToken);
        rest -= (ulong)length;
        try
        {
            return (new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes), rest, null);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return (null, rest, "the model id is not valid UTF-8");
        }
    }

    /// <summary>
    /// Reads a pixel block straight into the buffer the engine will use. A size past the first chunk is
    /// believed only once that chunk has arrived; the whole buffer is then allocated uninitialised, so its
    /// pages become resident only as the rest of the pixels arrive (a frame that stops early costs about
    /// what it sent), and the first chunk is its only copy: peak memory is the pixels plus 64 MiB, where
    /// growing by doubling held 2.6 times the pixels (the outgrown buffers wait for a full collection).
    /// </summary>
    private async Task<byte[]> ReadPixelsAsync(int size, CancellationToken cancellationToken)
    {
        if (size <= FirstPixelChunk)
        {
            var whole = new byte[size];
            await FillAsync(whole, 0, size, cancellationToken);
            return whole;
        }
        var first = new byte[FirstPixelChunk];
        await FillAsync(first, 0, size, cancellationToken);
        var buffer = GC.AllocateUninitializedArray<byte>(size);
        first.CopyTo(buffer, 0);
        await FillAsync(buffer, FirstPixelChunk, size, cancellationToken);
        return buffer;
    }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/> to its end; <paramref name="size"/> is the whole block, for the message.</summary>
    private async Task FillAsync(byte[] buffer, int offset, int size, CancellationToken cancellationToken)
    {
        int filled = offset;
        while (filled < buffer.Length)
        {
            int n = await input.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (n == 0)
                throw Fatal($"truncated UPSCALE frame: {filled} of {size} pixel bytes before the end of input");
            filled += n;
        }
    }

    private async Task SkipAsync(ulong count, CancellationToken cancellationToken)
    {
        ulong left = count;
        while (left > 0)
        {
            int n = await input.ReadAsync(_scratch.AsMemory(0, (int)Math.Min((ulong)_scratch.Length, left)), cancellationToken);
            if (n == 0)
                throw Fatal($"truncated frame: {count - left} of {count} payload bytes before the end of input");
            left -= (ulong)n;
        }
    }

    private async Task ReadExactlyAsync(byte[] buffer, string what, CancellationToken cancellationToken)
    {
        int got = await ReadAtMostAsync(buffer, cancellationToken);
        if (got < buffer.Length)
            throw Fatal($"truncated frame: {got} of {buffer.Length} {what} bytes before the end of input");
    }

    private async Task<int> ReadAtMostAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = await input.ReadAsync(buffer[filled..], cancellationToken);
            if (n == 0)
                break;
            filled += n;
        }
        return filled;
    }

    private static ProtocolException Fatal(string message) => new(ErrorCode.MalformedFrame, message, fatal: true);
}
