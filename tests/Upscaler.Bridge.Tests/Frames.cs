using System.Buffers.Binary;
using System.Text;

namespace Upscaler.Bridge.Tests;

/// <summary>
/// The protocol written out by hand from docs/bridge-protocol.md, independent of the bridge's own
/// reader and writer, so the tests check the documented wire format rather than the code against itself.
/// </summary>
internal static class Frames
{
    public static byte[] Frame(ushort type, byte[] payload, ushort version = 1, string magic = "UPBR", ulong? length = null)
    {
        var frame = new byte[16 + payload.Length];
        Encoding.ASCII.GetBytes(magic).CopyTo(frame, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(4), version);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8), length ?? (ulong)payload.Length);
        payload.CopyTo(frame, 16);
        return frame;
    }

    public static byte[] UpscaleHeader(uint id, uint width, uint height, byte channels, byte bits,
        double scale = 2, byte model = 0, byte device = 1, double denoise = 0.5, int tile = -1, uint flags = 0)
    {
        var h = new byte[40];
        BinaryPrimitives.WriteUInt32LittleEndian(h, id);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), width);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(8), height);
        h[12] = channels;
        h[13] = bits;
        h[14] = model;
        h[15] = device;
        BinaryPrimitives.WriteDoubleLittleEndian(h.AsSpan(16), scale);
        BinaryPrimitives.WriteDoubleLittleEndian(h.AsSpan(24), denoise);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(32), tile);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(36), flags);
        return h;
    }

    public static byte[] Upscale(uint id, int width, int height, int channels, int bits, byte[] pixels,
        double scale = 2, byte model = 0, double denoise = 0.5, int tile = -1) =>
        Frame(1, [.. UpscaleHeader(id, (uint)width, (uint)height, (byte)channels, (byte)bits, scale, model, 1, denoise, tile), .. pixels]);

    /// <summary>An UPSCALE by model id: flag 1 and the id block (u16 length, UTF-8) between header and pixels.</summary>
    public static byte[] UpscaleById(uint id, string modelId, int width, int height, int channels, int bits, byte[] pixels, byte[]? rawId = null)
    {
        byte[] name = rawId ?? Encoding.UTF8.GetBytes(modelId);
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)name.Length);
        return Frame(1, [.. UpscaleHeader(id, (uint)width, (uint)height, (byte)channels, (byte)bits, flags: 1), .. length, .. name, .. pixels]);
    }

    /// <summary>An UPSCALE with flag 4 and the face block (u8 mode, f64 strength) between header and pixels.</summary>
    public static byte[] UpscaleWithFaces(uint id, byte mode, double strength, int width, int height, int channels, int bits, byte[] pixels)
    {
        var block = new byte[9];
        block[0] = mode;
        BinaryPrimitives.WriteDoubleLittleEndian(block.AsSpan(1), strength);
        return Frame(1, [.. UpscaleHeader(id, (uint)width, (uint)height, (byte)channels, (byte)bits, flags: 4), .. block, .. pixels]);
    }

    /// <summary>
    /// An UPSCALE with the optional blocks in their documented order: the model id block (flag 1), the
    /// JPEG quality byte (flag 2), then the face block (flag 4). Denoise −1 asks for automatic denoise.
    /// </summary>
    public static byte[] UpscaleWith(uint id, int width, int height, int channels, int bits, byte[] pixels,
        double denoise = -1, string? modelId = null, byte? jpegQuality = null, byte? faceMode = null, double faceStrength = 1.0,
        byte[]? extra = null)
    {
        var blocks = new List<byte>();
        uint flags = 0;
        if (modelId is not null)
        {
            byte[] name = Encoding.UTF8.GetBytes(modelId);
            var length = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)name.Length);
            blocks.AddRange([.. length, .. name]);
            flags |= 1;
        }
        if (jpegQuality is byte q)
        {
            blocks.Add(q);
            flags |= 2;
        }
        if (faceMode is byte mode)
        {
            var face = new byte[9];
            face[0] = mode;
            BinaryPrimitives.WriteDoubleLittleEndian(face.AsSpan(1), faceStrength);
            blocks.AddRange(face);
            flags |= 4;
        }
        return Frame(1, [.. UpscaleHeader(id, (uint)width, (uint)height, (byte)channels, (byte)bits, denoise: denoise, flags: flags),
            .. blocks, .. extra ?? [], .. pixels]);
    }

    public static byte[] Cancel(uint id)
    {
        var p = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(p, id);
        return Frame(2, p);
    }

    public static byte[] ListModels() => Frame(3, []);

    public static byte[] Pattern(int width, int height, int channels, int bits, int seed = 1)
    {
        var data = new byte[width * height * channels * (bits / 8)];
        var random = new Random(seed);
        random.NextBytes(data);
        return data;
    }
}

/// <summary>An answer frame as the tests decode it.</summary>
internal sealed record Answer(ushort Type, byte[] Payload)
{
    public const ushort Progress = 0x0101, Result = 0x0102, Error = 0x0103, Models = 0x0104, Denoise = 0x0105;

    public uint RequestId => BinaryPrimitives.ReadUInt32LittleEndian(Payload);
    public ushort ErrorCode => BinaryPrimitives.ReadUInt16LittleEndian(Payload.AsSpan(4));
    public bool Fatal => Payload[6] == 1;
    public string Message => Encoding.UTF8.GetString(Payload, 8, Payload.Length - 8);
    public int Width => (int)BinaryPrimitives.ReadUInt32LittleEndian(Payload.AsSpan(4));
    public int Height => (int)BinaryPrimitives.ReadUInt32LittleEndian(Payload.AsSpan(8));
    public int Channels => Payload[12];
    public int Bits => Payload[13];
    public byte[] Pixels => Payload[16..];
    public (uint Done, uint Total) Tiles => (BinaryPrimitives.ReadUInt32LittleEndian(Payload.AsSpan(4)), BinaryPrimitives.ReadUInt32LittleEndian(Payload.AsSpan(8)));
    public string Json => Encoding.UTF8.GetString(Payload);

    /// <summary>A DENOISE answer: used (1) or the model has no denoise control (0), the JPEG quality it was given (0 none), strength, noise, blockiness.</summary>
    public (bool Used, int JpegQuality, double Strength, double Noise, double Blockiness) Chosen
    {
        get
        {
            Assert.That(Payload, Has.Length.EqualTo(32), "DENOISE payload");
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(Payload.AsSpan(6)), Is.Zero, "reserved");
            return (Payload[4] == 1, Payload[5], BinaryPrimitives.ReadDoubleLittleEndian(Payload.AsSpan(8)),
                BinaryPrimitives.ReadDoubleLittleEndian(Payload.AsSpan(16)), BinaryPrimitives.ReadDoubleLittleEndian(Payload.AsSpan(24)));
        }
    }

    public override string ToString() => Type switch
    {
        Error => $"ERROR id={RequestId} code={ErrorCode} fatal={Fatal}: {Message}",
        Result => $"RESULT id={RequestId} {Width}x{Height}x{Channels}@{Bits}",
        Progress => $"PROGRESS id={RequestId} {Tiles.Done}/{Tiles.Total}",
        Denoise => $"DENOISE id={RequestId} {Chosen}",
        _ => $"frame 0x{Type:x4} ({Payload.Length} bytes)",
    };

    /// <summary>Reads every answer in <paramref name="output"/>, failing the test on anything that is not a valid answer frame.</summary>
    public static List<Answer> ParseAll(ReadOnlySpan<byte> output)
    {
        var answers = new List<Answer>();
        while (output.Length > 0)
        {
            Assert.That(output.Length, Is.GreaterThanOrEqualTo(16), "truncated answer frame header");
            Assert.That(Encoding.ASCII.GetString(output[..4]), Is.EqualTo("UPBR"), "answer magic");
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(output[4..]), Is.EqualTo(1), "answer version");
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(output[6..]);
            Assert.That(type, Is.AnyOf(Progress, Result, Error, Models, Denoise), "answer type");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(output[8..]);
            Assert.That(length, Is.LessThanOrEqualTo((ulong)(output.Length - 16)), "answer length beyond the output");
            answers.Add(new Answer(type, output.Slice(16, (int)length).ToArray()));
            output = output[(16 + (int)length)..];
        }
        return answers;
    }

    public static async Task<Answer?> ReadAsync(Stream stream)
    {
        var header = new byte[16];
        int got = 0;
        while (got < 16)
        {
            int n = await stream.ReadAsync(header.AsMemory(got));
            if (n == 0)
                return got == 0 ? null : throw new EndOfStreamException("truncated answer header");
            got += n;
        }
        Assert.That(Encoding.ASCII.GetString(header, 0, 4), Is.EqualTo("UPBR"));
        var payload = new byte[BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(8))];
        await stream.ReadExactlyAsync(payload);
        return new Answer(BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(6)), payload);
    }
}
