using Microsoft.ML.OnnxRuntime;
using Upscaler.Core.Catalog;

namespace Upscaler.Core.Inference;

/// <summary>
/// A split model's statistics graph on one device: from an image tile it computes the pooled values
/// (each [1, C, 1, 1]) that the main graph takes as inputs. Runs are serialised like <see cref="ModelSession"/>'s.
/// </summary>
internal sealed class StatisticsSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SemaphoreSlim _runLock = new(1, 1);

    private StatisticsSession(ModelDescriptor model, ComputeDevice device, InferenceSession session)
    {
        Model = model;
        Device = device;
        _session = session;
    }

    public ModelDescriptor Model { get; }
    public ComputeDevice Device { get; }

    public static StatisticsSession Open(ModelDescriptor model, ComputeDevice device, SessionOptions options)
    {
        var file = model.Statistics?.File ?? throw new ArgumentException($"{model.Id} has no statistics graph", nameof(model));
        InferenceSession session;
        try
        {
            session = new InferenceSession(file.Path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelCatalogException($"statistics file {file.Path} could not be loaded by ONNX Runtime: {ErrorText.OneLine(e.Message)}", e);
        }
        var missing = model.Statistics.Values.Select(v => v.Name).Except(session.OutputMetadata.Keys).FirstOrDefault();
        if (!session.InputMetadata.ContainsKey(model.InputName) || missing is not null)
        {
            session.Dispose();
            throw new ModelCatalogException($"statistics file {file.Path} does not take \"{model.InputName}\" and give every pooled value its manifest entry names");
        }
        return new StatisticsSession(model, device, session);
    }

    /// <summary>The pooled values of a planar tile, in the order of the manifest entry.</summary>
    public IReadOnlyList<float[]> Run(float[] input, int height, int width, CancellationToken cancellationToken)
    {
        var values = Model.Statistics!.Values;
        cancellationToken.ThrowIfCancellationRequested();
        _runLock.Wait(cancellationToken);
        try
        {
            using var runOptions = new RunOptions();
            using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
            using var image = OrtValue.CreateTensorValueFromMemory(input, [1, 3, height, width]);
            try
            {
                using var outputs = _session.Run(runOptions, [Model.InputName], [image], values.Select(v => v.Name).ToList());
                return outputs.Select(o => o.GetTensorDataAsSpan<float>().ToArray()).ToList();
            }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("inference was cancelled", cancellationToken);
            }
            catch (OnnxRuntimeException e)
            {
                throw InferenceFailure.From(e, Model, Device, height, width);
            }
        }
        finally
        {
            _runLock.Release();
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runLock.Dispose();
    }
}
