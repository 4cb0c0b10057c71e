using System.Reflection;

namespace Upscaler.Bridge;

/// <summary>The product version (from Directory.Build.props) and the protocol version, as --version prints them.</summary>
internal static class BridgeVersion
{
    public static string Text { get; } =
        typeof(BridgeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static string Banner => $"upscaler-bridge {Text} (protocol {Protocol.Wire.Version})";
}
