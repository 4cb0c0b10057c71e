namespace Upscaler.Core;

/// <summary>
/// What <see cref="IUpscaler.SuggestDenoise"/> measured in an image and the denoise strength it chose.
/// </summary>
/// <param name="Strength">The suggested denoise strength, 0 (clean input) to 1 (heavy noise or compression).</param>
/// <param name="NoiseSigma">The estimated noise standard deviation per colour channel, in 8-bit levels (0..255 scale).</param>
/// <param name="JpegQuality">The JPEG quality the suggestion used (the caller's hint), or null when the file's quality is unknown.</param>
/// <param name="Blockiness">
/// How much stronger steps are on the 8x8 block grid than inside the blocks, in flat areas: 0 for none, about
/// 0.05 for JPEG quality 95, 0.4 for 60, 0.55 for 40, 1 and more for extreme compression. Stands in for the
/// quality when that is unknown.
/// </param>
public sealed record DenoiseSuggestion(double Strength, double NoiseSigma, int? JpegQuality, double Blockiness);
