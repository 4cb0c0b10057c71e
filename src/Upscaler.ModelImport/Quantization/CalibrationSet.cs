using Microsoft.ML.OnnxRuntime.Tensors;
using Upscaler.Core;
using Upscaler.Core.Imaging;

namespace Upscaler.ModelImport.Quantization;

/// <summary>
/// What int8 copies are calibrated and checked on, from the user's own photos (<c>models add --int8
/// --calibrate FILE…</c>): square crops at each photo's size and at half size, the same number from
/// every photo, to calibrate on; and each photo's centre, at most <see cref="Int8Check.MaxSide"/> px a
/// side, to check the copies on (<see cref="Int8Quantizer"/>). Photos are decoded one at a time and only
/// the picked crops are kept, so many large photos cost little memory.
/// </summary>
public static class CalibrationSet
{
    /// <summary>Crop side: big enough for a convolution stack's context, small enough that a deep model's activations fit.</summary>
    public const int Side = 48;

    /// <summary>Crops calibrated on; more add time and little accuracy.</summary>
    public const int CalibrationCount = 24;

    /// <param name="photos">Each photo's decoder, called once, in order.</param>
    /// <param name="rangeMax">The top of the model's value range.</param>
    /// <param name="bgr">The model reads BGR.</param>
    public static (IReadOnlyList<CalibrationInput> Calibration, IReadOnlyList<DenseTensor<float>> CheckPhotos) From(
        IReadOnlyList<Func<PixelImage>> photos, float rangeMax, bool bgr)
    {
        int perPhoto = (CalibrationCount + photos.Count - 1) / photos.Count;
        var crops = new List<float[]>();
        var checkPhotos = new List<DenseTensor<float>>();
        foreach (var decode in photos)
        {
            var full = PixelImageReader.Colour(decode());
            var levels = new[] { full, HalfScale.Apply(full) };
            var places = levels
                .SelectMany(level => Enumerable.Range(0, level.Height / Side).SelectMany(row => Enumerable.Range(0, level.Width / Side).Select(column => (level, x: column * Side, y: row * Side))))
                .ToList();
            int picks = Math.Min(perPhoto, places.Count);
            for (int i = 0; i < picks; i++)
            {
                var (level, x, y) = places[(int)((long)i * places.Count / picks)];
                crops.Add(Crop(level, x, y, Side, Side, rangeMax, bgr));
            }
            int w = Math.Min(full.Width, Int8Check.MaxSide), h = Math.Min(full.Height, Int8Check.MaxSide);
            checkPhotos.Add(new DenseTensor<float>(Crop(full, (full.Width - w) / 2, (full.Height - h) / 2, w, h, rangeMax, bgr), [1, 3, h, w]));
        }

        // Spread over all photos when there are more crops than needed; strengths spread over a denoise control's range.
        int count = Math.Min(CalibrationCount, crops.Count);
        var calibration = Enumerable.Range(0, count)
            .Select(i => new CalibrationInput(new DenseTensor<float>(crops[(int)((long)i * crops.Count / count)], [1, 3, Side, Side]), Denoise: i % 5 / 4f))
            .ToList();
        return (calibration, checkPhotos);
    }

    /// <summary>The NCHW crop at (x0, y0), in the model's range and channel order.</summary>
    private static float[] Crop(ImagePlanes planes, int x0, int y0, int w, int h, float rangeMax, bool bgr)
    {
        var crop = new float[3 * w * h];
        for (int c = 0; c < 3; c++)
        {
            var plane = planes.Plane(bgr ? 2 - c : c);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    crop[(c * h + y) * w + x] = plane[(y0 + y) * planes.Width + x0 + x] * rangeMax;
        }
        return crop;
    }
}
