namespace Upscaler.PaintDotNet.Adapter;

/// <summary>
/// Paint.NET signals cancellation through a flag (<c>IsCancelRequested</c>) rather than a token, and
/// calls the effect synchronously. This runs the engine on the thread pool and turns the flag into a
/// cancelled token while the caller waits, so closing the dialog or changing a setting aborts inference.
/// </summary>
public static class CancellationPolling
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <exception cref="OperationCanceledException">the flag was raised before or during the work.</exception>
    public static T Run<T>(Func<CancellationToken, Task<T>> work, Func<bool> isCancelRequested, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(isCancelRequested);
        using var cts = new CancellationTokenSource();
        if (isCancelRequested())
            cts.Cancel();
        cts.Token.ThrowIfCancellationRequested();

        var task = Task.Run(() => work(cts.Token), cts.Token);
        var wait = interval ?? DefaultInterval;
        // WaitOne, not Task.Wait: it returns on completion without throwing, so the loop stays simple
        // and the work's own exception comes out of GetResult below unwrapped.
        while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(wait))
        {
            if (!cts.IsCancellationRequested && isCancelRequested())
                cts.Cancel();
        }
        return task.GetAwaiter().GetResult();
    }
}
