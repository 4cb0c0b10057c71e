namespace Upscaler.Cli.Images;

/// <summary>
/// Reads the quality a JPEG file was saved with, from its luminance quantization table (the DQT segment
/// for table 0), for the engine's automatic denoise. Nearly every encoder (libjpeg, libjpeg-turbo, and so
/// libvips, PIL, GIMP and most web tools) scales the IJG example table of the JPEG standard (Annex K.1) by
/// quality exactly as libjpeg's <c>jpeg_quality_scaling</c> does, so the quality whose scaled table is
/// closest to the file's is the one it was saved with; for encoders with their own tables (cameras, some
/// editors) it is the IJG quality of about the same coarseness.
/// </summary>
/// <remarks>Reads only the header segments, up to the first scan. Anything that is not a readable JPEG
/// header, truncated or unreadable files included, gives null: the quality is a hint, never a reason to fail.</remarks>
internal static class JpegQualityReader
{
    /// <summary>The IJG luminance table (JPEG standard, Annex K.1), in natural (row-major) order.</summary>
    private static readonly int[] StandardLuminance =
    [
        16, 11, 10, 16, 24, 40, 51, 61,
        12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77,
        24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101,
        72, 92, 95, 98, 112, 100, 103, 99,
    ];

    /// <summary>Natural-order index of the k-th coefficient in zig-zag order, the order DQT stores them in.</summary>
    private static readonly int[] ZigZag = BuildZigZag();

    private const int Soi = 0xD8, Eoi = 0xD9, Sos = 0xDA, Dqt = 0xDB;

    public static int? Read(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
            return Read(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    public static int? Read(Stream stream)
    {
        var table = LuminanceTable(stream);
        return table is null ? null : QualityOf(table.Value.Values, table.Value.Baseline);
    }

    /// <summary>The IJG quality (1..100) whose scaled table is closest to <paramref name="natural"/>; on a tie the higher quality.</summary>
    public static int QualityOf(int[] natural, bool baseline)
    {
        int best = 100;
        long bestError = long.MaxValue;
        for (int quality = 100; quality >= 1; quality--)
        {
            int scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
            long error = 0;
            for (int i = 0; i < 64; i++)
            {
                int expected = Math.Clamp((StandardLuminance[i] * scale + 50) / 100, 1, baseline ? 255 : 32767);
                error += Math.Abs(natural[i] - expected);
            }
            if (error < bestError)
            {
                bestError = error;
                best = quality;
            }
        }
        return best;
    }

    /// <summary>Walks the marker segments up to the first scan; null if the stream is not a JPEG or ends early.</summary>
    private static (int[] Values, bool Baseline)? LuminanceTable(Stream stream)
    {
        var reader = new SegmentReader(stream);
        if (reader.Byte() != 0xFF || reader.Byte() != Soi)
            return null;
        while (true)
        {
            if (reader.Byte() != 0xFF)
                return null;
            int marker;
            do
                marker = reader.Byte();
            while (marker == 0xFF);                       // fill bytes
            if (marker < 0 || marker is Eoi or Sos)
                return null;                              // no luminance table before the image data
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
                continue;                                 // markers without a length
            int length = reader.Word();
            if (length < 2)
                return null;
            byte[]? segment = reader.Bytes(length - 2);
            if (segment is null)
                return null;
            if (marker == Dqt && FindTableZero(segment) is { } table)
                return table;
        }
    }

    /// <summary>A DQT segment holds one or more tables: a precision/id byte, then 64 values of 1 or 2 bytes each.</summary>
    private static (int[] Values, bool Baseline)? FindTableZero(byte[] segment)
    {
        int at = 0;
        while (at < segment.Length)
        {
            int precision = segment[at] >> 4, id = segment[at] & 0x0F;
            int size = precision == 0 ? 1 : 2;
            if (precision > 1 || at + 1 + 64 * size > segment.Length)
                return null;
            if (id == 0)
            {
                var natural = new int[64];
                for (int k = 0; k < 64; k++)
                {
                    int offset = at + 1 + k * size;
                    natural[ZigZag[k]] = size == 1 ? segment[offset] : segment[offset] << 8 | segment[offset + 1];
                }
                return (natural, precision == 0);
            }
            at += 1 + 64 * size;
        }
        return null;
    }

    private static int[] BuildZigZag()
    {
        var order = new int[64];
        int k = 0;
        for (int diagonal = 0; diagonal < 15; diagonal++)
        {
            // Even diagonals run up and to the right, odd ones down and to the left.
            int first = Math.Max(0, diagonal - 7), last = Math.Min(7, diagonal);
            for (int i = first; i <= last; i++)
            {
                int row = diagonal % 2 == 0 ? diagonal - i : i;
                order[k++] = row * 8 + (diagonal - row);
            }
        }
        return order;
    }

    private sealed class SegmentReader(Stream stream)
    {
        public int Byte() => stream.ReadByte();

        public int Word()
        {
            int high = stream.ReadByte(), low = stream.ReadByte();
            return high < 0 || low < 0 ? -1 : high << 8 | low;
        }

        public byte[]? Bytes(int count)
        {
            var buffer = new byte[count];
            return stream.ReadAtLeast(buffer, count, throwOnEndOfStream: false) == count ? buffer : null;
        }
    }
}
