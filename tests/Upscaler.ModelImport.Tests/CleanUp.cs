namespace Upscaler.ModelImport.Tests;

/// <summary>Removes the generated models when the run ends.</summary>
[SetUpFixture]
public class CleanUp
{
    [OneTimeTearDown]
    public void RemoveGeneratedModels()
    {
        string dir = Path.Combine(Path.GetTempPath(), "upscaler-modelimport-tests-" + Environment.ProcessId);
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
    }
}
