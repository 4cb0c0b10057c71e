using System.Security.Cryptography;
using Upscaler.Installer;
using Upscaler.Installer.Hosts;
using Upscaler.Installer.Payload;

namespace Upscaler.Installer.Tests;

/// <summary>A throw-away folder standing in for a user's home, with the installer's console captured.</summary>
internal sealed class Sandbox : IDisposable
{
    public Sandbox()
    {
        Root = Path.Combine(Path.GetTempPath(), "upscaler-setup-test-" + Guid.NewGuid().ToString("N")[..8]);
        Home = Path.Combine(Root, "home");
        Directory.CreateDirectory(Home);
    }

    public string Root { get; }
    public string Home { get; }
    public string GimpConfig => Path.Combine(Home, ".config", "GIMP", "3.0");
    public string GimpPlugin => Path.Combine(GimpConfig, "plug-ins", "ai-upscale");
    public StringWriter Out { get; private set; } = new();
    public StringWriter Error { get; private set; } = new();

    public HostEnvironment Linux => new(false, Home, null, null, null, null);

    public Sandbox WithGimp()
    {
        Directory.CreateDirectory(GimpConfig);
        return this;
    }

    /// <summary>Runs upscaler-setup in process against this home and <paramref name="payload"/>.</summary>
    public int Run(string payload, params string[] args) => Run(Linux, payload, args);

    public int Run(HostEnvironment environment, string payload, params string[] args)
    {
        Out = new StringWriter();
        Error = new StringWriter();
        return new SetupCommandLine(Out, Error, environment, payload).Run(args);
    }

    /// <summary>Every folder and file under the sandbox, with file contents hashed: equal snapshots mean nothing changed.</summary>
    public IReadOnlyList<string> Snapshot() => Snapshot(Root);

    public static IReadOnlyList<string> Snapshot(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => Directory.Exists(p) ? Path.GetRelativePath(root, p) + "/" : Path.GetRelativePath(root, p) + " " + FileHashes.Sha256(p))
            .Order(StringComparer.Ordinal)
            .ToList();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A small payload laid out as a published setup carries it, with its SHA256SUMS.</summary>
internal static class FakePayload
{
    public static string Create(string parent, bool withPaintDotNet = true, string pluginText = "#!/usr/bin/env python3\nprint('ai-upscale')\n")
    {
        string root = Path.Combine(parent, "payload-" + Guid.NewGuid().ToString("N")[..6]);
        Write(root, "gimp/ai-upscale.py", pluginText);
        Write(root, "gimp/ai_upscale_support.py", "VALUE = 1\n");
        Write(root, "gimp/bridge/upscaler-bridge", "#!/bin/sh\necho upscaler-bridge 0.1.0\n");
        Write(root, "gimp/bridge/Upscaler.Core.dll", RandomText(3000));
        Write(root, "gimp/bridge/models/manifest.json", "{\"formatVersion\":1,\"models\":[]}");
        Write(root, "gimp/bridge/models/general/general-x4.onnx", RandomText(5000));
        if (withPaintDotNet)
        {
            Write(root, "paintdotnet/AIUpscale.dll", RandomText(2000));
            Write(root, "paintdotnet/AIUpscale.deps.json", "{}");
            Write(root, "paintdotnet/runtimes/win-x64/native/onnxruntime.dll", RandomText(4000));
            Write(root, "paintdotnet/models/manifest.json", "{}");
        }
        PayloadManifest.Write(root);
        return root;
    }

    public static void Write(string root, string relative, string text)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static string RandomText(int length) => Convert.ToBase64String(RandomNumberGenerator.GetBytes(length));
}

internal static class Repository
{
    /// <summary>The checkout the tests run from: the folder holding Plugins.sln.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Plugins.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Plugins.sln not found above " + AppContext.BaseDirectory);
    }
}
