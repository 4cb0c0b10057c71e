using System.Buffers.Binary;
using System.Text;
using Upscaler.Core;

namespace Upscaler.Bridge.Protocol;

/// <summary>
/// Writes answer frames. Progress comes from the engine's worker thread while the main loop may be
/// answering too, so every frame is written whole under one lock and flushed at once: a reader never
/// sees interleaved or buffered-up frames.
/// </summary>
internal sealed class FrameWriter(Stream output)
{
    private readonly Lock _gate = new();

    public void WriteProgress(uint requestId, int tilesDone, int tilesTotal)
    {
        Span<byte> p = stackalloc byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(p, requestId);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], (uint)Math.Max(0, tilesDone));
        BinaryPrimitives.WriteUInt32LittleEndian(p[8..], (uint)Math.Max(0, tilesTotal));
        WriteFrame(FrameType.Progress, p, default);
    }

    public void WriteResult(uint requestId, PixelImage image)
    {
        Span<byte> p = stackalloc byte[Wire.ResultHeaderSize];
        p.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(p, requestId);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], (uint)image.Width);
        BinaryPrimitives.WriteUInt32LittleEndian(p[8..], (uint)image.Height);
        p[12] = (byte)image.Channels;
        p[13] = (byte)image.BitDepth;
        WriteFrame(FrameType.Result, p, image.Data);
    }

    /// <summary>What automatic denoise chose for a request, before its first PROGRESS.</summary>
    public void WriteDenoise(uint requestId, DenoiseDecision decision)
    {
        Span<byte> p = stackalloc byte[Wire.DenoiseAnswerSize];
        p.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(p, requestId);
        p[4] = decision.ModelTakesDenoise ? (byte)1 : (byte)0;
        p[5] = (byte)(decision.Measured?.JpegQuality ?? 0);
        BinaryPrimitives.WriteDoubleLittleEndian(p[8..], decision.Strength);
        BinaryPrimitives.WriteDoubleLittleEndian(p[16..], decision.Measured?.NoiseSigma ?? 0);
        BinaryPrimitives.WriteDoubleLittleEndian(p[24..], decision.Measured?.Blockiness ?? 0);
        WriteFrame(FrameType.Denoise, p, default);
    }

    public void WriteError(uint requestId, ErrorCode code, string message, bool fatal)
    {
        byte[] text = Encode(message);
        Span<byte> p = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(p, requestId);
        BinaryPrimitives.WriteUInt16LittleEndian(p[4..], (ushort)code);
        p[6] = fatal ? (byte)1 : (byte)0;
        p[7] = 0;
        WriteFrame(FrameType.Error, p, text);
    }

    public void WriteModels(string json) => WriteFrame(FrameType.Models, default, Encoding.UTF8.GetBytes(json));

    private void WriteFrame(FrameType type, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body)
    {
        Span<byte> frame = stackalloc byte[Wire.FrameHeaderSize];
        Wire.Magic.CopyTo(frame);
        BinaryPrimitives.WriteUInt16LittleEndian(frame[4..], Wire.Version);
        BinaryPrimitives.WriteUInt16LittleEndian(frame[6..], (ushort)type);
        BinaryPrimitives.WriteUInt64LittleEndian(frame[8..], (ulong)(head.Length + body.Length));
        lock (_gate)
        {
            output.Write(frame);
            output.Write(head);
            output.Write(body);
            output.Flush();
        }
    }

    /// <summary>Messages are one line (<see cref="ErrorText"/>) of at most <see cref="Wire.MaxMessageBytes"/> UTF-8 bytes, cut at a character boundary.</summary>
    private static byte[] Encode(string message)
    {
        string line = ErrorText.OneLine(message);
        byte[] bytes = Encoding.UTF8.GetBytes(line);
        if (bytes.Length <= Wire.MaxMessageBytes)
            return bytes;
        int cut = Wire.MaxMessageBytes;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80)
            cut--;
        return bytes[..cut];
    }
}
