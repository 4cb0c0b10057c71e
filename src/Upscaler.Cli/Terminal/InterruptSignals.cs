using System.Runtime.InteropServices;

namespace Upscaler.Cli.Terminal;

/// <summary>
/// Turns the first Ctrl+C (SIGINT) or SIGTERM into a cancellation: the run stops its work, removes
/// the file it was writing, says so and exits 130. A second signal ends the process at once, as usual
/// (the next run sweeps the temporary file it leaves). System.CommandLine's own handler is switched
/// off because it ends the process a fixed time after the signal, cleaned up or not.
/// </summary>
internal sealed class InterruptSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _received;

    public InterruptSignals()
    {
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }

    public CancellationToken Token => _cancel.Token;

    private void Handle(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _received) > 1)
            return;
        context.Cancel = true;
        _cancel.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _cancel.Dispose();
    }
}
