using Microsoft.ML.OnnxRuntime;
using Upscaler.Core.Catalog;

namespace Upscaler.Core.Inference;

/// <summary>
/// The face detector (BlazeFace "back" model, input size free: multiples of 32) on one device: one NHWC
/// RGB window in [-1, 1] in, the raw scores and boxes of its anchors out (two output heads: 2 anchors per
/// 16 px cell, then 6 per 32 px cell; 896 for a 256x256 window). Runs are serialised like
/// <see cref="ModelSession"/>'s.
/// </summary>
internal sealed class DetectorSession : IDisposable
{
    /// <summary>Window sides must be multiples of this (the network's coarsest stride).</summary>
    public const int Granularity = 32;
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
            && input.Value.Dimensions is [1, -1, -1, 3]
            && OutputNames.All(session.OutputMetadata.ContainsKey);
        if (!fits)
        {
            session.Dispose();
            throw new ModelCatalogException($"face detector {model.File.Path} is not a BlazeFace model with a free input size (NHWC input, four output heads)");
        }
        return new DetectorSession(model, device, session, input.Key);
    }

    /// <summary>The anchors of a window: 2 per 16 px cell, then 6 per 32 px cell.</summary>
    public static int AnchorCount(int height, int width) => height / 16 * (width / 16) * 2 + height / 32 * (width / 32) * 6;

    /// <summary>
    /// Runs one window (<paramref name="height"/> x <paramref name="width"/> pixels, multiples of
    /// <see cref="Granularity"/>, NHWC, values in [-1, 1]) and returns the raw scores and boxes
    /// (<see cref="Values"/> per anchor) in anchor order.
    /// </summary>
    public (float[] Scores, float[] Boxes) Run(float[] window, int height, int width, CancellationToken cancellationToken)
    {
        if (height % Granularity != 0 || width % Granularity != 0 || window.Length < height * width * 3)
            throw new ArgumentException($"a {width}x{height} window is not a multiple of {Granularity} px or the buffer is too small", nameof(window));
        int anchors = AnchorCount(height, width);
        cancellationToken.ThrowIfCancellationRequested();
        _runLock.Wait(cancellationToken);
        try
        {
            using var runOptions = new RunOptions();
            using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
            using var image = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, window.AsMemory(0, height * width * 3), [1, height, width, 3]);
            try
            {
                using var outputs = _session.Run(runOptions, [_inputName], [image], OutputNames);
                var scores = new float[anchors];
                var boxes = new float[anchors * Values];
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
