using System.Numerics.Tensors;

namespace Upscaler.Core.Imaging;

/// <summary>
/// Separable Lanczos-3 resampling (<see cref="LanczosKernel"/>) that streams: it is the last model
/// pass's destination, takes the pass's blocks as they come, and as soon as a source row is complete
/// resamples it horizontally; each destination row is written out once every source row it reads is in.
/// So a x3 upscale never holds the x4 model output whole, only about one row of tiles of it (plus a few
/// resampled rows), which keeps a 3000x2000 photo's x3 inside the same memory as its x4.
/// </summary>
internal sealed class LanczosResampler : IPlaneWriter
{
    private readonly IPlaneWriter _destination;
    private readonly LanczosKernel _horizontal;
    private readonly LanczosKernel _vertical;
    private readonly int _channels;
    private readonly float[]?[] _rows;      // source rows still being filled (planar: channel after channel)
    private readonly float[]?[] _wide;      // source rows resampled to the destination width
    private readonly int[] _filled;         // samples written per source row
    private readonly RowPool _rowPool;
    private readonly RowPool _widePool;
    private int _nextSource;                // first source row not yet resampled horizontally
    private int _nextOutput;                // first destination row not yet written
    private int _dropped;                   // resampled rows below this were handed back to the pool

    public LanczosResampler(int channels, int sourceWidth, int sourceHeight, IPlaneWriter destination)
    {
        _channels = channels;
        Width = sourceWidth;
        Height = sourceHeight;
        _destination = destination;
        _horizontal = LanczosKernel.For(sourceWidth, destination.Width);
        _vertical = LanczosKernel.For(sourceHeight, destination.Height);
        _rows = new float[]?[sourceHeight];
        _wide = new float[]?[sourceHeight];
        _filled = new int[sourceHeight];
        _rowPool = new RowPool(channels * sourceWidth);
        _widePool = new RowPool(channels * destination.Width);
    }

    /// <summary>Resamples a whole image into <paramref name="destination"/>.</summary>
    public static void Resize(ImagePlanes source, IPlaneWriter destination) =>
        new LanczosResampler(source.Channels, source.Width, source.Height, destination)
            .Write(0, 0, source.Width, source.Height, source.Data, new PlanarLayout(0, source.Width, source.PlaneSize));

    public int Width { get; }
    public int Height { get; }

    public void Write(int x, int y, int width, int height, ReadOnlySpan<float> source, in PlanarLayout layout)
    {
        for (int row = 0; row < height; row++)
        {
            var buffer = _rows[y + row] ??= _rowPool.Rent();
            for (int c = 0; c < _channels; c++)
                source.Slice(layout.Offset + c * layout.PlaneStride + row * layout.RowStride, width)
                    .CopyTo(buffer.AsSpan(c * Width + x, width));
            _filled[y + row] += width;
        }
        Advance();
    }

    private void Advance()
    {
        int complete = _nextSource;
        while (complete < Height && _filled[complete] >= Width)
            complete++;
        if (complete == _nextSource)
            return;

        int dstW = _destination.Width;
        Parallel.For(_nextSource, complete, y =>
        {
            var src = _rows[y]!;
            var wide = _widePool.Rent();
            for (int c = 0; c < _channels; c++)
            {
                var line = src.AsSpan(c * Width, Width);
                var output = wide.AsSpan(c * dstW, dstW);
                for (int x = 0; x < dstW; x++)
                    output[x] = _horizontal.Apply(x, line);
            }
            _wide[y] = wide;
            _rows[y] = null;
            _rowPool.Return(src);
        });
        _nextSource = complete;

        // Destination rows whose every tap is in (rows complete in order, so the last tap is enough).
        int ready = _nextOutput;
        while (ready < _destination.Height && _vertical.LastSource(ready) < _nextSource)
            ready++;
        Parallel.For(_nextOutput, ready, () => new float[_channels * dstW], (y, _, row) =>
        {
            var taps = _vertical.Taps(y);
            int first = _vertical.First(y);
            row.AsSpan().Clear();
            for (int t = 0; t < taps.Length; t++)
                TensorPrimitives.MultiplyAdd(_wide[_vertical.SourceIndex(first + t)]!, taps[t], row, row);
            _destination.Write(0, y, dstW, 1, row, new PlanarLayout(0, dstW, dstW));
            return row;
        }, _ => { });
        _nextOutput = ready;

        // Resampled rows no later destination row reads are dropped.
        int stillNeeded = _nextOutput < _destination.Height ? _vertical.FirstSource(_nextOutput) : Height;
        for (; _dropped < Math.Min(stillNeeded, _nextSource); _dropped++)
        {
            _widePool.Return(_wide[_dropped]!);
            _wide[_dropped] = null;
        }
    }

    /// <summary>
    /// Reuses row buffers: a 12000-pixel row is a large-object-heap array, and allocating one per row
    /// (thousands per image) left the garbage collector holding a gigabyte of them.
    /// </summary>
    private sealed class RowPool(int length)
    {
        private readonly System.Collections.Concurrent.ConcurrentBag<float[]> _free = new();

        /// <summary>A row with stale contents: every row is written whole before it is read (tiles partition the image).</summary>
        public float[] Rent() => _free.TryTake(out var row) ? row : new float[length];

        public void Return(float[] row) => _free.Add(row);
    }
}
