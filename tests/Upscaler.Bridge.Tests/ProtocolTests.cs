using System.Buffers.Binary;
using System.Text.Json;
using Upscaler.Core;

namespace Upscaler.Bridge.Tests;

/// <summary>The wire protocol, in process, against an instant fake engine.</summary>
public class ProtocolTests
{
    private static readonly byte[] Tiny = Frames.Pattern(3, 2, 4, 8);

    private static byte[] Good(uint id = 7) => Frames.Upscale(id, 3, 2, 4, 8, Tiny);

    [Test]
    public async Task An_upscale_is_answered_with_progress_then_the_result()
    {
        var (code, output) = await Servers.RunAsync(Good(7));
        var answers = Answer.ParseAll(output);

        Assert.That(code, Is.EqualTo(0));
        Assert.That(answers.Select(a => a.Type), Is.EqualTo(new[] { Answer.Progress, Answer.Progress, Answer.Result }));
        var result = answers[^1];
        Assert.That((result.RequestId, result.Width, result.Height, result.Channels, result.Bits), Is.EqualTo((7u, 6, 4, 4, 8)));
        Assert.That(result.Pixels, Has.Length.EqualTo(6 * 4 * 4));
        Assert.That(answers[1].Tiles, Is.EqualTo((1u, 1u)));
    }

    [Test]
    public async Task Many_requests_in_one_stream_are_answered_in_order()
    {
        var input = Enumerable.Range(1, 20).SelectMany(i => Good((uint)i)).ToArray();
        var (code, output) = await Servers.RunAsync(input);
        var results = Answer.ParseAll(output).Where(a => a.Type == Answer.Result).Select(a => a.RequestId);
        Assert.That(code, Is.EqualTo(0));
        Assert.That(results, Is.EqualTo(Enumerable.Range(1, 20).Select(i => (uint)i)));
    }

    [Test]
    public async Task List_models_names_the_bridge_version_and_the_installed_models()
    {
        var (_, output) = await Servers.RunAsync(Frames.ListModels());
        var answer = Answer.ParseAll(output).Single();
        Assert.That(answer.Type, Is.EqualTo(Answer.Models));
        using var json = JsonDocument.Parse(answer.Json);
        Assert.That(json.RootElement.GetProperty("protocol").GetInt32(), Is.EqualTo(1));
        Assert.That(json.RootElement.GetProperty("bridge").GetString(), Is.Not.Empty);
        var model = json.RootElement.GetProperty("models")[0];
        Assert.That(model.GetProperty("kind").GetString(), Is.EqualTo("general"));
        Assert.That((model.GetProperty("id").GetString(), model.GetProperty("scale").GetInt32(), model.GetProperty("description").GetString()),
            Is.EqualTo(("fake-x2", 2, "fake")));
        Assert.That((model.GetProperty("denoise").GetBoolean(), model.GetProperty("origin").GetString()), Is.EqualTo((true, "shipped")));
    }

    [Test]
    public async Task End_of_input_with_nothing_sent_is_a_clean_exit()
    {
        var (code, output) = await Servers.RunAsync([]);
        Assert.That((code, output.Length), Is.EqualTo((0, 0)));
    }

    // Each bad field: an error answer with the right code, and the next request still served.
    [TestCase(0u, 2u, (byte)4, (byte)8, 2.0, (byte)0, -1, 0u, 3, "empty")]
    [TestCase(65536u, 1u, (byte)4, (byte)8, 2.0, (byte)0, -1, 0u, 4, "65535 px per side")]
    [TestCase(60000u, 60000u, (byte)4, (byte)8, 1.0, (byte)0, -1, 0u, 4, "250 MP")]
    [TestCase(3u, 2u, (byte)5, (byte)8, 2.0, (byte)0, -1, 0u, 3, "channel count 5")]
    [TestCase(3u, 2u, (byte)4, (byte)12, 2.0, (byte)0, -1, 0u, 3, "bits per channel 12")]
    [TestCase(3u, 2u, (byte)4, (byte)8, 2.0, (byte)9, -1, 0u, 3, "unknown model code 9")]
    [TestCase(3u, 2u, (byte)4, (byte)8, 2.0, (byte)5, -1, 0u, 3, "unknown model code 5")]
    [TestCase(3u, 2u, (byte)4, (byte)8, 2.0, (byte)0, -5, 0u, 3, "tile size -5")]
    [TestCase(3u, 2u, (byte)4, (byte)8, 2.0, (byte)0, 7, 0u, 5, "tile size 7")]
    [TestCase(3u, 2u, (byte)4, (byte)8, 2.0, (byte)0, -1, 8u, 3, "unknown request flags")]
    [TestCase(3u, 2u, (byte)4, (byte)8, 9.0, (byte)0, -1, 0u, 5, "scale 9 is out of range")]
    [TestCase(3u, 2u, (byte)4, (byte)8, double.NaN, (byte)0, -1, 0u, 5, "scale NaN")]
    [TestCase(40000u, 2u, (byte)4, (byte)8, 2.0, (byte)0, -1, 0u, 4, "over the limit")]
    public async Task A_bad_field_is_answered_with_an_error_and_the_next_request_works(
        uint width, uint height, byte channels, byte bits, double scale, byte model, int tile, uint flags, int code, string says)
    {
        // The pixels sent match what the header claims where that is small, so only the field is wrong.
        long claimed = (long)width * height * Math.Max((int)channels, 1) * Math.Max(bits / 8, 1);
        var pixels = new byte[claimed is > 0 and < 1_000_000 ? claimed : 24];
        var bad = Frames.Frame(1, [.. Frames.UpscaleHeader(5, width, height, channels, bits, scale, model, 1, 0.5, tile, flags), .. pixels]);
        var (exit, output) = await Servers.RunAsync([.. bad, .. Good(6)]);
        var answers = Answer.ParseAll(output);

        var error = answers.First();
        Assert.That(exit, Is.EqualTo(0));
        Assert.That((error.Type, error.RequestId, (int)error.ErrorCode, error.Fatal), Is.EqualTo((Answer.Error, 5u, code, false)), error.ToString());
        Assert.That(error.Message, Does.Contain(says));
        Assert.That(answers[^1].Type, Is.EqualTo(Answer.Result));
        Assert.That(answers[^1].RequestId, Is.EqualTo(6u));
    }

    [Test]
    public async Task Auto_denoise_is_answered_with_the_chosen_strength_before_any_progress()
    {
        var engine = new FakeUpscaler();
        var (exit, output) = await Servers.RunAsync(Frames.UpscaleWith(7, 3, 2, 4, 8, Tiny, denoise: -1), engine);
        var answers = Answer.ParseAll(output);

        Assert.That(exit, Is.EqualTo(0));
        Assert.That(answers.Select(a => a.Type), Is.EqualTo(new[] { Answer.Denoise, Answer.Progress, Answer.Progress, Answer.Result }));
        Assert.That(answers[0].RequestId, Is.EqualTo(7u));
        Assert.That(answers[0].Chosen, Is.EqualTo((true, 0, 0.35, 3.1, 0.2)), "the fake engine's suggestion, no JPEG quality");
        Assert.That(engine.LastOptions?.Denoise, Is.EqualTo(0.35), "the upscale runs with the chosen strength");
    }

    [Test]
    public async Task The_jpeg_quality_block_reaches_the_measurement_and_follows_a_model_id_block()
    {
        var engine = new FakeUpscaler();
        var (_, output) = await Servers.RunAsync([
            .. Frames.UpscaleWith(1, 3, 2, 4, 8, Tiny, jpegQuality: 78),
            .. Frames.UpscaleWith(2, 3, 2, 4, 8, Tiny, modelId: "fake-x2", jpegQuality: 41),
        ], engine);
        var chosen = Answer.ParseAll(output).Where(a => a.Type == Answer.Denoise).Select(a => (a.RequestId, a.Chosen.JpegQuality)).ToList();

        Assert.That(chosen, Is.EqualTo(new[] { (1u, 78), (2u, 41) }));
        Assert.That(engine.LastOptions?.ModelId, Is.EqualTo("fake-x2"));
    }

    [Test]
    public async Task A_fixed_strength_is_used_as_sent_and_nothing_is_measured()
    {
        var engine = new FakeUpscaler();
        var (_, output) = await Servers.RunAsync(Frames.UpscaleWith(3, 3, 2, 4, 8, Tiny, denoise: 0.6, jpegQuality: 50), engine);

        Assert.That(Answer.ParseAll(output).Select(a => a.Type), Does.Not.Contain(Answer.Denoise));
        Assert.That((engine.LastOptions?.Denoise, engine.Suggestions), Is.EqualTo((0.6, 0)), "a quality hint alone changes nothing");
    }

    [Test]
    public async Task Auto_for_a_model_without_a_denoise_control_says_so_and_measures_nothing()
    {
        var engine = new FakeUpscaler
        {
            Models = [new("fake-x2", ModelKind.General, 2, "fake.onnx", "fake"), new("plain-x2", ModelKind.Sharp, 2, "plain.onnx", "plain") { HasDenoise = false }],
        };
        var (_, output) = await Servers.RunAsync(Frames.UpscaleWith(4, 3, 2, 4, 8, Tiny, modelId: "plain-x2", jpegQuality: 60), engine);
        var answers = Answer.ParseAll(output);

        Assert.That(answers[0].Type, Is.EqualTo(Answer.Denoise));
        Assert.That(answers[0].Chosen, Is.EqualTo((false, 0, 0.0, 0.0, 0.0)));
        Assert.That(answers[^1].Type, Is.EqualTo(Answer.Result));
        Assert.That(engine.Suggestions, Is.Zero);
    }

    [TestCase(-0.5, 5, "denoise -0.5 is out of range")]
    [TestCase(-2.0, 5, "denoise -2 is out of range")]
    [TestCase(double.NaN, 5, "denoise NaN is out of range")]
    [TestCase(1.01, 5, "denoise 1.01 is out of range")]
    public async Task Only_minus_one_means_auto_other_values_outside_0_to_1_are_invalid(double denoise, int code, string says)
    {
        var (_, output) = await Servers.RunAsync([.. Frames.UpscaleWith(5, 3, 2, 4, 8, Tiny, denoise: denoise), .. Good(6)]);
        var answers = Answer.ParseAll(output);

        Assert.That(((int)answers[0].ErrorCode, answers[0].RequestId), Is.EqualTo((code, 5u)), answers[0].ToString());
        Assert.That(answers[0].Message, Does.Contain(says));
        Assert.That(answers[^1].RequestId, Is.EqualTo(6u));
    }

    [TestCase((byte)0, "JPEG quality 0 is out of range")]
    [TestCase((byte)101, "JPEG quality 101 is out of range")]
    public async Task A_bad_jpeg_quality_is_a_bad_request_and_the_stream_stays_in_sync(byte quality, string says)
    {
        var (_, output) = await Servers.RunAsync([.. Frames.UpscaleWith(5, 3, 2, 4, 8, Tiny, jpegQuality: quality), .. Good(6)]);
        var answers = Answer.ParseAll(output);

        Assert.That((answers[0].Type, (int)answers[0].ErrorCode), Is.EqualTo((Answer.Error, 3)), answers[0].ToString());
        Assert.That(answers[0].Message, Does.Contain(says));
        Assert.That(answers[^1].RequestId, Is.EqualTo(6u));
    }

    [Test]
    public async Task A_jpeg_quality_flag_on_a_frame_that_ends_before_it_is_a_bad_request()
    {
        var bare = Frames.Frame(1, Frames.UpscaleHeader(5, 1, 1, 1, 8, flags: 2));
        var (_, output) = await Servers.RunAsync([.. bare, .. Good(6)]);
        var answers = Answer.ParseAll(output);

        Assert.That(answers[0].Message, Does.Contain("the frame ends before it"));
        Assert.That(answers[^1].RequestId, Is.EqualTo(6u));
    }

    [Test]
    public async Task A_pixel_count_mismatch_is_a_bad_request_and_the_stream_stays_in_sync()
    {
        var shortFrame = Frames.Frame(1, [.. Frames.UpscaleHeader(5, 3, 2, 4, 8), .. new byte[23]]);
        var (exit, output) = await Servers.RunAsync([.. shortFrame, .. Good(6)]);
        var answers = Answer.ParseAll(output);
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(answers[0].ToString(), Does.Contain("code=3").And.Contain("pixel data holds 23 bytes"));
        Assert.That(answers[^1].RequestId, Is.EqualTo(6u));
    }

    [Test]
    public async Task A_model_id_block_selects_a_model_by_id()
    {
        var engine = new FakeUpscaler();
        var (exit, output) = await Servers.RunAsync(Frames.UpscaleById(5, "fake-x2", 3, 2, 4, 8, Tiny), engine);
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(Answer.ParseAll(output)[^1].Type, Is.EqualTo(Answer.Result));
        Assert.That(engine.LastOptions?.ModelId, Is.EqualTo("fake-x2"));
    }

    [Test]
    public async Task A_face_block_sets_face_mode_and_strength_and_without_it_faces_are_auto()
    {
        var engine = new FakeUpscaler();
        var (exit, _) = await Servers.RunAsync(Frames.UpscaleWithFaces(5, 1, 0.25, 3, 2, 4, 8, Tiny), engine);
        Assert.That(exit, Is.EqualTo(0));
        Assert.That((engine.LastOptions?.Faces, engine.LastOptions?.FaceStrength), Is.EqualTo((Upscaler.Core.FaceMode.Off, 0.25)));

        var plain = new FakeUpscaler();
        await Servers.RunAsync(Good(6), plain);
        Assert.That((plain.LastOptions?.Faces, plain.LastOptions?.FaceStrength), Is.EqualTo((Upscaler.Core.FaceMode.Auto, 1.0)));
    }

    [Test]
    public async Task All_three_blocks_are_read_in_their_order_model_id_jpeg_quality_faces()
    {
        var engine = new FakeUpscaler();
        var (exit, output) = await Servers.RunAsync(
            Frames.UpscaleWith(8, 3, 2, 4, 8, Tiny, modelId: "fake-x2", jpegQuality: 63, faceMode: 1, faceStrength: 0.4), engine);
        var answers = Answer.ParseAll(output);

        Assert.That(exit, Is.EqualTo(0));
        Assert.That(answers[0].Chosen.JpegQuality, Is.EqualTo(63));
        Assert.That(answers[^1].Type, Is.EqualTo(Answer.Result));
        Assert.That((engine.LastOptions?.ModelId, engine.LastOptions?.Faces, engine.LastOptions?.FaceStrength, engine.LastOptions?.Denoise),
            Is.EqualTo(("fake-x2", (Upscaler.Core.FaceMode?)Upscaler.Core.FaceMode.Off, (double?)0.4, (double?)0.35)), "auto denoise keeps the face options");
    }

    [Test]
    public async Task A_faces_flag_on_a_frame_that_ends_before_its_block_is_a_bad_request()
    {
        var bare = Frames.Frame(1, [.. Frames.UpscaleHeader(5, 1, 1, 1, 8, flags: 4), .. new byte[4]]);
        var (_, output) = await Servers.RunAsync([.. bare, .. Good(6)]);
        var answers = Answer.ParseAll(output);

        Assert.That(answers[0].Message, Does.Contain("the frame ends before it"));
        Assert.That(answers[^1].RequestId, Is.EqualTo(6u));
    }

    [TestCase(2, 0.5, "unknown face mode 2")]
    [TestCase(0, 1.5, "face strength 1.5 is out of range")]
    public async Task A_bad_face_block_is_rejected_and_the_stream_stays_in_sync(int mode, double strength, string says)
    {
        var (_, output) = await Servers.RunAsync([.. Frames.UpscaleWithFaces(5, (byte)mode, strength, 3, 2, 4, 8, Tiny), .. Good(6)]);
        var answers = Answer.ParseAll(output);
        Assert.That((answers[0].Type, answers[0].RequestId), Is.EqualTo((Answer.Error, 5u)), answers[0].ToString());
        Assert.That(answers[0].Message, Does.Contain(says));
        Assert.That(answers[^1].RequestId, Is.EqualTo(6u));
    }

    [TestCase("", null, "model id length 0")]
    [TestCase("x", 65, "model id length 65")]
    [TestCase("bad", -1, "not valid UTF-8")]
    public async Task A_bad_model_id_block_is_a_bad_request_and_the_stream_stays_in_sync(string id, int? length, string says)
    {
        byte[]? raw = length switch { 65 => new byte[65], -1 => [0xff, 0xfe, 0x41], _ => null };
        var (_, output) = await Servers.RunAsync([.. Frames.UpscaleById(5, id, 3, 2, 4, 8, Tiny, raw), .. Good(6)]);
        var answers = Answer.ParseAll(output);
        Assert.That((answers[0].Type, answers[0].RequestId, (int)answers[0].ErrorCode), Is.EqualTo((Answer.Error, 5u, 3)), answers[0].ToString());
        Assert.That(answers[0].Message, Does.Contain(says));
        Assert.That(answers[^1].RequestId, Is.EqualTo(6u));
    }

    [Test]
    public async Task An_unknown_model_id_is_a_model_unavailable_error_naming_it()
    {
        var (_, output) = await Servers.RunAsync(Frames.UpscaleById(5, "realesrgan-x4plus", 3, 2, 4, 8, Tiny));
        var error = Answer.ParseAll(output).Single(a => a.Type == Answer.Error);
        Assert.That((int)error.ErrorCode, Is.EqualTo(6));
        Assert.That(error.Message, Does.Contain("realesrgan-x4plus"));
    }

    [Test]
    public async Task A_model_that_is_not_installed_is_a_model_unavailable_error()
    {
        var face = Frames.Upscale(5, 3, 2, 4, 8, Tiny, model: 1);
        var (_, output) = await Servers.RunAsync(face);
        var error = Answer.ParseAll(output).Single(a => a.Type == Answer.Error);
        Assert.That((int)error.ErrorCode, Is.EqualTo(6));
        Assert.That(error.Message, Does.Contain("no face model is installed"));
    }

    [Test]
    public async Task An_unknown_frame_type_is_skipped_with_an_error()
    {
        var unknown = Frames.Frame(0x0042, new byte[100]);
        var (exit, output) = await Servers.RunAsync([.. unknown, .. Good(6)]);
        var answers = Answer.ParseAll(output);
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(answers[0].Message, Does.Contain("unknown request frame type 0x0042"));
        Assert.That(answers[^1].RequestId, Is.EqualTo(6u));
    }

    [Test]
    public async Task A_cancel_for_a_request_that_is_not_running_is_ignored()
    {
        var (exit, output) = await Servers.RunAsync([.. Frames.Cancel(99), .. Good(6)]);
        var answers = Answer.ParseAll(output);
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(answers.Any(a => a.Type == Answer.Error), Is.False);
        Assert.That(answers[^1].RequestId, Is.EqualTo(6u));
    }

    [TestCase("XXXX", (ushort)1, 1, "bad frame magic")]
    [TestCase("UPBR", (ushort)2, 2, "protocol version 2 is not supported")]
    public async Task A_bad_magic_or_version_is_a_fatal_error_and_a_clean_exit(string magic, ushort version, int code, string says)
    {
        var (exit, output) = await Servers.RunAsync([.. Frames.Frame(3, [], version, magic), .. Good(6)]);
        var error = Answer.ParseAll(output).Single();
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(((int)error.ErrorCode, error.Fatal), Is.EqualTo((code, true)));
        Assert.That(error.Message, Does.Contain(says));
    }

    [Test]
    public async Task Truncated_frames_are_fatal_errors()
    {
        var good = Good(6);
        foreach (int cut in new[] { 5, 16, 30, good.Length - 1 })
        {
            var (exit, output) = await Servers.RunAsync(good[..cut]);
            var last = Answer.ParseAll(output)[^1];
            Assert.That(exit, Is.EqualTo(2), $"cut at {cut}");
            Assert.That((last.Type, last.Fatal), Is.EqualTo((Answer.Error, true)), $"cut at {cut}");
            Assert.That(last.Message, Does.Contain("truncated"));
        }
    }

    [Test]
    public async Task An_absurd_frame_length_is_refused_without_allocating_it()
    {
        var huge = Frames.Frame(1, Frames.UpscaleHeader(5, 3, 2, 4, 8), length: ulong.MaxValue);
        var (exit, output) = await Servers.RunAsync(huge, timeout: TimeSpan.FromSeconds(5));
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(Answer.ParseAll(output).Single().Message, Does.Contain("over the limit"));
    }

    [Test]
    public async Task A_huge_but_consistent_request_that_never_arrives_costs_only_what_arrived()
    {
        // 16000x15000 RGBA16 claims 1.9 GB; only the header comes. The reader must not allocate it all.
        var header = Frames.UpscaleHeader(5, 16000, 15000, 4, 16, scale: 1);
        var frame = Frames.Frame(1, header, length: 40 + 16000UL * 15000 * 8);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var (exit, _) = await Servers.RunAsync([.. frame, .. new byte[1000]]);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(allocated, Is.LessThan(200L << 20), "bytes allocated for a truncated frame");
    }

    [Test]
    public void The_documented_frame_header_is_16_bytes_and_the_request_header_40()
    {
        Assert.That(Protocol.Wire.FrameHeaderSize, Is.EqualTo(16));
        Assert.That(Protocol.Wire.RequestHeaderSize, Is.EqualTo(40));
        var frame = Good(1);
        Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(frame.AsSpan(8)), Is.EqualTo((ulong)(40 + Tiny.Length)));
    }
}
