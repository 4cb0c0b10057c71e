namespace Upscaler.Cli.Images;

/// <summary>An image file cannot be read or written; the message is one line naming the file.</summary>
internal sealed class ImageFileException(string message, Exception? inner = null) : Exception(message, inner);
