using Upscaler.Core.Catalog;
using Upscaler.Core.Imaging;

namespace Upscaler.Core.Tiling;

/// <summary>
/// The bridge between the engine's working format (planar RGB, 0..1) and one model's own tensors:
/// a tile's window is gathered (mirrored past the image borders) into the model's value range and
/// channel order, and the model's output is read back in the engine's.
/// </summary>
internal sealed class TileTensor
{
    private readonly ModelDescriptor _model;
    private readonly bool _rescale;
    private float[]? _converted;

    public TileTensor(ModelDescriptor model, int width, int height)
    {
        _model = model;
        _rescale = model.RangeMin != 0f || model.RangeMax != 1f;
        Width = width;
        Height = height;
        Data = new float[3 * width * height];
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>The model's input: 3 planes of <see cref="Height"/> x <see cref="Width"/>.</summary>
    public float[] Data { get; }

    private bool Reversed => _model.Order == ChannelOrder.Bgr;

    /// <summary>Copies the window whose top-left corner is (left, top), mirroring indices outside the image.</summary>
    public void Gather(ImagePlanes source, int left, int top)
    {
        // Windows inside the image copy whole rows; only those touching a side need mirrored column lookups.
        bool interior = left >= 0 && left + Width <= source.Width;
        var columns = interior ? null : Enumerable.Range(left, Width).Select(x => Mirror.Index(x, source.Width)).ToArray();

        for (int c = 0; c < 3; c++)
        {
            var plane = source.Plane(Reversed ? 2 - c : c);
            for (int row = 0; row < Height; row++)
            {
                int y = Mirror.Index(top + row, source.Height);
                var srcRow = plane.Slice(y * source.Width, source.Width);
                var dstRow = Data.AsSpan((c * Height + row) * Width, Width);
                if (columns is null)
                    srcRow.Slice(left, Width).CopyTo(dstRow);
                else
                    for (int i = 0; i < Width; i++)
                        dstRow[i] = srcRow[columns[i]];
            }
        }
        if (_rescale)
        {
            float min = _model.RangeMin, span = _model.RangeMax - _model.RangeMin;
            foreach (ref float v in Data.AsSpan())
                v = min + v * span;
        }
    }

    /// <summary>
    /// The model's output in the engine's range, and where RGB plane <paramref name="channel"/> starts in it:
    /// BGR models' planes are read in reverse instead of being copied.
    /// </summary>
    public ReadOnlySpan<float> Output(ReadOnlySpan<float> output)
    {
        if (!_rescale)
            return output;
        if (_converted is null || _converted.Length != output.Length)
            _converted = new float[output.Length];
        float min = _model.RangeMin, inverse = 1f / (_model.RangeMax - _model.RangeMin);
        for (int i = 0; i < output.Length; i++)
            _converted[i] = (output[i] - min) * inverse;
        return _converted;
    }

    /// <summary>The layout of a block of the output whose red sample is at (x, y) of plane 0 in RGB terms.</summary>
    public PlanarLayout OutputLayout(int x, int y, int outputWidth, int outputHeight)
    {
        int plane = outputWidth * outputHeight, offset = y * outputWidth + x;
        return Reversed
            ? new PlanarLayout(offset + 2 * plane, outputWidth, -plane)
            : new PlanarLayout(offset, outputWidth, plane);
    }
}
