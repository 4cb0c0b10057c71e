using Microsoft.ML.OnnxRuntime.Tensors;
using Upscaler.Cli.Images;
using Upscaler.Core;
using Upscaler.ModelImport.Quantization;

namespace Upscaler.Cli.Models;

/// <summary>
/// What int8 copies are calibrated and checked on, from the user's own photos (<c>models add --int8
/// --calibrate FILE…</c>): square crops at each photo's size and at half size, the same number from
/// every photo, to calibrate on; and each photo's centre, at most <see cref="Int8Check.MaxSide"/> px a
/// side, to check the copies on (<see cref="Int8Quantizer"/>). Photos are read one at a time and only
/// the picked crops are kept, so many large photos cost little memory.
/// </summary>
internal static class CalibrationCrops
{
    /// <summary>Crop side: big enough for a convolution stack's context, small enough that a deep model's activations fit.</summary>
    public const int Side = 48;

    /// <summary>Crops calibrated on; more add time and little accuracy.</summary>
    public const int CalibrationCount = 24;

    public static (IReadOnlyList<CalibrationInput> Calibration, IReadOnlyList<DenseTensor<float>> CheckPhotos) From(
        IReadOnlyList<string> files, float rangeMax, ChannelOrder order)
    {
        int perPhoto = (CalibrationCount + files.Count - 1) / files.Count;
        var crops = new List<float[]>();
        var photos = new List<DenseTensor<float>>();
        foreach (string file in files)
        {
            var full = Rgb(VipsImageReader.Read(file).Pixels);
            var levels = new[] { full, full.Half() };
            var places = levels
                .SelectMany(level => Enumerable.Range(0, level.Height / Side).SelectMany(row => Enumerable.Range(0, level.Width / Side).Select(column => (level, x: column * Side, y: row * Side))))
                .ToList();
            int picks = Math.Min(perPhoto, places.Count);
            for (int i = 0; i < picks; i++)
            {
                var (level, x, y) = places[(int)((long)i * places.Count / picks)];
                crops.Add(level.Crop(x, y, Side, Side, rangeMax, order));
            }
            int w = Math.Min(full.Width, Int8Check.MaxSide), h = Math.Min(full.Height, Int8Check.MaxSide);
            photos.Add(new DenseTensor<float>(full.Crop((full.Width - w) / 2, (full.Height - h) / 2, w, h, rangeMax, order), [1, 3, h, w]));
        }
        if (crops.Count < 2)
            throw new ImageFileException($"--calibrate: the images give {crops.Count} crops of {Side}x{Side} px; give larger or more photos");

        // Spread over all photos when there are more crops than needed; strengths spread over a denoise control's range.
        int count = Math.Min(CalibrationCount, crops.Count);
        var calibration = Enumerable.Range(0, count)
            .Select(i => new CalibrationInput(new DenseTensor<float>(crops[(int)((long)i * crops.Count / count)], [1, 3, Side, Side]), Denoise: i % 5 / 4f))
            .ToList();
        return (calibration, photos);
    }

    private static Planes Rgb(PixelImage image)
    {
        var planes = new Planes(image.Width, image.Height);
        float max = image.MaxValue;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                for (int c = 0; c < 3; c++)
                    planes.Set(c, x, y, image.GetSample(x, y, image.IsGray ? 0 : c) / max);
        return planes;
    }

    /// <summary>An RGB image as three float planes in [0, 1].</summary>
    private sealed class Planes(int width, int height)
    {
        private readonly float[] values = new float[3 * width * height];

        public int Width => width;

        public int Height => height;

        public void Set(int c, int x, int y, float v) => values[(c * height + y) * width + x] = v;

        private float Get(int c, int x, int y) => values[(c * height + y) * width + x];

        /// <summary>Half size, each pixel the mean of a 2x2 box.</summary>
        public Planes Half()
        {
            var half = new Planes(width / 2, height / 2);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < half.Height; y++)
                    for (int x = 0; x < half.Width; x++)
                        half.Set(c, x, y, (Get(c, 2 * x, 2 * y) + Get(c, 2 * x + 1, 2 * y) + Get(c, 2 * x, 2 * y + 1) + Get(c, 2 * x + 1, 2 * y + 1)) / 4);
            return half;
        }

        /// <summary>The NCHW crop at (x0, y0), in the model's range and channel order.</summary>
        public float[] Crop(int x0, int y0, int w, int h, float rangeMax, ChannelOrder order)
        {
            var crop = new float[3 * w * h];
            for (int c = 0; c < 3; c++)
            {
                int source = order == ChannelOrder.Bgr ? 2 - c : c;
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        crop[(c * h + y) * w + x] = Get(source, x0 + x, y0 + y) * rangeMax;
            }
            return crop;
        }
    }
}
