using Upscaler.Installer.Hosts;
using Upscaler.Installer.Payload;

namespace Upscaler.Installer.Setup;

public sealed record InstallOutcome(HostTarget Target, InstallAction Action, int Files, long Bytes);

/// <summary>
/// Installs components into hosts all or nothing: the payload is verified, every target is staged and
/// verified, and only then are they renamed into place; any failure puts every target back as it was.
/// </summary>
public sealed class PluginInstaller(PayloadManifest payload, string version)
{
    public IReadOnlyList<InstallOutcome> Install(IReadOnlyList<HostTarget> targets, bool dryRun)
    {
        foreach (var component in targets.Select(t => t.Component).Distinct())
        {
            if (!payload.Carries(component))
                throw new SetupException($"this setup carries no {component.DisplayName}");
            payload.Verify(component);
        }

        var staged = new List<StagedInstall>();
        try
        {
            foreach (var target in targets)
                staged.Add(StagedInstall.Prepare(payload, version, target, dryRun));
            if (!dryRun)
                foreach (var s in staged)
                    s.Commit();
        }
        catch
        {
            foreach (var s in staged)
                s.Rollback();
            throw;
        }
        foreach (var s in staged)
            s.Finish();
        return staged.Select(s => new InstallOutcome(s.Target, s.Action, s.FileCount, s.Bytes)).ToList();
    }
}
