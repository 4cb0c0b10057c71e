using Microsoft.ML.OnnxRuntime;
using Upscaler.Core.Catalog;

namespace Upscaler.Core.Inference;

/// <summary>
/// The face detector (BlazeFace, 256x256 "back" model) on one device: one NHWC RGB window in [-1, 1] in,
/// the raw scores and boxes of its 896 anchors out (two output heads each: 512 and 384 anchors). Runs are
/// serialised like <see cref="ModelSession"/>'s.
/// </summary>
internal sealed class DetectorSession : IDisposable
{
    public const int Size = 256;
    public const int Anchors = 896;
    public const int Values = 16;

    // The graph's own tensor names (tf2onnx): scores of the 16x16 and 8x8 heads, then their boxes.
    private static readonly string[] OutputNames = ["Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"];

    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly SemaphoreSlim _runLock = new(1, 1);

    private DetectorSession(FaceDetectorModel model, ComputeDevice device, InferenceSession session, string inputName)
    {
        Model = model;
        Device = device;
        _session = session;
        _inputName = inputName;
    }

    public FaceDetectorModel Model { get; }
    public ComputeDevice Device { get; }

    public static DetectorSession Open(FaceDetectorModel model, ComputeDevice device, SessionOptions options)
    {
        InferenceSession session;
        try
        {
            session = new InferenceSession(model.File.Path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelCatalogException($"face detector {model.File.Path} could not be loaded by ONNX Runtime: {ErrorText.OneLine(e.Message)}", e);
        }
        var input = session.InputMetadata.FirstOrDefault();
        bool fits = session.InputMetadata.Count == 1 && input.Value.ElementType == typeof(float)
            && input.Value.Dimensions is [1, Size, Size, 3]
            && OutputNames.All(session.OutputMetadata.ContainsKey);
        if (!fits)
        {
            session.Dispose();
            throw new ModelCatalogException($"face detector {model.File.Path} is not a BlazeFace 256x256 model (NHWC input, four output heads)");
        }
        return new DetectorSession(model, device, session, input.Key);
    }

    /// <summary>
    /// Runs one window (<see cref="Size"/>² pixels, NHWC, values in [-1, 1]) and returns the raw scores
    /// (<see cref="Anchors"/>) and boxes (<see cref="Anchors"/> x <see cref="Values"/>) in anchor order.
    /// </summary>
    public (float[] Scores, float[] Boxes) Run(float[] window, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _runLock.Wait(cancellationToken);
        try
        {
            using var runOptions = new RunOptions();
            using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
            using var image = OrtValue.CreateTensorValueFromMemory(window, [1, Size, Size, 3]);
            try
            {
                using var outputs = _session.Run(runOptions, [_inputName], [image], OutputNames);
                var scores = new float[Anchors];
                var boxes = new float[Anchors * Values];
                var s1 = outputs[0].GetTensorDataAsSpan<float>();
                s1.CopyTo(scores);
                outputs[1].GetTensorDataAsSpan<float>().CopyTo(scores.AsSpan(s1.Length));
                var b1 = outputs[2].GetTensorDataAsSpan<float>();
                b1.CopyTo(boxes);
                outputs[3].GetTensorDataAsSpan<float>().CopyTo(boxes.AsSpan(b1.Length));
                return (scores, boxes);
            }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("inference was cancelled", cancellationToken);
            }
            catch (OnnxRuntimeException e)
            {
                string where = Device == ComputeDevice.Gpu ? "GPU" : "CPU";
                throw new InferenceFailedException($"the face detector failed on the {where}: {ErrorText.OneLine(e.Message)}", ErrorText.OneLine(e.Message), e);
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
