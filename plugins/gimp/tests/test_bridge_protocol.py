"""Unit tests of the plug-in's frame code (bridge_protocol.py), with plain python3, outside GIMP.

The byte-level tests need nothing else. The round-trip tests talk to a real upscaler-bridge: the one
named by UPSCALER_TEST_BRIDGE, else the Release build in src/Upscaler.Bridge/bin (they are skipped,
and say so, when neither exists), with the tiny models from tests/TestModels.
Run: python3 -m unittest discover -s plugins/gimp/tests -v
"""

import io
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ai-upscale"))
import bridge_protocol as bp  # noqa: E402

TEST_MODELS = os.path.join(REPO, "tests", "TestModels")


def find_bridge():
    configured = os.environ.get("UPSCALER_TEST_BRIDGE")
    if configured:
        return configured
    built = os.path.join(REPO, "src", "Upscaler.Bridge", "bin", "Release", "net10.0", "upscaler-bridge")
    return built if os.path.exists(built) else None


def process_alive(pid):
    """True while pid runs; an exited orphan may linger as a zombie until init reaps it, which counts as gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class EncodingTests(unittest.TestCase):
    def test_upscale_header_follows_the_documented_layout(self):
        head = bp.upscale_header(7, 3, 2, 4, 16, 2.5, "text", 0.25, "gpu", 64)
        self.assertEqual(len(head), 16 + 40)
        magic, version, frame_type, length = struct.unpack_from("<4sHHQ", head)
        self.assertEqual((magic, version, frame_type), (b"UPBR", 1, 0x0001))
        self.assertEqual(length, 40 + 3 * 2 * 4 * 2)
        fields = struct.unpack_from("<IIIBBBBddiI", head, 16)
        self.assertEqual(fields, (7, 3, 2, 4, 16, 2, 2, 2.5, 0.25, 64, 0))

    def test_auto_tile_is_minus_one(self):
        head = bp.upscale_header(1, 1, 1, 3, 8, 2)
        self.assertEqual(struct.unpack_from("<i", head, 16 + 32)[0], -1)

    def test_kinds_travel_as_codes_and_ids_in_the_model_id_block(self):
        anime = bp.upscale_header(1, 1, 1, 3, 8, 2, model="anime")
        self.assertEqual(struct.unpack_from("<B", anime, 16 + 14)[0], 4)
        self.assertEqual(struct.unpack_from("<I", anime, 16 + 36)[0], 0)
        by_id = bp.upscale_header(1, 1, 1, 3, 8, 2, model="realesrgan-x4plus")
        self.assertEqual(struct.unpack_from("<I", by_id, 16 + 36)[0], bp.FLAG_MODEL_ID)
        self.assertEqual(by_id[16 + 40:], struct.pack("<H", 17) + b"realesrgan-x4plus")
        self.assertEqual(struct.unpack_from("<Q", by_id, 8)[0], 40 + 2 + 17 + 3, "the frame length counts the id block")

    def test_auto_denoise_is_minus_one_and_the_jpeg_quality_follows_the_model_id_block(self):
        auto = bp.upscale_header(1, 1, 1, 3, 8, 2)
        self.assertEqual(struct.unpack_from("<d", auto, 16 + 24)[0], -1.0, "auto is the default")
        both = bp.upscale_header(1, 1, 1, 3, 8, 2, model="my-model", jpeg_quality=78)
        self.assertEqual(struct.unpack_from("<I", both, 16 + 36)[0], bp.FLAG_MODEL_ID | bp.FLAG_JPEG_QUALITY)
        self.assertEqual(both[16 + 40:], struct.pack("<H", 8) + b"my-model" + bytes([78]))
        self.assertEqual(struct.unpack_from("<Q", both, 8)[0], 40 + 2 + 8 + 1 + 3)
        quality_only = bp.upscale_header(1, 1, 1, 3, 8, 2, denoise=0.4, jpeg_quality=100)
        self.assertEqual(struct.unpack_from("<d", quality_only, 16 + 24)[0], 0.4)
        self.assertEqual(struct.unpack_from("<I", quality_only, 16 + 36)[0], bp.FLAG_JPEG_QUALITY)
        self.assertEqual(quality_only[16 + 40:], bytes([100]))

    def test_bad_jpeg_quality_is_refused_before_sending(self):
        for quality in (0, 101, 78.0, "78"):
            with self.assertRaisesRegex(ValueError, "JPEG quality"):
                bp.upscale_header(1, 1, 1, 3, 8, 2, jpeg_quality=quality)

    def test_faces_travel_in_the_face_block_after_the_other_blocks(self):
        plain = bp.upscale_header(1, 1, 1, 3, 8, 2)
        self.assertEqual(len(plain), 16 + 40, "without faces there is no face block (the bridge's default: auto)")
        both = bp.upscale_header(1, 1, 1, 3, 8, 2, model="x2", jpeg_quality=80, faces="off", face_strength=0.25)
        self.assertEqual(struct.unpack_from("<I", both, 16 + 36)[0], bp.FLAG_MODEL_ID | bp.FLAG_JPEG_QUALITY | bp.FLAG_FACES)
        self.assertEqual(both[16 + 40 + 4 + 1:], struct.pack("<Bd", 1, 0.25))
        self.assertEqual(struct.unpack_from("<Q", both, 8)[0], 40 + 4 + 1 + 9 + 3)
        with self.assertRaisesRegex(ValueError, "unknown face mode 'on'"):
            bp.upscale_header(1, 1, 1, 3, 8, 2, faces="on")

    def test_bad_model_id_or_device_is_refused_before_sending(self):
        with self.assertRaisesRegex(ValueError, "1 to 64 bytes"):
            bp.upscale_header(1, 1, 1, 3, 8, 2, model="x" * 65)
        with self.assertRaisesRegex(ValueError, "unknown device 'tpu'"):
            bp.upscale_header(1, 1, 1, 3, 8, 2, device="tpu")

    def test_cancel_and_list_models_frames(self):
        self.assertEqual(bp.cancel_frame(9), b"UPBR\x01\x00\x02\x00" + struct.pack("<Q", 4) + struct.pack("<I", 9))
        self.assertEqual(bp.list_models_frame(), b"UPBR\x01\x00\x03\x00" + bytes(8))


def answer(frame_type, payload):
    return bp.frame(frame_type, payload)


def result_payload(request_id, width, height, channels, bits, pixels=None):
    size = bp.pixel_bytes(width, height, channels, bits)
    return bp.RESULT_HEADER.pack(request_id, width, height, channels, bits, 0) + (pixels if pixels is not None else bytes(size))


class DecodingTests(unittest.TestCase):
    def test_answers_round_trip(self):
        stream = io.BytesIO(
            answer(bp.PROGRESS_FRAME, bp.PROGRESS.pack(3, 1, 4))
            + answer(bp.RESULT, result_payload(3, 2, 1, 4, 16, bytes(range(16))))
            + answer(bp.ERROR, bp.ERROR_HEADER.pack(3, 6, 0, 0) + "no face model — sorry".encode())
            + answer(bp.MODELS, b'{"bridge": "0.1.0", "models": []}'))
        self.assertEqual(bp.decode_progress(bp.read_frame(stream).payload), (3, 1, 4))
        result = bp.decode_result(bp.read_frame(stream).payload)
        self.assertEqual((result.width, result.height, result.channels, result.bits, result.pixels), (2, 1, 4, 16, bytes(range(16))))
        request_id, error = bp.decode_error(bp.read_frame(stream).payload)
        self.assertEqual((request_id, error.code, error.fatal, error.message), (3, 6, False, "no face model — sorry"))
        self.assertEqual(bp.decode_models(bp.read_frame(stream).payload)["bridge"], "0.1.0")
        self.assertIsNone(bp.read_frame(stream))

    def test_denoise_answers_decode_and_read_like_the_command_line(self):
        chosen = bp.decode_denoise(bp.read_frame(io.BytesIO(
            answer(bp.DENOISE, bp.DENOISE_ANSWER.pack(4, 1, 78, 0, 0.35, 3.14, 0.21)))).payload)
        self.assertEqual(chosen, bp.Denoise(4, True, 78, 0.35, 3.14, 0.21))
        self.assertEqual(bp.describe_denoise(chosen), "auto → 0.35 (noise 3.1, JPEG q78)")
        from_pixels = bp.Denoise(4, True, None, 0.0, 0.84, 0.031)
        self.assertEqual(bp.describe_denoise(from_pixels), "auto → 0 (noise 0.8, blockiness 0.03)")
        unused = bp.decode_denoise(bp.DENOISE_ANSWER.pack(4, 0, 0, 0, 0.0, 0.0, 0.0))
        self.assertEqual(bp.describe_denoise(unused), "auto: the model has no denoise control")

    def test_bad_denoise_answers_are_protocol_errors(self):
        with self.assertRaisesRegex(bp.ProtocolError, "DENOISE frame of 31 bytes"):
            bp.decode_denoise(bytes(31))
        for used, quality, strength in ((2, 0, 0.5), (1, 101, 0.5), (1, 0, 1.5), (1, 0, float("nan"))):
            with self.assertRaisesRegex(bp.ProtocolError, "DENOISE frame is invalid"):
                bp.decode_denoise(bp.DENOISE_ANSWER.pack(1, used, quality, 0, strength, 0.0, 0.0))

    def assert_protocol_error(self, data, says):
        with self.assertRaisesRegex(bp.ProtocolError, says):
            bp.read_frame(io.BytesIO(data))

    def test_a_bad_magic_is_refused(self):
        self.assert_protocol_error(b"Hello, world! this is text", "not a frame")

    def test_another_version_is_refused(self):
        self.assert_protocol_error(struct.pack("<4sHHQ", b"UPBR", 2, bp.RESULT, 0), "version 2")

    def test_a_request_type_in_an_answer_is_refused(self):
        self.assert_protocol_error(bp.frame(bp.UPSCALE, b""), "unknown frame type 0x0001")

    def test_an_absurd_length_is_refused_before_reading(self):
        self.assert_protocol_error(struct.pack("<4sHHQ", b"UPBR", 1, bp.ERROR, 1 << 40), "over the")

    def test_truncated_header_and_payload_are_refused(self):
        whole = answer(bp.PROGRESS_FRAME, bp.PROGRESS.pack(1, 0, 1))
        self.assert_protocol_error(whole[:10], "ended early")
        self.assert_protocol_error(whole[:-1], "ended early")

    def test_payload_shapes_are_checked(self):
        with self.assertRaisesRegex(bp.ProtocolError, "PROGRESS"):
            bp.decode_progress(b"\x00" * 11)
        with self.assertRaisesRegex(bp.ProtocolError, "pixel bytes"):
            bp.decode_result(result_payload(1, 2, 2, 4, 8, bytes(15)))
        with self.assertRaisesRegex(bp.ProtocolError, "invalid"):
            bp.decode_result(result_payload(1, 0, 2, 4, 8, b""))
        with self.assertRaisesRegex(bp.ProtocolError, "shorter"):
            bp.decode_error(b"\x00" * 7)
        with self.assertRaisesRegex(bp.ProtocolError, "JSON"):
            bp.decode_models(b"{not json")

    def test_random_garbage_only_ever_raises_protocol_error(self):
        import random
        rng = random.Random(5)
        seed = answer(bp.RESULT, result_payload(1, 2, 2, 3, 8))
        for _ in range(2000):
            data = bytearray(seed)
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            data = bytes(data[:rng.randint(0, len(data))])
            try:
                got = bp.read_frame(io.BytesIO(data))
                if got is not None and got.type == bp.RESULT:
                    bp.decode_result(got.payload)
            except bp.ProtocolError:
                pass


class FakeBridgeTests(unittest.TestCase):
    """Misbehaving bridges (small Python scripts) must give clear errors, not hangs or tracebacks."""

    def fake(self, body):
        handle = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)
        handle.write("#!%s\nimport sys\n%s\n" % (sys.executable, body))
        handle.close()
        os.chmod(handle.name, 0o755)
        self.addCleanup(os.unlink, handle.name)
        return handle.name

    def test_a_missing_bridge_says_so(self):
        with self.assertRaisesRegex(bp.BridgeMissingError, "bridge is missing: /no/such/upscaler-bridge"):
            bp.BridgeProcess("/no/such/upscaler-bridge")

    def test_a_bridge_that_is_not_executable_says_so(self):
        path = self.fake("")
        os.chmod(path, 0o644)
        with self.assertRaisesRegex(bp.BridgeMissingError, "not executable"):
            bp.BridgeProcess(path)

    def test_a_bridge_that_dies_is_reported_with_its_last_words(self):
        path = self.fake("sys.stdin.buffer.read(16)\nprint('upscaler-bridge: error: out of cheese', file=sys.stderr)\nsys.exit(3)")
        with bp.BridgeProcess(path, echo_stderr=False) as bridge:
            with self.assertRaisesRegex(bp.ProtocolError, r"exited unexpectedly \(exit code 3\): upscaler-bridge: error: out of cheese"):
                bridge.upscale(1, 1, 3, 8, bytes(3), 2)

    def test_a_bridge_that_prints_text_is_a_protocol_error(self):
        path = self.fake("print('hello there, I am not a bridge')\nsys.stdout.flush()\nsys.stdin.buffer.read()")
        with bp.BridgeProcess(path, echo_stderr=False) as bridge:
            with self.assertRaisesRegex(bp.ProtocolError, "not a frame"):
                bridge.list_models()


@unittest.skipIf(find_bridge() is None, "no upscaler-bridge built (dotnet build src/Upscaler.Bridge -c Release) and UPSCALER_TEST_BRIDGE unset")
class RealBridgeTests(unittest.TestCase):
    def start(self, models=TEST_MODELS):
        env = dict(os.environ, UPSCALER_MODELS_DIR=models)
        bridge = bp.BridgeProcess(find_bridge(), env=env, echo_stderr=False)
        self.addCleanup(bridge.close)
        return bridge

    def test_list_models(self):
        listing = self.start().list_models()
        self.assertEqual(listing["protocol"], 1)
        self.assertEqual(sorted((m["kind"], m["scale"], m["denoise"], m["origin"]) for m in listing["models"]),
                         [("general", 2, True, "shipped"), ("general", 4, True, "shipped")])

    def test_a_model_id_selects_that_model_and_an_unknown_one_is_named(self):
        bridge = self.start(os.path.join(TEST_MODELS, "foreign"))
        models = {m["id"]: m for m in bridge.list_models()["models"]}
        self.assertFalse(models["bgr255-x2"]["denoise"])
        pixels = bytes([200, 100, 40] * 4)
        result = bridge.upscale(2, 2, 3, 8, pixels, 2, model="bgr255-x2")
        # The model halves blue and quarters red, in its BGR order: R 200 -> 50, G stays, B 40 -> 20.
        self.assertEqual(result.pixels[:3], bytes([50, 100, 20]))
        with self.assertRaises(bp.BridgeError) as caught:
            bridge.upscale(2, 2, 3, 8, pixels, 2, model="no-such-model")
        self.assertEqual(caught.exception.code, 6)
        self.assertIn("no-such-model", caught.exception.message)

    def test_auto_denoise_reports_its_choice_first_and_upscales_with_it(self):
        bridge = self.start()
        # A smooth ramp with strong seeded noise: auto asks for a clear, non-zero strength.
        import random
        rng = random.Random(4)
        width, height = 48, 32
        pixels = bytes(max(0, min(255, (x * 5 + y * 3) % 200 + 20 + int(rng.gauss(0, 18))))
                       for y in range(height) for x in range(width) for _ in range(3))
        events = []
        auto = bridge.upscale(width, height, 3, 8, pixels, 2, jpeg_quality=70,
                              on_denoise=lambda chosen: events.append(chosen),
                              on_progress=lambda done, total: events.append((done, total)))
        chosen = events[0]
        self.assertIsInstance(chosen, bp.Denoise, "DENOISE comes before any progress: %s" % events)
        self.assertEqual(sum(isinstance(e, bp.Denoise) for e in events), 1)
        self.assertEqual((chosen.request_id, chosen.used, chosen.jpeg_quality), (1, True, 70))
        self.assertGreater(chosen.strength, 0.2)
        self.assertGreater(chosen.noise, 5)
        fixed = bridge.upscale(width, height, 3, 8, pixels, 2, denoise=chosen.strength,
                               on_denoise=lambda c: self.fail("a fixed strength gets no DENOISE frame"))
        self.assertEqual(auto.pixels, fixed.pixels, "auto ran with the strength it reported")
        zero = bridge.upscale(width, height, 3, 8, pixels, 2, denoise=0)
        self.assertNotEqual(auto.pixels, zero.pixels)

    def test_auto_denoise_for_a_model_without_a_denoise_control_measures_nothing(self):
        bridge = self.start(os.path.join(TEST_MODELS, "foreign"))
        seen = []
        bridge.upscale(2, 2, 3, 8, bytes(12), 2, model="bgr255-x2", on_denoise=seen.append)
        self.assertEqual(seen, [bp.Denoise(1, False, None, 0.0, 0.0, 0.0)])

    def test_the_bridge_takes_the_face_block(self):
        bridge = self.start()
        pixels = bytes((i * 5) % 256 for i in range(bp.pixel_bytes(6, 4, 3, 8)))
        plain = bridge.upscale(6, 4, 3, 8, pixels, 2, "general", 0.2, "cpu")
        off = bridge.upscale(6, 4, 3, 8, pixels, 2, "general", 0.2, "cpu", faces="off", face_strength=0.5)
        self.assertEqual(off.pixels, plain.pixels, "no faces in the picture: the same pixels either way")
        chosen = []
        every_block = bridge.upscale(6, 4, 3, 8, pixels, 2, "test-x2", "auto", "cpu", jpeg_quality=80,
                                     on_denoise=chosen.append, faces="off", face_strength=0.5)
        self.assertEqual((every_block.width, every_block.height), (12, 8), "model id, JPEG quality and face blocks in one frame")
        self.assertEqual([(c.used, c.jpeg_quality) for c in chosen], [(True, 80)])
        with self.assertRaises(bp.BridgeError) as caught:
            bridge.upscale(6, 4, 3, 8, pixels, 2, faces="auto", face_strength=1.5)
        self.assertIn("face strength 1.5", caught.exception.message)

    def test_round_trips_in_one_process_with_progress(self):
        bridge = self.start()
        for width, height, channels, bits, scale in [(7, 5, 4, 8, 2), (6, 3, 3, 16, 4), (4, 4, 1, 8, 1.5)]:
            seen = []
            pixels = bytes((i * 7) % 256 for i in range(bp.pixel_bytes(width, height, channels, bits)))
            result = bridge.upscale(width, height, channels, bits, pixels, scale, "general", 0.4, "cpu",
                                    on_progress=lambda done, total: seen.append((done, total)))
            expected = (max(1, int(width * scale + 0.5)), max(1, int(height * scale + 0.5)))
            self.assertEqual((result.width, result.height, result.channels, result.bits), expected + (channels, bits))
            self.assertEqual(len(result.pixels), bp.pixel_bytes(expected[0], expected[1], channels, bits))
            self.assertTrue(seen and seen[-1][0] == seen[-1][1], "progress reached the end: %s" % seen)
        self.assertEqual(bridge.close(), 0)

    def test_errors_are_bridge_errors_and_the_process_keeps_serving(self):
        bridge = self.start()
        with self.assertRaises(bp.BridgeError) as caught:
            bridge.upscale(2, 2, 3, 8, bytes(12), 2, model="face")
        self.assertEqual(caught.exception.code, 6)
        self.assertIn("no face model is installed", caught.exception.message)
        with self.assertRaisesRegex(bp.BridgeError, "scale 9 is out of range"):
            bridge.upscale(2, 2, 3, 8, bytes(12), 9)
        self.assertEqual(bridge.upscale(2, 2, 3, 8, bytes(12), 2).width, 4)

    def test_a_wrong_pixel_count_on_the_wire_is_answered_and_the_stream_stays_usable(self):
        bridge = self.start()
        bridge._send(bp.upscale_header(50, 2, 2, 3, 8, 2, pixel_count=5), bytes(5))
        frame = bp.read_frame(bridge.process.stdout)
        request_id, error = bp.decode_error(frame.payload)
        self.assertEqual((request_id, error.code, error.fatal), (50, 3, False))
        self.assertIn("pixel data holds 5 bytes", error.message)
        self.assertEqual(bridge.upscale(2, 2, 3, 8, bytes(12), 2).width, 4)

    def test_returning_false_from_progress_cancels(self):
        bridge = self.start(os.path.join(TEST_MODELS, "slow"))
        width = height = 900
        started = time.monotonic()
        with self.assertRaises(bp.BridgeError) as caught:
            bridge.upscale(width, height, 3, 8, bytes(width * height * 3), 2, tile=0, on_progress=lambda d, t: False)
        self.assertTrue(caught.exception.cancelled)
        self.assertLess(time.monotonic() - started, 10)

    def test_a_killed_client_makes_the_bridge_stop(self):
        # GIMP's Cancel kills the plug-in process. The bridge must notice (its stdin closes) and exit.
        client = subprocess.Popen([sys.executable, "-c", """
import os, sys, time
sys.path.insert(0, %r)
import bridge_protocol as bp
bridge = bp.BridgeProcess(%r, env=dict(os.environ, UPSCALER_MODELS_DIR=%r), echo_stderr=False)
print(bridge.process.pid, flush=True)
bridge.upscale(900, 900, 3, 8, bytes(900 * 900 * 3), 2, tile=0, on_progress=lambda d, t: print('progress', flush=True))
""" % (os.path.join(os.path.dirname(HERE), "ai-upscale"), find_bridge(), os.path.join(TEST_MODELS, "slow"))],
            stdout=subprocess.PIPE, text=True)
        bridge_pid = int(client.stdout.readline())
        self.assertEqual(client.stdout.readline().strip(), "progress")
        client.send_signal(signal.SIGKILL)
        client.wait()
        started = time.monotonic()
        while time.monotonic() - started < 10 and process_alive(bridge_pid):
            time.sleep(0.05)
        if process_alive(bridge_pid):
            os.kill(bridge_pid, signal.SIGKILL)
            self.fail("the bridge was still running 10 s after its client was killed")
        client.stdout.close()


if __name__ == "__main__":
    unittest.main()
