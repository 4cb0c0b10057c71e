using System.Diagnostics;
using Upscaler.Core;

namespace Upscaler.Bridge.Tests;

/// <summary>The real upscaler-bridge executable with the tiny test models, as the GIMP plug-in runs it.</summary>
public class ProcessTests
{
    private sealed class BridgeProcess : IDisposable
    {
        private readonly Process _process;
        private readonly Task<string> _stderr;

        public BridgeProcess(string modelsDirectory, params string[] args)
            : this(modelsDirectory, new Dictionary<string, string>(), args)
        {
        }

        public BridgeProcess(string modelsDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "upscaler-bridge.dll"));
            foreach (var a in args)
                start.ArgumentList.Add(a);
            start.Environment["UPSCALER_MODELS_DIR"] = modelsDirectory;
            start.Environment["UPSCALER_BRIDGE_LOG"] = "information";
            foreach (var (name, value) in environment)
                start.Environment[name] = value;
            _process = Process.Start(start)!;
            _stderr = _process.StandardError.ReadToEndAsync();
        }

        public Stream Input => _process.StandardInput.BaseStream;
        public Stream Output => _process.StandardOutput.BaseStream;

        public async Task SendAsync(byte[] frame)
        {
            await Input.WriteAsync(frame);
            await Input.FlushAsync();
        }

        public async Task<Answer> NextAsync(int seconds = 60) =>
            await Answer.ReadAsync(Output).WaitAsync(TimeSpan.FromSeconds(seconds)) ?? throw new EndOfStreamException("the bridge ended its output");

        public async Task<Answer> FinalAsync(int seconds = 60)
        {
            Answer answer;
            do
                answer = await NextAsync(seconds);
            while (answer.Type == Answer.Progress);
            return answer;
        }

        public async Task<(int Code, string Stderr)> EndAsync(int seconds = 20)
        {
            Input.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(seconds));
            return (_process.ExitCode, await _stderr);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }

    [Test]
    public void Version_prints_the_product_and_protocol_versions()
    {
        using var bridge = new BridgeProcess(Servers.TestModels, "--version");
        string text = new StreamReader(bridge.Output).ReadToEnd();
        Assert.That(text.Trim(), Does.Match(@"^upscaler-bridge \d+\.\d+\.\d+ \(protocol 1\)$"));
    }

    [Test]
    public async Task Results_equal_the_engine_called_directly_for_many_requests_in_one_process()
    {
        var engine = Servers.RealEngine(Servers.TestModels);
        using var bridge = new BridgeProcess(Servers.TestModels);
        var cases = new (int W, int H, PixelLayout Layout, int Bits, double Scale)[]
        {
            (17, 11, PixelLayout.Rgba, 8, 2), (9, 13, PixelLayout.Rgb, 16, 4), (8, 8, PixelLayout.GrayAlpha, 8, 3), (5, 7, PixelLayout.Gray, 16, 2.5),
        };
        uint id = 100;
        foreach (var (w, h, layout, bits, scale) in cases)
        {
            var pixels = Frames.Pattern(w, h, (int)layout, bits, seed: (int)id);
            await bridge.SendAsync(Frames.Upscale(++id, w, h, (int)layout, bits, pixels, scale: scale, denoise: 0.3));
            var result = await bridge.FinalAsync();
            var expected = await engine.UpscaleAsync(new PixelImage(w, h, layout, bits, pixels),
                new UpscaleOptions { Scale = scale, Denoise = 0.3, Device = ComputeDevice.Cpu });

            Assert.That(result.ToString(), Does.StartWith($"RESULT id={id} {expected.Width}x{expected.Height}x{(int)layout}@{bits}"));
            Assert.That(result.Pixels, Is.EqualTo(expected.Data), $"{layout} {bits}-bit x{scale}");
        }
        var (code, stderr) = await bridge.EndAsync();
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Contain("request 101"), "logs go to stderr");
    }

    [Test]
    public async Task Auto_denoise_measures_the_real_image_and_upscales_with_what_it_reports()
    {
        var engine = Servers.RealEngine(Servers.TestModels);
        using var bridge = new BridgeProcess(Servers.TestModels);
        // Noise of about 20 levels on a smooth picture: the engine asks for a clear, non-zero strength.
        var random = new Random(3);
        var pixels = Frames.Pattern(64, 48, 3, 8, seed: 1).Select((_, i) =>
            (byte)Math.Clamp(128 + 60 * Math.Sin(i % 192 * 0.05) + random.Next(-35, 36), 0, 255)).ToArray();
        var image = new PixelImage(64, 48, PixelLayout.Rgb, 8, pixels);

        await bridge.SendAsync(Frames.UpscaleWith(9, 64, 48, 3, 8, pixels, jpegQuality: 70));
        var chosen = await bridge.NextAsync();
        var result = await bridge.FinalAsync();

        var expected = engine.SuggestDenoise(image, 70);
        Assert.That(chosen.ToString(), Does.StartWith("DENOISE id=9"));
        Assert.That(chosen.Chosen, Is.EqualTo((true, 70, expected.Strength, expected.NoiseSigma, expected.Blockiness)));
        Assert.That(expected.Strength, Is.GreaterThan(0));
        var direct = await engine.UpscaleAsync(image, new UpscaleOptions { Scale = 2, Denoise = expected.Strength, Device = ComputeDevice.Cpu });
        Assert.That(result.Pixels, Is.EqualTo(direct.Data));
        var (code, stderr) = await bridge.EndAsync();
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Contain("request 9: denoise auto → "), "the choice is logged too");
    }

    [Test]
    public async Task A_cancel_stops_a_long_inference_promptly()
    {
        using var bridge = new BridgeProcess(Servers.SlowModels);
        // One whole-image tile through the deliberately slow model: only aborting the inference ends it early.
        await bridge.SendAsync(Frames.Upscale(1, 900, 900, 3, 8, Frames.Pattern(900, 900, 3, 8), scale: 2, tile: 0));
        Assert.That((await bridge.NextAsync()).Type, Is.EqualTo(Answer.Progress));
        await Task.Delay(100);
        var clock = Stopwatch.StartNew();
        await bridge.SendAsync(Frames.Cancel(1));
        var answer = await bridge.FinalAsync(30);
        TestContext.Out.WriteLine($"cancelled {clock.ElapsedMilliseconds} ms after the CANCEL frame");
        Assert.That(answer.ToString(), Does.StartWith("ERROR id=1 code=8"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));

        await bridge.SendAsync(Frames.ListModels());
        Assert.That((await bridge.NextAsync()).Type, Is.EqualTo(Answer.Models), "still serving after a cancel");
        Assert.That((await bridge.EndAsync()).Code, Is.EqualTo(0));
    }

    [Test]
    public async Task Closing_its_input_mid_request_makes_it_stop_and_exit()
    {
        // What GIMP's Cancel amounts to: GIMP kills the plug-in, and the bridge's stdin closes.
        using var bridge = new BridgeProcess(Servers.SlowModels);
        await bridge.SendAsync(Frames.Upscale(1, 900, 900, 3, 8, Frames.Pattern(900, 900, 3, 8), scale: 2, tile: 0));
        await bridge.NextAsync();
        var clock = Stopwatch.StartNew();
        var (code, stderr) = await bridge.EndAsync(20);
        TestContext.Out.WriteLine($"exited {clock.ElapsedMilliseconds} ms after its input closed");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public async Task Text_on_its_input_gets_a_fatal_error_frame_and_exit_code_2()
    {
        using var bridge = new BridgeProcess(Servers.TestModels);
        await bridge.SendAsync("hello bridge\n"u8.ToArray());
        var answer = await bridge.NextAsync();
        var (code, stderr) = await bridge.EndAsync();
        Assert.That(answer.ToString(), Does.StartWith("ERROR id=0 code=1 fatal=True"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("bad frame magic"));
    }

    [Test]
    public async Task A_missing_models_folder_is_an_error_answer_not_a_crash()
    {
        using var bridge = new BridgeProcess(Path.Combine(Path.GetTempPath(), "no-such-models-" + Guid.NewGuid()));
        await bridge.SendAsync(Frames.Upscale(1, 3, 2, 4, 8, Frames.Pattern(3, 2, 4, 8)));
        var answer = await bridge.FinalAsync();
        Assert.That(answer.ToString(), Does.StartWith("ERROR id=1 code=6"));
        Assert.That((await bridge.EndAsync()).Code, Is.EqualTo(0));
    }
    [Test]
    public async Task It_writes_nothing_in_home_or_temp_folders()
    {
        // ONNX Runtime's telemetry kept ~/.cache/Microsoft/DeveloperTools/.onnxruntime/{onnxruntime.db,deviceid}.
        string root = Path.Combine(Path.GetTempPath(), "bridge-home-" + Guid.NewGuid().ToString("N"));
        string home = Path.Combine(root, "home"), temp = Path.Combine(root, "tmp");
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(temp);
        try
        {
            var environment = new Dictionary<string, string> { ["HOME"] = home, ["XDG_CACHE_HOME"] = Path.Combine(home, ".cache"), ["TMPDIR"] = temp };
            using var bridge = new BridgeProcess(Servers.TestModels, environment);
            await bridge.SendAsync(Frames.Upscale(1, 8, 8, 3, 8, Frames.Pattern(8, 8, 3, 8)));
            Assert.That((await bridge.FinalAsync()).ToString(), Does.StartWith("RESULT id=1"));
            var (code, stderr) = await bridge.EndAsync();
            Assert.That(code, Is.EqualTo(0), stderr);
            Assert.That(stderr, Does.Not.Contain("elemetry"));
            Assert.That(Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories), Is.EquivalentTo(new[] { home, temp }));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
