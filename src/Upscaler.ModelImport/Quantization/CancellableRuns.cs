using Microsoft.ML.OnnxRuntime;

namespace Upscaler.ModelImport.Quantization;

/// <summary>
/// ONNX Runtime runs that a cancellation stops while they run (ONNX Runtime's terminate flag), not only
/// between them: one calibration or check run of a big model takes seconds, and Ctrl+C should not wait for it.
/// </summary>
internal sealed class CancellableRuns : IDisposable
{
    private readonly RunOptions _options = new();
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationTokenRegistration _registration;

    public CancellableRuns(CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        _registration = cancellationToken.Register(() => _options.Terminate = true);
    }

    /// <exception cref="OperationCanceledException">cancelled before or during the run.</exception>
    public IDisposableReadOnlyCollection<DisposableNamedOnnxValue> Run(InferenceSession session, IReadOnlyCollection<NamedOnnxValue> feeds, IReadOnlyCollection<string>? outputs = null)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return session.Run(feeds, outputs ?? session.OutputNames, _options);
        }
        catch (OnnxRuntimeException) when (_cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(_cancellationToken);
        }
    }

    public void Dispose()
    {
        _registration.Dispose();   // first: the callback must not touch disposed options
        _options.Dispose();
    }
}
