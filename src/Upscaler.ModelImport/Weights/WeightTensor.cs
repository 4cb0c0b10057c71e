namespace Upscaler.ModelImport.Weights;

/// <summary>One named float32 tensor from a weight file (fp16/bf16 sources are widened on read).</summary>
internal sealed record WeightTensor(string Name, int[] Shape, float[] Data)
{
    public int Rank => Shape.Length;

    public override string ToString() => $"{Name} [{string.Join(",", Shape)}]";
}
