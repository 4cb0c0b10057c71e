using NetVips;
using Upscaler.Cli.Images;

namespace Upscaler.Cli.Tests;

[TestFixture]
public class JpegQualityReaderTests : ScratchFolderTests
{
    [TestCase(10)]
    [TestCase(25)]
    [TestCase(40)]
    [TestCase(50)]
    [TestCase(63)]
    [TestCase(75)]
    [TestCase(85)]
    [TestCase(92)]
    [TestCase(97)]
    [TestCase(100)]
    public void Reads_the_quality_libvips_saved_with(int quality)
    {
        string path = Dir.File($"q{quality}.jpg");
        using (var coffee = Image.NewFromFile(Samples.Coffee))
            coffee.Jpegsave(path, q: quality);

        Assert.That(JpegQualityReader.Read(path), Is.EqualTo(quality).Within(2));
    }

    [Test]
    public void Reads_it_after_large_metadata_and_from_gray_and_progressive_files()
    {
        string path = Dir.File("meta.jpg");
        using (var coffee = Image.NewFromFile(Samples.Coffee))
        {
            // An ICC profile and EXIF put APP segments before the tables.
            coffee.IccTransform("srgb").Mutate(m => m.Set(GValue.GIntType, "orientation", 3)).Jpegsave(path, q: 70);
            coffee.Colourspace(Enums.Interpretation.Bw).Jpegsave(Dir.File("gray.jpg"), q: 55);
            coffee.Jpegsave(Dir.File("progressive.jpg"), q: 80, interlace: true);
        }

        Assert.That(JpegQualityReader.Read(path), Is.EqualTo(70).Within(2));
        Assert.That(JpegQualityReader.Read(Dir.File("gray.jpg")), Is.EqualTo(55).Within(2));
        Assert.That(JpegQualityReader.Read(Dir.File("progressive.jpg")), Is.EqualTo(80).Within(2));
    }

    [Test]
    public void Files_that_are_not_jpeg_have_no_quality()
    {
        Assert.That(JpegQualityReader.Read(Samples.Coffee), Is.Null, "PNG");
        File.WriteAllBytes(Dir.File("empty.jpg"), []);
        Assert.That(JpegQualityReader.Read(Dir.File("empty.jpg")), Is.Null, "empty");
        File.WriteAllText(Dir.File("text.jpg"), "not a picture at all");
        Assert.That(JpegQualityReader.Read(Dir.File("text.jpg")), Is.Null, "text");
        Assert.That(JpegQualityReader.Read(Dir.File("missing.jpg")), Is.Null, "missing");
        Assert.That(JpegQualityReader.Read(Dir.Path), Is.Null, "a folder");
    }

    [Test]
    public void Truncated_or_corrupt_headers_give_no_quality_at_any_cut()
    {
        string path = Dir.File("whole.jpg");
        using (var coffee = Image.NewFromFile(Samples.Coffee))
            coffee.Jpegsave(path, q: 60);
        byte[] whole = File.ReadAllBytes(path);
        int dqt = IndexOf(whole, 0xFF, 0xDB);
        Assert.That(dqt, Is.GreaterThan(0), "libvips writes a DQT segment");

        // Every cut before the end of the luminance table leaves no table to read.
        for (int length = 0; length < dqt + 4 + 65; length++)
            Assert.That(JpegQualityReader.Read(new MemoryStream(whole[..length])), Is.Null, $"cut at {length} bytes");
        // A cut in the image data after the tables still has them.
        Assert.That(JpegQualityReader.Read(new MemoryStream(whole[..(whole.Length / 2)])), Is.EqualTo(60).Within(2));

        var badLength = (byte[])whole.Clone();
        badLength[dqt + 2] = 0;
        badLength[dqt + 3] = 1;                     // a segment length below its own 2 bytes
        Assert.That(JpegQualityReader.Read(new MemoryStream(badLength)), Is.Null);

        var badPrecision = (byte[])whole.Clone();
        badPrecision[dqt + 4] = 0x70;               // precision 7 does not exist
        Assert.That(JpegQualityReader.Read(new MemoryStream(badPrecision)), Is.Null);
    }

    [Test]
    public void Random_bytes_after_a_jpeg_signature_never_throw()
    {
        var random = new Random(4);
        for (int i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(2, 300)];
            random.NextBytes(bytes);
            bytes[0] = 0xFF;
            bytes[1] = 0xD8;
            Assert.DoesNotThrow(() => JpegQualityReader.Read(new MemoryStream(bytes)));
        }
    }

    private static int IndexOf(byte[] data, byte first, byte second)
    {
        for (int i = 0; i + 1 < data.Length; i++)
            if (data[i] == first && data[i + 1] == second)
                return i;
        return -1;
    }
}

internal static class Samples
{
    /// <summary>The repository's sample photo (300x200, PNG).</summary>
    public static string Coffee => Path.Combine(Path.GetDirectoryName(Cli.ShippedModels)!, "samples", "coffee.png");
}
