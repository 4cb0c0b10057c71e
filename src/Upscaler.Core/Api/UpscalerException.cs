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

/// <summary>ONNX Runtime failed while running a model (the message says which, where and why, in one line).</summary>
public class InferenceFailedException(string message, string reason, Exception? inner = null) : UpscalerException(message, inner)
{
    /// <summary>ONNX Runtime's own reason, first line only.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// The device ran out of memory for a tile. The engine answers it by retrying with smaller tiles, and
/// lets it through only when tiles are already as small as is sensible.
/// </summary>
public sealed class OutOfDeviceMemoryException(string message, string reason, Exception? inner = null)
    : InferenceFailedException(message, reason, inner);
