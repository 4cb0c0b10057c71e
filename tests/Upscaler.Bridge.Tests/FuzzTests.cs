using System.Buffers.Binary;

namespace Upscaler.Bridge.Tests;

/// <summary>
/// Throws thousands of mutated frames at the bridge's parser (seeded, so a failure reproduces).
/// Whatever comes in, the bridge must finish promptly without throwing, write only valid answer
/// frames, and either keep serving (exit 0) or end with a fatal ERROR (exit 2).
/// </summary>
public class FuzzTests
{
    private const uint Sentinel = 0xC0FFEE;

    private static readonly byte[][] Seeds =
    [
        Frames.Upscale(1, 3, 2, 4, 8, Frames.Pattern(3, 2, 4, 8)),
        Frames.Upscale(2, 2, 3, 1, 16, Frames.Pattern(2, 3, 1, 16), scale: 3.5, denoise: 0.1, tile: 16),
        Frames.Upscale(3, 1, 1, 2, 8, Frames.Pattern(1, 1, 2, 8), scale: 1),
        Frames.Upscale(4, 4, 1, 3, 16, Frames.Pattern(4, 1, 3, 16), model: 1),
        Frames.Cancel(1),
        Frames.ListModels(),
    ];

    /// <summary>
    /// Mutations that keep every frame boundary where it was (the length field and the total size are
    /// untouched): whatever a frame's content, the bridge must answer it and serve the next request.
    /// </summary>
    [Test]
    public async Task Frames_with_mutated_content_never_break_the_stream()
    {
        var random = new Random(20261124);
        var sentinel = Frames.Upscale(Sentinel, 3, 2, 4, 8, Frames.Pattern(3, 2, 4, 8, seed: 9));
        for (int i = 0; i < 3000; i++)
        {
            var frame = (byte[])Seeds[random.Next(Seeds.Length)].Clone();
            int flips = 1 + random.Next(4);
            for (int f = 0; f < flips; f++)
            {
                // Mostly the type and the request header, where the decisions are; never magic, version or length.
                int at = random.Next(3) switch
                {
                    0 => 6 + random.Next(2),
                    1 => 16 + random.Next(Math.Min(40, frame.Length - 16 + 1)),
                    _ => 16 + random.Next(frame.Length - 16 + 1),
                };
                if (at >= frame.Length)
                    continue;
                frame[at] = random.Next(4) == 0 ? (byte)0xFF : (byte)random.Next(256);
            }
            var (code, output) = await Servers.RunAsync([.. frame, .. sentinel], timeout: TimeSpan.FromSeconds(10));
            var answers = Answer.ParseAll(output);
            string context = $"case {i}: {Convert.ToHexString(frame[..Math.Min(56, frame.Length)])}";
            Assert.That(code, Is.EqualTo(0), context);
            Assert.That(answers, Is.Not.Empty, context);
            Assert.That(answers[^1].ToString(), Does.StartWith($"RESULT id={Sentinel}"), context);
        }
    }

    /// <summary>Anything at all: cut, grown, shrunk, spliced, random lengths and garbage.</summary>
    [Test]
    public async Task Arbitrary_byte_streams_end_cleanly()
    {
        var random = new Random(1124);
        int fatal = 0, clean = 0;
        for (int i = 0; i < 3000; i++)
        {
            var stream = new List<byte>();
            int frames = 1 + random.Next(3);
            for (int f = 0; f < frames; f++)
                stream.AddRange(Mutate(Seeds[random.Next(Seeds.Length)], random));
            var (code, output) = await Servers.RunAsync([.. stream], timeout: TimeSpan.FromSeconds(10));
            var answers = Answer.ParseAll(output);
            Assert.That(code, Is.AnyOf(0, 2), $"case {i}");
            if (code == 2)
            {
                fatal++;
                Assert.That((answers[^1].Type, answers[^1].Fatal), Is.EqualTo((Answer.Error, true)), $"case {i}");
            }
            else
            {
                clean++;
                Assert.That(answers.Any(a => a.Type == Answer.Error && a.Fatal), Is.False, $"case {i}");
            }
        }
        TestContext.Out.WriteLine($"{clean} streams served to the end, {fatal} ended with a fatal error");
        Assert.That(fatal, Is.GreaterThan(0));
        Assert.That(clean, Is.GreaterThan(0));
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var frame = new List<byte>(seed);
        switch (random.Next(7))
        {
            case 0: // random bytes anywhere, magic and length included
                for (int k = 0; k < 1 + random.Next(3); k++)
                    frame[random.Next(frame.Count)] = (byte)random.Next(256);
                break;
            case 1: // truncated
                frame = frame.Take(random.Next(frame.Count)).ToList();
                break;
            case 2: // an absurd or off-by-some length
                {
                    ulong length = random.Next(3) switch
                    {
                        0 => (ulong)random.NextInt64(),
                        1 => BinaryPrimitives.ReadUInt64LittleEndian(seed.AsSpan(8)) + (ulong)random.Next(-3, 4),
                        _ => ulong.MaxValue - (ulong)random.Next(100),
                    };
                    var bytes = new byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
                    for (int k = 0; k < 8; k++)
                        frame[8 + k] = bytes[k];
                    break;
                }
            case 3: // extreme header fields
                if (frame.Count >= 56)
                {
                    int field = 16 + 4 * random.Next(10);
                    foreach (var k in Enumerable.Range(field, 4))
                        frame[k] = random.Next(2) == 0 ? (byte)0xFF : (byte)0x7F;
                }
                break;
            case 4: // garbage inserted
                frame.InsertRange(random.Next(frame.Count + 1), Enumerable.Range(0, 1 + random.Next(40)).Select(_ => (byte)random.Next(256)));
                break;
            case 5: // bytes removed from the middle
                {
                    int at = random.Next(frame.Count);
                    frame.RemoveRange(at, Math.Min(frame.Count - at, 1 + random.Next(10)));
                    break;
                }
            default: // left intact, so valid frames mix with broken ones
                break;
        }
        return [.. frame];
    }
}
