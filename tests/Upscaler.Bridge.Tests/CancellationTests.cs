using System.IO.Pipes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Upscaler.Bridge.Tests;

/// <summary>Cancel and end-of-input while a request runs, in process, over real pipes.</summary>
public class CancellationTests
{
    private sealed class Session : IAsyncDisposable
    {
        private readonly AnonymousPipeServerStream _toBridge = new(PipeDirection.Out);
        private readonly AnonymousPipeClientStream _bridgeIn;
        private readonly AnonymousPipeServerStream _bridgeOut = new(PipeDirection.Out);
        private readonly AnonymousPipeClientStream _fromBridge;

        public Session(FakeUpscaler upscaler)
        {
            _bridgeIn = new AnonymousPipeClientStream(PipeDirection.In, _toBridge.ClientSafePipeHandle);
            _fromBridge = new AnonymousPipeClientStream(PipeDirection.In, _bridgeOut.ClientSafePipeHandle);
            Run = Task.Run(async () =>
            {
                int code = await new BridgeServer(upscaler, _bridgeIn, _bridgeOut, NullLogger.Instance).RunAsync();
                _bridgeOut.Dispose();
                return code;
            });
        }

        public Task<int> Run { get; }

        public async Task SendAsync(byte[] frame)
        {
            await _toBridge.WriteAsync(frame);
            await _toBridge.FlushAsync();
        }

        public void EndInput() => _toBridge.Dispose();

        public async Task<Answer> NextAsync() =>
            await Answer.ReadAsync(_fromBridge).WaitAsync(TimeSpan.FromSeconds(10)) ?? throw new EndOfStreamException("the bridge ended its output");

        public async ValueTask DisposeAsync()
        {
            _toBridge.Dispose();
            await Run.WaitAsync(TimeSpan.FromSeconds(10));
            _fromBridge.Dispose();
        }
    }

    private static byte[] Request(uint id) => Frames.Upscale(id, 3, 2, 4, 8, Frames.Pattern(3, 2, 4, 8));

    [Test]
    public async Task A_cancel_stops_the_running_request_and_the_next_one_is_served()
    {
        var gate = new TaskCompletionSource();
        await using var session = new Session(new FakeUpscaler { Gate = gate });
        await session.SendAsync(Request(1));
        Assert.That((await session.NextAsync()).Type, Is.EqualTo(Answer.Progress), "the request started");

        await session.SendAsync(Frames.Cancel(1));
        var answer = await session.NextAsync();
        Assert.That(answer.ToString(), Does.StartWith("ERROR id=1 code=8 fatal=False"));

        gate.SetResult();
        await session.SendAsync(Request(2));
        Answer last;
        do
            last = await session.NextAsync();
        while (last.Type == Answer.Progress);
        Assert.That(last.ToString(), Does.StartWith("RESULT id=2"));
    }

    [Test]
    public async Task A_cancel_for_another_request_id_does_not_stop_the_running_one()
    {
        var gate = new TaskCompletionSource();
        await using var session = new Session(new FakeUpscaler { Gate = gate });
        await session.SendAsync(Request(1));
        await session.NextAsync();
        await session.SendAsync(Frames.Cancel(2));
        await Task.Delay(200);
        gate.SetResult();
        Answer last;
        do
            last = await session.NextAsync();
        while (last.Type == Answer.Progress);
        Assert.That(last.ToString(), Does.StartWith("RESULT id=1"));
    }

    [Test]
    public async Task End_of_input_cancels_the_running_request_and_exits_cleanly()
    {
        // This is what happens when GIMP's Cancel kills the plug-in: its end of the pipe closes.
        await using var session = new Session(new FakeUpscaler { Gate = new TaskCompletionSource() });
        await session.SendAsync(Request(1));
        await session.NextAsync();
        session.EndInput();
        Assert.That((await session.NextAsync()).ToString(), Does.StartWith("ERROR id=1 code=8"));
        Assert.That(await session.Run.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(0));
    }
}
