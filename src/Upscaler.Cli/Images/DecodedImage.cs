using Upscaler.Core;

namespace Upscaler.Cli.Images;

/// <summary>
/// Pixels the engine can take, plus what must survive into the output file: the ICC profile and
/// EXIF/XMP/IPTC blocks, and the print resolution (pixels per millimetre).
/// </summary>
internal sealed record DecodedImage(PixelImage Pixels, IReadOnlyDictionary<string, byte[]> Metadata, double XResolution, double YResolution);
