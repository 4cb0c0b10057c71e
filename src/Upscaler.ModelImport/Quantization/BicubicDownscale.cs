using Microsoft.ML.OnnxRuntime.Tensors;

namespace Upscaler.ModelImport.Quantization;

/// <summary>
/// MATLAB's <c>imresize(img, 1/f, 'bicubic')</c> for an integer factor f, as models/eval/imresize.py
/// (the project's standard LR): the a = −0.5 cubic stretched by f (antialiasing), taps mirrored at the
/// borders, rows first, the result rounded to 8-bit levels.
/// </summary>
internal static class BicubicDownscale
{
    public static DenseTensor<float> Apply(DenseTensor<float> image, int factor, float rangeMax)
    {
        int h = image.Dimensions[2] / factor * factor, w = image.Dimensions[3] / factor * factor;
        int oh = h / factor, ow = w / factor;
        var rows = Weights(h, oh, factor);
        var columns = Weights(w, ow, factor);
        var lr = new DenseTensor<float>([1, 3, oh, ow]);
        var band = new double[oh, w];
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < w; x++)
                {
                    double sum = 0;
                    foreach (var (index, weight) in rows[y])
                        sum += weight * image[0, c, index, x];
                    band[y, x] = sum;
                }
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    double sum = 0;
                    foreach (var (index, weight) in columns[x])
                        sum += weight * band[y, index];
                    lr[0, c, y, x] = (float)(Math.Clamp(Math.Round(sum / rangeMax * 255), 0, 255) / 255 * rangeMax);
                }
        }
        return lr;
    }

    /// <summary>For each output pixel, its input taps and their normalised weights.</summary>
    private static (int Index, double Weight)[][] Weights(int inLength, int outLength, int factor)
    {
        double width = 4.0 * factor;
        int taps = (int)Math.Ceiling(width) + 2;
        var result = new (int, double)[outLength][];
        for (int x = 1; x <= outLength; x++)
        {
            double u = x * (double)factor + 0.5 * (1 - factor);   // the output pixel's centre in 1-based input coordinates
            double left = Math.Floor(u - width / 2);
            var list = new (int Index, double Weight)[taps];
            double total = 0;
            for (int t = 0; t < taps; t++)
            {
                double i = left + t, weight = Cubic((u - i) / factor) / factor;
                list[t] = (Mirror((int)i - 1, inLength), weight);
                total += weight;
            }
            result[x - 1] = list.Select(p => (p.Index, p.Weight / total)).ToArray();
        }
        return result;
    }

    private static double Cubic(double x)
    {
        double a = Math.Abs(x), a2 = a * a, a3 = a2 * a;
        return a <= 1 ? 1.5 * a3 - 2.5 * a2 + 1 : a <= 2 ? -0.5 * a3 + 2.5 * a2 - 4 * a + 2 : 0;
    }

    /// <summary>Symmetric padding: ... 1 0 | 0 1 ... n−1 | n−1 n−2 ...</summary>
    private static int Mirror(int i, int n)
    {
        int m = ((i % (2 * n)) + 2 * n) % (2 * n);
        return m < n ? m : 2 * n - 1 - m;
    }
}
