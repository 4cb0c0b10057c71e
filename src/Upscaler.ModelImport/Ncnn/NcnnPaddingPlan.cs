namespace Upscaler.ModelImport.Ncnn;

/// <summary>
/// How to pad an image so that a network which crops internally (Real-CUGAN, waifu2x cunet and
/// upconv) or needs sizes on a grid (strided layers) returns exactly scale x the image, found by
/// evaluating the network's size rules: the output is scale * N - D for every accepted padded size N,
/// so the image is padded by P = D / (2 scale) on each side, plus a few pixels at the bottom/right
/// until the padded size is one the network accepts; the top-left scale x image of the output is
/// kept. This reproduces what realcugan-ncnn-vulkan and waifu2x-ncnn-vulkan do per tile.
/// </summary>
internal sealed record NcnnPaddingPlan(int Scale, int Before, long[] ExtraByResidue)
{
    private const int SearchLimit = 640;
    private const int MinimumImage = 16;

    /// <summary>True when the graph needs padding and a crop at all.</summary>
    public bool Needed => Before > 0 || ExtraByResidue.Any(e => e != 0);

    /// <summary>Output = Scale * N - Cropped for accepted sizes N.</summary>
    public int Cropped => 2 * Scale * Before;

    public static NcnnPaddingPlan Analyse(NcnnSizeProgram program, int outputSlot, string file)
    {
        int? square = Enumerable.Range(1, SearchLimit).Cast<int?>().FirstOrDefault(n => program.Evaluate(n!.Value, n.Value, outputSlot) is not null);
        if (square is not { } basis)
            throw new ModelImportException(file, "the network accepts no input size up to 640 pixels (inconsistent layer shapes)");

        var alongH = AnalyseAxis(n => program.Evaluate(n, basis, outputSlot)?.H, file, "height");
        var alongW = AnalyseAxis(n => program.Evaluate(basis, n, outputSlot)?.W, file, "width");
        if (alongH != alongW)
            throw new ModelImportException(file, "unsupported ncnn model: height and width are cropped or aligned differently");
        return alongH;
    }

    private static NcnnPaddingPlan AnalyseAxis(Func<int, int?> output, string file, string axis)
    {
        var outputs = new int?[SearchLimit * 2 + 1];
        for (int n = 1; n < outputs.Length; n++)
            outputs[n] = output(n);

        // The scale, from two accepted sizes a multiple of every plausible period apart.
        const int Span = 576;
        int n1 = Enumerable.Range(SearchLimit / 2, SearchLimit / 4).FirstOrDefault(n => outputs[n] is not null && outputs[n + Span] is not null);
        if (n1 == 0)
            throw new ModelImportException(file, $"the network accepts too few input {axis}s to determine its output size");
        int rise = outputs[n1 + Span]!.Value - outputs[n1]!.Value;
        if (rise <= 0 || rise % Span != 0)
            throw new ModelImportException(file, $"unsupported ncnn model: the output {axis} is not an integer multiple of the input {axis}");
        int scale = rise / Span;

        // Output = scale * N - D. Networks with strided layers run at every size but lose a pixel on
        // sizes off their grid (D differs); the sizes to use are those where D is the smallest whole
        // number of input pixels on each side, as the original tools align their tiles.
        int? Cropped(int n) => outputs[n] is int o ? scale * n - o : null;
        var croppings = Enumerable.Range(SearchLimit / 2, SearchLimit).Select(Cropped).OfType<int>().Distinct().Order().ToList();
        int cropped = croppings.FirstOrDefault(d => d >= 0 && d % (2 * scale) == 0, -1);
        if (cropped < 0)
            throw new ModelImportException(file, $"unsupported ncnn model: the network crops {string.Join(" or ", croppings.Take(3))} output pixels, not a whole number of input pixels on each side");
        int before = cropped / (2 * scale);
        bool Valid(int n) => n > 0 && n < outputs.Length && Cropped(n) == cropped;

        // The accepted sizes repeat with some period; for each residue, the least extra that reaches one.
        int period = Enumerable.Range(1, 64).FirstOrDefault(a => Enumerable.Range(SearchLimit / 2, SearchLimit / 2).All(n => Valid(n) == Valid(n + a)));
        if (period == 0)
            throw new ModelImportException(file, $"unsupported ncnn model: the input {axis}s it accepts follow no short period");
        var extra = new long[period];
        for (int r = 0; r < period; r++)
        {
            int start = SearchLimit / 2 + ((r - SearchLimit / 2) % period + period) % period;
            int e = Enumerable.Range(0, period).FirstOrDefault(k => Valid(start + k), -1);
            if (e < 0)
                throw new ModelImportException(file, $"unsupported ncnn model: no input {axis} is accepted");
            extra[r] = e;
        }

        // Every image size the engine may pass must work after padding.
        for (int n = MinimumImage; n < MinimumImage + 2 * period + 2; n++)
        {
            int padded = n + 2 * before;
            padded += (int)extra[padded % period];
            if (!Valid(padded) || outputs[padded]!.Value < scale * n)
                throw new ModelImportException(file, $"unsupported ncnn model: an input {axis} of {n} pixels cannot be padded to a size the network accepts");
        }
        return new NcnnPaddingPlan(scale, before, extra);
    }

    public bool Equals(NcnnPaddingPlan? other) =>
        other is not null && Scale == other.Scale && Before == other.Before && ExtraByResidue.SequenceEqual(other.ExtraByResidue);

    public override int GetHashCode() => HashCode.Combine(Scale, Before, ExtraByResidue.Length);
}
