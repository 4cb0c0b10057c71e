namespace Upscaler.Core.Imaging;

/// <summary>
/// Runs per-row work over bands of rows on the cores, for blocks large enough to be worth it: the tile
/// results the engine writes arrive while ONNX Runtime's own threads wait, so the cores are free.
/// </summary>
internal static class RowBands
{
    /// <summary>Below this many samples a block is written on the calling thread (a task costs microseconds).</summary>
    private const long MinSamplesPerBand = 1 << 16;

    /// <summary>Calls <paramref name="body"/>(first, end) for bands covering rows [0, <paramref name="rows"/>), possibly in parallel.</summary>
    public static void For(int rows, int samplesPerRow, Action<int, int> body)
    {
        if (rows <= 0)
            return;
        int bands = (int)Math.Clamp((long)rows * samplesPerRow / MinSamplesPerBand, 1, Math.Min(rows, Environment.ProcessorCount * 4));
        if (bands <= 1)
        {
            body(0, rows);
            return;
        }
        Parallel.For(0, bands, band => body((int)((long)rows * band / bands), (int)((long)rows * (band + 1) / bands)));
    }
}
