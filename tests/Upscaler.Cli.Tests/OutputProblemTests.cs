using System.Diagnostics;
using NetVips;

namespace Upscaler.Cli.Tests;

/// <summary>
/// Output problems that can be seen before the upscale are reported before it, in one line; those
/// that cannot (the disk fills up during the write) are one line too. These tests hold for root as well.
/// </summary>
[TestFixture]
public class OutputProblemTests : ScratchFolderTests
{
    private static void AssertFailedBeforeTheUpscale(CliResult result, string contains)
    {
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        var errors = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("upscaler: error:")).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), result.ToString());
        Assert.That(errors[0], Does.Contain(contains), result.ToString());
        Assert.That(result.Error, Does.Not.Contain("% ("), "no tile was computed: " + result);
    }

    [Test]
    public async Task An_output_folder_below_a_file_fails_before_the_upscale()
    {
        string input = Dir.Png("in.png", 32, 32);
        File.WriteAllText(Dir.File("notes.txt"), "a file, not a folder");
        var result = await Cli.RunAsync(Cli.TestModels, input, "-o", Dir.File("notes.txt/out.png"), "--scale", "2");
        AssertFailedBeforeTheUpscale(result, "notes.txt is a file, not a folder");
    }

    [Test]
    public async Task A_read_only_output_folder_fails_before_the_upscale()
    {
        using var readOnly = TinyFilesystem.Mount(Dir.File("ro"), "size=64k,ro");
        string input = Dir.Png("in.png", 32, 32);
        var result = await Cli.RunAsync(Cli.TestModels, input, "-o", Path.Combine(readOnly.Path, "out.png"), "--scale", "2");
        AssertFailedBeforeTheUpscale(result, "cannot write in " + readOnly.Path);
        Assert.That(result.Error, Does.Contain("Read-only file system"));
    }

    [Test]
    public async Task A_full_output_folder_fails_before_the_upscale()
    {
        using var full = TinyFilesystem.Mount(Dir.File("full"), "size=256k");
        full.Fill();
        string input = Dir.Png("in.png", 64, 64);
        var result = await Cli.RunAsync(Cli.TestModels, input, "-o", Path.Combine(full.Path, "out.png"), "--scale", "4");
        AssertFailedBeforeTheUpscale(result, "not enough free space");
        Assert.That(Directory.GetFiles(full.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "filler" }));
    }

    [Test]
    public async Task A_disk_that_fills_up_during_the_write_is_one_line_and_leaves_nothing()
    {
        // Noise does not compress: its lower bound fits in 1 MiB, the encoded result does not.
        using var small = TinyFilesystem.Mount(Dir.File("small"), "size=1m");
        using (var noise = Image.Gaussnoise(300, 300, sigma: 60, mean: 128).Cast(Enums.BandFormat.Uchar))
        using (var rgb = noise.Bandjoin(noise.Rot180(), noise.Flip(Enums.Direction.Horizontal)).Copy(interpretation: Enums.Interpretation.Srgb))
            rgb.Pngsave(Dir.File("noise.png"));
        foreach (var format in new[] { "png", "tif", "jpg" })
        {
            string output = Path.Combine(small.Path, "out." + format);
            var result = await Cli.RunAsync(Cli.TestModels, Dir.File("noise.png"), "-o", output, "--scale", "4", "-q", "100");
            Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
            var errors = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("upscaler: error:")).ToList();
            Assert.That(errors, Is.EqualTo(new[] { $"upscaler: error: {Dir.File("noise.png")}: {output}: cannot write the image: No space left on device" }), result.ToString());
            Assert.That(Directory.GetFiles(small.Path), Is.Empty, "the temporary file was removed");
        }
    }

    [Test]
    public async Task An_exif_block_too_large_for_jpeg_fails_before_the_upscale_and_fits_png()
    {
        // 65,426 bytes: within what libexif reads, but not within one JPEG APP1 segment once libvips adds its fields.
        string input = ImageWithExif("in.png", 65_400);
        var jpeg = await Cli.RunAsync(Cli.TestModels, input, "-o", Dir.File("out.jpg"), "--scale", "2");
        AssertFailedBeforeTheUpscale(jpeg, "EXIF block");
        Assert.That(jpeg.Error, Does.Contain("JPEG"));
        Assert.That(File.Exists(Dir.File("out.jpg")), Is.False);

        var png = await Cli.RunAsync(Cli.TestModels, input, "-o", Dir.File("out.png"), "--scale", "2");
        Assert.That(png.ExitCode, Is.EqualTo(0), png.ToString());
        using var written = Image.NewFromFile(Dir.File("out.png"));
        Assert.That(((byte[])written.Get("exif-data")).Length, Is.GreaterThan(65_400));
    }

    [Test]
    public async Task An_exif_block_over_64_KB_fails_before_the_upscale_in_every_format()
    {
        string input = ImageWithExif("in.png", 100_000);
        foreach (var format in new[] { "png", "webp", "jpg" })
        {
            var result = await Cli.RunAsync(Cli.TestModels, input, "-o", Dir.File("out." + format), "--scale", "2");
            AssertFailedBeforeTheUpscale(result, "EXIF block");
        }
        Assert.That(Directory.GetFiles(Dir.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "in.png" }));
    }

    /// <summary>
    /// A PNG whose eXIf chunk holds an image description of <paramref name="descriptionBytes"/> characters.
    /// The chunk is spliced in by hand: libvips would rebuild (and cap) the block if it wrote it.
    /// </summary>
    private string ImageWithExif(string name, int descriptionBytes)
    {
        string path = Dir.File(name);
        using (var picture = ScratchFolder.Picture(32, 32))
            picture.Pngsave(path);
        byte[] png = File.ReadAllBytes(path);
        const int signatureAndHeader = 8 + 4 + 4 + 13 + 4; // the IHDR chunk comes first, eXIf may follow it
        byte[] chunk = Chunk("eXIf", Exif(descriptionBytes));
        File.WriteAllBytes(path, [.. png[..signatureAndHeader], .. chunk, .. png[signatureAndHeader..]]);
        return path;
    }

    /// <summary>A little-endian TIFF header and IFD0 with one ASCII ImageDescription entry (what PNG's eXIf holds).</summary>
    private static byte[] Exif(int descriptionBytes)
    {
        var exif = new List<byte> { (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0 };
        exif.AddRange(BitConverter.GetBytes((ushort)1));
        exif.AddRange(BitConverter.GetBytes((ushort)0x010E));
        exif.AddRange(BitConverter.GetBytes((ushort)2));
        exif.AddRange(BitConverter.GetBytes(descriptionBytes));
        exif.AddRange(BitConverter.GetBytes(8 + 2 + 12 + 4));
        exif.AddRange(BitConverter.GetBytes(0));
        exif.AddRange(Enumerable.Repeat((byte)'x', descriptionBytes - 1));
        exif.Add(0);
        return exif.ToArray();
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        byte[] length = BitConverter.GetBytes(data.Length).Reverse().ToArray();
        byte[] crc = BitConverter.GetBytes(Crc32(typeAndData)).Reverse().ToArray();
        return [.. length, .. typeAndData, .. crc];
    }

    /// <summary>PNG's chunk checksum (CRC-32, polynomial 0xEDB88320).</summary>
    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}

/// <summary>A tiny tmpfs mounted for one test (needs root or CAP_SYS_ADMIN; the test is skipped, saying why, elsewhere).</summary>
internal sealed class TinyFilesystem : IDisposable
{
    private TinyFilesystem(string path) => Path = path;

    public string Path { get; }

    public static TinyFilesystem Mount(string path, string options)
    {
        Directory.CreateDirectory(path);
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", path);
        if (code != 0)
            Assert.Ignore($"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {error.Trim()}");
        return new TinyFilesystem(path);
    }

    /// <summary>Writes a filler file until the file system is full.</summary>
    public void Fill()
    {
        using var filler = File.Create(System.IO.Path.Combine(Path, "filler"));
        var block = new byte[4096];
        try
        {
            while (true)
                filler.Write(block);
        }
        catch (IOException)
        {
        }
    }

    public void Dispose() => Run("umount", Path);

    private static (int Code, string Error) Run(string program, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args)
                start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
