namespace Upscaler.ModelImport.Ncnn;

/// <summary>
/// The spatial sizes of an ncnn network's tensors as a function of the input size, recorded rule by
/// rule while the graph is translated. Evaluating it for many input sizes tells which sizes the
/// network accepts (every element-wise pair equal, every crop inside its input) and how the output
/// size follows, which is what the folded padding is computed from.
/// </summary>
internal sealed class NcnnSizeProgram
{
    /// <summary>Output size from the input sizes, or null when the network cannot run at these sizes.</summary>
    public delegate Size? Rule(Size[] inputs);

    private readonly List<(int[] Inputs, Rule Rule)> steps = [];

    public readonly record struct Size(int H, int W);

    /// <summary>The slot of the network input.</summary>
    public const int InputSlot = 0;

    /// <summary>Adds a rule and returns the slot of its result.</summary>
    public int Add(int[] inputs, Rule rule)
    {
        steps.Add((inputs, rule));
        return steps.Count;
    }

    /// <summary>The size in <paramref name="slot"/> for an input of h x w, or null when invalid.</summary>
    public Size? Evaluate(int h, int w, int slot)
    {
        var sizes = new Size[steps.Count + 1];
        sizes[0] = new Size(h, w);
        for (int i = 0; i < steps.Count && i < slot; i++)
        {
            var (inputs, rule) = steps[i];
            var args = new Size[inputs.Length];
            for (int j = 0; j < inputs.Length; j++)
                args[j] = sizes[inputs[j]];
            if (rule(args) is not { } size || size.H <= 0 || size.W <= 0)
                return null;
            sizes[i + 1] = size;
        }
        return sizes[slot];
    }
}
