namespace Upscaler.Installer;

/// <summary>
/// A failure the user can act on: a missing host, an unwritable or foreign folder, a damaged payload.
/// The message is one line; the command line prints it as it is and exits with 1.
/// </summary>
public sealed class SetupException(string message, Exception? inner = null) : Exception(message, inner);
