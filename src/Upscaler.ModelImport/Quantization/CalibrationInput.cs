using Microsoft.ML.OnnxRuntime.Tensors;

namespace Upscaler.ModelImport.Quantization;

/// <summary>One calibration input: an NCHW [1, 3, H, W] image in the model's own range and channel order.</summary>
public sealed record CalibrationInput(DenseTensor<float> Image, float Denoise = 0f);
