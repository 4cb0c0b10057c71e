using Microsoft.ML.OnnxRuntime;
using Upscaler.Core.Catalog;

namespace Upscaler.Core.Inference;

/// <summary>A consumer of one inference's output, read in place from ONNX Runtime's buffer.</summary>
internal delegate void TensorConsumer(ReadOnlySpan<float> output);

/// <summary>
/// One loaded model on one device. Runs are serialised (DirectML allows one Run at a time per session,
/// and on the CPU one Run already uses every intra-op thread), and a cancelled token terminates the
/// Run in progress through <see cref="RunOptions.Terminate"/>.
/// </summary>
internal sealed class ModelSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SemaphoreSlim _runLock = new(1, 1);
    private readonly long[]? _denoiseShape;
    private readonly IdleArenas? _idleArenas;
    private bool _disposed;

    private ModelSession(ModelDescriptor model, string file, ComputeDevice device, InferenceSession session, long[]? denoiseShape, int? fixedTile,
        IdleArenas? idleArenas)
    {
        _idleArenas = device == ComputeDevice.Cpu ? idleArenas : null;
        Model = model;
        File = file;
        Device = device;
        _session = session;
        _denoiseShape = denoiseShape;
        FixedTile = fixedTile;
    }

    public ModelDescriptor Model { get; }

    /// <summary>The model file this session runs: the float32 file, or its float16 or int8 copy.</summary>
    public string File { get; }

    /// <summary>The device it actually runs on: <see cref="ComputeDevice.Cpu"/> or <see cref="ComputeDevice.Gpu"/>.</summary>
    public ComputeDevice Device { get; }

    /// <summary>
    /// When set, the session only accepts tiles of this edge plus the receptive-field margin on each side:
    /// its free height and width are pinned, so a GPU compiles its shaders once for the whole process.
    /// </summary>
    public int? FixedTile { get; }

    /// <summary>A tile's edge plus the receptive-field margin on both sides: what the model is fed.</summary>
    private static int Window(int tile, ModelDescriptor model) => tile + 2 * model.Tiling.Margin;

    /// <summary>Loads and checks a verified model file; errors name the file.</summary>
    /// <param name="fixedTile">Pin the input to one tile shape (see <see cref="FixedTile"/>); null keeps it free.</param>
    /// <param name="idleArenas">
    /// When a CPU session gives its arena back after a pass; null keeps it (<see cref="UpscalerSettings.ReleaseCpuArenaAfterPass"/> off).
    /// </param>
    public static ModelSession Open(ModelDescriptor model, string file, ComputeDevice device, SessionOptions options, int? fixedTile = null,
        IdleArenas? idleArenas = null)
    {
        InferenceSession session;
        try
        {
            if (fixedTile is int tile)
            {
                var (heightName, widthName) = SpatialDimensionNames(model, file);
                int window = Window(tile, model);
                options.AddFreeDimensionOverrideByName(heightName, window);
                options.AddFreeDimensionOverrideByName(widthName, window);
            }
            session = new InferenceSession(file, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelCatalogException($"model file {file} could not be loaded by ONNX Runtime: {ErrorText.OneLine(e.Message)}", e);
        }

        try
        {
            var denoiseShape = CheckSignature(model, file, session);
            var opened = new ModelSession(model, file, device, session, denoiseShape, fixedTile, idleArenas);
            opened.CheckScale(file);
            return opened;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the model on a planar RGB tile of <paramref name="height"/> x <paramref name="width"/> and hands
    /// the planar output (height*scale x width*scale) to <paramref name="consume"/> before its buffer is freed.
    /// </summary>
    /// <remarks>
    /// The CPU arena keeps its blocks after the run: allocating and page-faulting hundreds of MB per tile
    /// would cost a third of the time. It is given back once the engine is idle (<see cref="BeginPass"/>).
    /// </remarks>
    /// <param name="statistics">
    /// For a model with a statistics graph: the image's pooled values, in the order of its manifest entry.
    /// </param>
    public void Run(float[] input, int height, int width, float denoise, TensorConsumer consume, CancellationToken cancellationToken,
        IReadOnlyList<float[]>? statistics = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _runLock.Wait(cancellationToken);
        try
        {
            Infer(input, height, width, denoise, consume, statistics, shrinkArena: false, cancellationToken);
        }
        finally
        {
            _runLock.Release();
        }
    }

    /// <summary>
    /// A pass over an image starts; disposing the result ends it. While a pass of this model is in progress
    /// its CPU arena is never given back; after it, the arena is held until the engine is idle, or until
    /// another model's pass needs the room (<see cref="IdleArenas"/>).
    /// </summary>
    /// <param name="arenaBytes">The memory the pass's windows need, as the tile sizer estimates it.</param>
    public IDisposable BeginPass(long arenaBytes)
    {
        _idleArenas?.PassStarting(this, arenaBytes);
        return new PassInProgress(this);
    }

    private sealed class PassInProgress(ModelSession session) : IDisposable
    {
        private bool _ended;

        public void Dispose()
        {
            if (_ended)
                return;
            _ended = true;
            session._idleArenas?.PassEnded(session);
        }
    }

    /// <summary>
    /// Gives the CPU arena's free blocks back to the system, through a tiny run that ends by shrinking the
    /// arena (ONNX Runtime shrinks only at the end of a run). False when a run is in progress, or when the
    /// tiny run fails (out of memory, say): it runs on the idle timer's thread, where a throw would end the
    /// process, and the arena is then simply kept, as <see cref="UpscalerSettings.ReleaseCpuArenaAfterPass"/>
    /// off keeps it.
    /// </summary>
    public bool GiveArenaBack()
    {
        if (!_runLock.Wait(0))
            return false;
        try
        {
            if (_disposed)
                return false;
            Probe(shrinkArena: true);
            return true;
        }
        catch (UpscalerException)
        {
            return false;
        }
        finally
        {
            _runLock.Release();
        }
    }

    private void Infer(float[] input, int height, int width, float denoise, TensorConsumer consume, IReadOnlyList<float[]>? statistics,
        bool shrinkArena, CancellationToken cancellationToken)
    {
        using var runOptions = new RunOptions();
        if (shrinkArena)
            runOptions.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);

        // Every input is one OrtValue over managed memory; all of them are released with this list.
        using var inputs = new InputValues();
        var names = new List<string>(2) { Model.InputName };
        inputs.Add(OrtValue.CreateTensorValueFromMemory(input, [1, 3, height, width]));
        if (_denoiseShape is not null)
        {
            names.Add(Model.DenoiseInputName!);
            inputs.Add(OrtValue.CreateTensorValueFromMemory(new[] { denoise }, _denoiseShape));
        }
        if (Model.Statistics is { } split)
        {
            if (statistics is null || statistics.Count != split.Values.Count)
                throw new ArgumentException($"{Model.Id} needs its {split.Values.Count} pooled statistics", nameof(statistics));
            for (int i = 0; i < split.Values.Count; i++)
            {
                names.Add(split.Values[i].Name);
                inputs.Add(OrtValue.CreateTensorValueFromMemory(statistics[i], [1, split.Values[i].Channels, 1, 1]));
            }
        }

        IDisposableReadOnlyCollection<OrtValue> outputs;
        try
        {
            outputs = _session.Run(runOptions, names, inputs, [Model.OutputName]);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("inference was cancelled", cancellationToken);
        }
        catch (OnnxRuntimeException e)
        {
            throw InferenceFailure.From(e, Model, Device, height, width);
        }

        using (outputs)
        {
            var shape = outputs[0].GetTensorTypeAndShape().Shape;
            long expectedH = (long)height * Model.Scale, expectedW = (long)width * Model.Scale;
            if (shape is not [1, 3, var h, var w] || h != expectedH || w != expectedW)
                throw new ModelCatalogException(
                    $"model file {File} produced an output of shape [{string.Join(", ", shape)}], expected [1, 3, {expectedH}, {expectedW}]");
            consume(outputs[0].GetTensorDataAsSpan<float>());
        }
    }

    /// <summary>The smallest run the session accepts, on zeros: its input shape if pinned, else 16 px.</summary>
    private void Probe(bool shrinkArena)
    {
        int probe = FixedTile is int tile ? Window(tile, Model) : 16;
        var statistics = Model.Statistics?.Values.Select(v => new float[v.Channels]).ToList();
        Infer(new float[3 * probe * probe], probe, probe, 0f, _ => { }, statistics, shrinkArena, CancellationToken.None);
    }

    /// <summary>
    /// Waits for a run in progress (an idle release may be one), then closes the session. The lock itself is
    /// never disposed: the idle timer may still try it, and then finds the session closed.
    /// </summary>
    public void Dispose()
    {
        _idleArenas?.Forget(this);
        _runLock.Wait();
        try
        {
            if (!_disposed)
                _session.Dispose();
            _disposed = true;
        }
        finally
        {
            _runLock.Release();
        }
    }

    /// <summary>The model file's own names for the image's free height and width (export tools choose them).</summary>
    private static (string Height, string Width) SpatialDimensionNames(ModelDescriptor model, string file)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var plain = new InferenceSession(file, options);
        if (!plain.InputMetadata.TryGetValue(model.InputName, out var image) || image.SymbolicDimensions is not [_, _, { Length: > 0 } h, { Length: > 0 } w])
            throw new ModelCatalogException($"model file {file}: input \"{model.InputName}\" has no named free height and width to fix the tile shape with");
        return (h, w);
    }

    private static long[]? CheckSignature(ModelDescriptor model, string file, InferenceSession session)
    {
        var inputs = session.InputMetadata;
        if (!inputs.TryGetValue(model.InputName, out var image))
            throw new ModelCatalogException($"model file {file} has no input named \"{model.InputName}\" (manifest entry \"{model.Id}\")");
        if (image.ElementType != typeof(float) || image.Dimensions.Length != 4)
            throw new ModelCatalogException($"model file {file}: input \"{model.InputName}\" is not a 4-D float32 tensor");
        if (image.Dimensions[1] is not (3 or -1))
            throw new ModelCatalogException($"model file {file}: input \"{model.InputName}\" has {image.Dimensions[1]} channels, expected 3");
        if (!session.OutputMetadata.ContainsKey(model.OutputName))
            throw new ModelCatalogException($"model file {file} has no output named \"{model.OutputName}\" (manifest entry \"{model.Id}\")");

        long[]? denoiseShape = null;
        if (model.DenoiseInputName is { } denoiseName)
        {
            if (!inputs.TryGetValue(denoiseName, out var denoise) || denoise.ElementType != typeof(float))
                throw new ModelCatalogException($"model file {file} has no float input named \"{denoiseName}\" for the denoise strength");
            denoiseShape = denoise.Dimensions.Select(_ => 1L).ToArray();
        }

        var unfed = inputs.Keys.Except([model.InputName, model.DenoiseInputName, .. model.Statistics?.Values.Select(v => v.Name) ?? []])
            .FirstOrDefault();
        if (unfed is not null)
            throw new ModelCatalogException($"model file {file} has an input \"{unfed}\" its manifest entry does not describe");
        return denoiseShape;
    }

    /// <summary>A tiny probe run: a model whose real scale differs from its manifest entry must not slip through.</summary>
    private void CheckScale(string file)
    {
        try
        {
            Probe(shrinkArena: false);
        }
        catch (ModelCatalogException)
        {
            throw new ModelCatalogException($"model file {file} does not upscale by x{Model.Scale} as its manifest entry \"{Model.Id}\" says");
        }
        catch (InferenceFailedException e)
        {
            throw new ModelCatalogException($"model file {file} fails to run: {e.Reason}", e);
        }
    }

    /// <summary>The OrtValues of one run's inputs, released together.</summary>
    private sealed class InputValues : List<OrtValue>, IDisposable
    {
        public void Dispose()
        {
            foreach (var value in this)
                value.Dispose();
        }
    }
}
