namespace Upscaler.ModelImport.Quantization;

/// <summary>
/// What calibration saw of one activation tensor: its exact minimum and maximum and a seeded random
/// sample of its values, from which <see cref="ChooseRange"/> picks the clip range.
/// </summary>
internal sealed class ActivationStatistics(int seed)
{
    /// <summary>Values sampled from each tensor seen; enough for a stable range, small enough to search.</summary>
    private const int SamplePerRun = 2000;

    // Clip fractions of the minimum and maximum tried by the search (the same grid as models/training/quantize.py).
    private static readonly double[] Fractions = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1];

    private readonly Random random = new(seed);
    private readonly List<float> sample = [];

    public float Min { get; private set; } = float.PositiveInfinity;

    public float Max { get; private set; } = float.NegativeInfinity;

    public void Add(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
            return;
        Min = Math.Min(Min, System.Numerics.Tensors.TensorPrimitives.Min(values));
        Max = Math.Max(Max, System.Numerics.Tensors.TensorPrimitives.Max(values));
        int n = Math.Min(SamplePerRun, values.Length);
        for (int i = 0; i < n; i++)
            sample.Add(values[random.Next(values.Length)]);
    }

    /// <summary>
    /// The uint8 quantization with the least mean squared error on the sample. Outliers would
    /// otherwise take most of the 256 levels: the min/max range is shrunk where that lowers the error.
    /// With <paramref name="leakySlope"/> (the tensor feeds a LeakyReLU) the error is measured after
    /// the activation, where the negative side is scaled down and needs less resolution.
    /// </summary>
    public ActivationQuantization ChooseRange(float? leakySlope)
    {
        if (sample.Count == 0)
            throw new InvalidOperationException("no values were seen for this tensor");
        float slope = leakySlope ?? 1f;
        float Act(float v) => v >= 0 ? v : v * slope;
        var best = (Error: double.PositiveInfinity, Quantization: ActivationQuantization.Covering(Min, Max));
        foreach (double low in Min < 0 ? Fractions : [1.0])
        {
            foreach (double high in Max > 0 ? Fractions : [1.0])
            {
                var q = ActivationQuantization.Covering(Min * low, Max * high);
                double error = 0;
                foreach (float v in sample)
                {
                    double d = Act(q.RoundTrip(v)) - Act(v);
                    error += d * d;
                }
                if (error < best.Error)
                    best = (error, q);
            }
        }
        return best.Quantization;
    }
}
