using System.Text;

namespace Upscaler.ModelImport.Torch;

/// <summary>
/// Lists the globals (module.name) a pickle refers to without unpickling it, so a checkpoint that
/// names anything beyond the torch tensor-rebuild functions is refused before a single object is
/// built. It walks the opcodes of pickle protocols 0-5 and stops at STOP.
/// </summary>
internal static class PickleGlobalScanner
{
    /// <summary>The globals in order of appearance, and the offset just past the STOP opcode.</summary>
    public static (List<string> Globals, long End) Scan(Stream stream)
    {
        var globals = new List<string>();
        var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        // STACK_GLOBAL (protocol 4+) takes module and name from the stack: track the last strings
        // pushed and the strings stored in the memo.
        var recentStrings = new List<string?>();
        var memo = new Dictionary<long, string?>();
        string? lastPushed = null;
        while (true)
        {
            byte op = reader.ReadByte();
            string? pushed = null;
            switch (op)
            {
                case (byte)'.': // STOP
                    return (globals, stream.Position);
                case (byte)'c': // GLOBAL module\nname\n
                case (byte)'i': // INST module\nname\n
                    globals.Add(ReadLine(reader) + "." + ReadLine(reader));
                    break;
                case 0x93: // STACK_GLOBAL
                    if (recentStrings.Count < 2 || recentStrings[^1] is null || recentStrings[^2] is null)
                        throw new InvalidDataException("STACK_GLOBAL without literal module and name");
                    globals.Add(recentStrings[^2] + "." + recentStrings[^1]);
                    break;
                // newline-terminated arguments
                case (byte)'I': case (byte)'L': case (byte)'F': case (byte)'P':
                    ReadLine(reader);
                    break;
                case (byte)'S': case (byte)'V':
                    pushed = ReadLine(reader);
                    break;
                case (byte)'g': // GET
                    pushed = memo.GetValueOrDefault(long.Parse(ReadLine(reader)));
                    break;
                case (byte)'p': // PUT
                    memo[long.Parse(ReadLine(reader))] = lastPushed;
                    break;
                // fixed-size arguments
                case (byte)'K': case 0x80: case 0x82:
                    reader.ReadByte();
                    break;
                case (byte)'h': // BINGET
                    pushed = memo.GetValueOrDefault(reader.ReadByte());
                    break;
                case (byte)'q': // BINPUT
                    memo[reader.ReadByte()] = lastPushed;
                    break;
                case (byte)'M': case 0x83:
                    reader.ReadUInt16();
                    break;
                case (byte)'J': case 0x84:
                    reader.ReadInt32();
                    break;
                case (byte)'j': // LONG_BINGET
                    pushed = memo.GetValueOrDefault(reader.ReadUInt32());
                    break;
                case (byte)'r': // LONG_BINPUT
                    memo[reader.ReadUInt32()] = lastPushed;
                    break;
                case 0x94: // MEMOIZE
                    memo[memo.Count] = lastPushed;
                    break;
                case (byte)'G': case 0x95:
                    reader.ReadInt64();
                    break;
                // length-prefixed data
                case 0x8c: // SHORT_BINUNICODE
                    pushed = Encoding.UTF8.GetString(ReadExactly(reader, reader.ReadByte()));
                    break;
                case (byte)'X': // BINUNICODE
                    pushed = Encoding.UTF8.GetString(ReadExactly(reader, reader.ReadUInt32()));
                    break;
                case 0x8d: // BINUNICODE8
                    pushed = Encoding.UTF8.GetString(ReadExactly(reader, reader.ReadInt64()));
                    break;
                case (byte)'U': case (byte)'C': case 0x8a:
                    Skip(reader, reader.ReadByte());
                    break;
                case (byte)'T': case (byte)'B': case 0x8b:
                    Skip(reader, reader.ReadUInt32());
                    break;
                case 0x8e: case 0x96:
                    Skip(reader, reader.ReadInt64());
                    break;
                // opcodes without arguments
                case (byte)'(': case (byte)'0': case (byte)'1': case (byte)'2': case (byte)'N': case (byte)'Q':
                case (byte)'R': case (byte)'a': case (byte)'b': case (byte)'d': case (byte)'}': case (byte)'e':
                case (byte)'l': case (byte)']': case (byte)'o': case (byte)'s': case (byte)'t': case (byte)')':
                case (byte)'u': case 0x81: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89:
                case 0x8f: case 0x90: case 0x91: case 0x92: case 0x97: case 0x98:
                    break;
                default:
                    throw new InvalidDataException($"unknown pickle opcode 0x{op:x2}");
            }
            if (op != (byte)'q' && op != (byte)'p' && op != (byte)'r' && op != 0x94)
            {
                lastPushed = pushed;
                recentStrings.Add(pushed);
                if (recentStrings.Count > 2)
                    recentStrings.RemoveAt(0);
            }
        }
    }

    private static string ReadLine(BinaryReader reader)
    {
        var bytes = new List<byte>();
        for (byte b = reader.ReadByte(); b != (byte)'\n'; b = reader.ReadByte())
        {
            bytes.Add(b);
            if (bytes.Count > 1 << 16)
                throw new InvalidDataException("pickle text argument too long");
        }
        return Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd('\r');
    }

    private static byte[] ReadExactly(BinaryReader reader, long count)
    {
        if (count < 0 || count > int.MaxValue)
            throw new InvalidDataException("pickle string length out of range");
        byte[] bytes = reader.ReadBytes((int)count);
        if (bytes.Length != count)
            throw new EndOfStreamException();
        return bytes;
    }

    private static void Skip(BinaryReader reader, long count)
    {
        if (count < 0)
            throw new InvalidDataException("negative pickle length");
        var stream = reader.BaseStream;
        if (stream.CanSeek)
        {
            if (stream.Position + count > stream.Length)
                throw new EndOfStreamException();
            stream.Seek(count, SeekOrigin.Current);
        }
        else
        {
            ReadExactly(reader, count);
        }
    }
}
