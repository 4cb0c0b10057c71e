namespace Upscaler.Cli.Tests;

/// <summary>The real executable: exit codes and output as a shell sees them.</summary>
[TestFixture]
public class ExecutableTests : ScratchFolderTests
{
    [Test]
    public void Upscales_a_file_and_exits_0()
    {
        Dir.Png("photo.png", 20, 20);
        var result = Cli.RunProcess(Cli.TestModels, Dir.Path, "photo.png", "--scale", "2");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(File.Exists(Dir.File("photo_x2.png")), Is.True);
        Assert.That(result.Error, Does.Contain("photo.png: 100%"), "plain progress lines when redirected");
    }

    [Test]
    public void Usage_errors_exit_2()
    {
        var result = Cli.RunProcess(Cli.TestModels, Dir.Path, "--scale", "3");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("upscaler: error:"));
    }

    [Test]
    public void Bad_files_exit_1_without_a_stack_trace()
    {
        File.WriteAllText(Dir.File("fake.jpg"), "not a jpeg");
        var result = Cli.RunProcess(Cli.TestModels, Dir.Path, "fake.jpg");
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Error, Does.Not.Contain(" at "));
    }

    [Test]
    public void Prints_its_version()
    {
        var result = Cli.RunProcess(Cli.TestModels, Dir.Path, "--version");
        Assert.That(result.ExitCode, Is.EqualTo(0));
        Assert.That(result.Output.Trim(), Does.Match(@"^\d+\.\d+\.\d+"));
    }
}
