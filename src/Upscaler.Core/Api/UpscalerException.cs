namespace Upscaler.Core;

/// <summary>
/// A failure a user can act on. The message is one line that names what went wrong
/// (a file, an option, a limit) so front ends can show it as it is, without a stack trace.
/// </summary>
public class UpscalerException : Exception
{
    public UpscalerException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>An option value is out of range or unknown.</summary>
public sealed class InvalidOptionsException(string message) : UpscalerException(message);

/// <summary>The catalog or a model file is missing, corrupt or does not match its manifest entry.</summary>
public sealed class ModelCatalogException(string message, Exception? inner = null) : UpscalerException(message, inner);

/// <summary>The requested execution device cannot be used.</summary>
public sealed class DeviceUnavailableException(string message, Exception? inner = null) : UpscalerException(message, inner);

/// <summary>The input or the output it would produce is beyond the stated size limits.</summary>
public sealed class ImageTooLargeException(string message) : UpscalerException(message);
