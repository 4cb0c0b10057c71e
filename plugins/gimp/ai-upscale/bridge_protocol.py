"""Client side of the upscaler-bridge protocol, version 1 (docs/bridge-protocol.md).

Pure Python (standard library only) so it runs inside GIMP's Python and in plain unit tests alike.
It encodes requests, decodes answers with the same limits the bridge applies, and drives one bridge
process through a request: send, follow progress, cancel on demand, return pixels or raise.
"""

import collections
import json
import os
import struct
import subprocess
import sys
import threading

MAGIC = b"UPBR"
VERSION = 1

# Frame header: magic, version (u16), type (u16), payload length (u64), all little-endian.
FRAME_HEADER = struct.Struct("<4sHHQ")
# UPSCALE payload header: id, width, height, channels, bits, model, device, scale, denoise, tile, flags.
REQUEST_HEADER = struct.Struct("<IIIBBBBddiI")
# RESULT payload header: id, width, height, channels, bits, reserved (u16).
RESULT_HEADER = struct.Struct("<IIIBBH")
PROGRESS = struct.Struct("<III")
ERROR_HEADER = struct.Struct("<IHBB")
# DENOISE payload: id, used (u8), JPEG quality (u8, 0 none), reserved (u16), strength, noise, blockiness (f64).
DENOISE_ANSWER = struct.Struct("<IBBHddd")

UPSCALE, CANCEL, LIST_MODELS = 0x0001, 0x0002, 0x0003
PROGRESS_FRAME, RESULT, ERROR, MODELS, DENOISE = 0x0101, 0x0102, 0x0103, 0x0104, 0x0105
ANSWER_TYPES = (PROGRESS_FRAME, RESULT, ERROR, MODELS, DENOISE)

MODELS_BY_NAME = {"general": 0, "face": 1, "text": 2, "sharp": 3, "anime": 4}
# UPSCALE flag: a model id block (u16 length, UTF-8 id) follows the request header, before the pixels.
FLAG_MODEL_ID = 0x1
FLAG_FACES = 0x4
FACE_BLOCK = struct.Struct("<Bd")   # mode (0 auto, 1 off), face strength 0..1
FACE_MODES = {"auto": 0, "off": 1}
MODEL_ID_LENGTH = struct.Struct("<H")
MAX_MODEL_ID_BYTES = 64
# UPSCALE flag: one byte, the quality (1..100) of the JPEG file the pixels came from, follows (after the id block).
FLAG_JPEG_QUALITY = 0x2
# The denoise value that asks the bridge to measure the image and choose (it answers with a DENOISE frame).
DENOISE_AUTO = -1.0
DEVICES_BY_NAME = {"auto": 0, "cpu": 1, "gpu": 2}
TILE_AUTO = -1

# Limits, the same as the bridge's: an answer over them means the stream is corrupt.
MAX_SIDE = 65535
MAX_PIXEL_BYTES = 2147483591
MAX_SMALL_PAYLOAD = 1 << 20

ERROR_NAMES = {
    1: "malformed frame", 2: "unsupported protocol version", 3: "bad request", 4: "too large",
    5: "invalid options", 6: "model unavailable", 7: "device unavailable", 8: "cancelled", 9: "internal error",
}
CANCELLED = 8


class ProtocolError(Exception):
    """The bridge's output is not a valid frame stream (or it ended early)."""


class BridgeError(Exception):
    """The bridge answered a request with an ERROR frame."""

    def __init__(self, code, message, fatal=False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fatal = fatal

    @property
    def cancelled(self):
        return self.code == CANCELLED


class BridgeMissingError(Exception):
    """The bridge executable could not be found or started."""


Frame = collections.namedtuple("Frame", "type payload")
Progress = collections.namedtuple("Progress", "request_id done total")
Result = collections.namedtuple("Result", "request_id width height channels bits pixels")
Denoise = collections.namedtuple("Denoise", "request_id used jpeg_quality strength noise blockiness")


def frame(frame_type, payload=b""):
    """One whole frame: header plus payload."""
    return FRAME_HEADER.pack(MAGIC, VERSION, frame_type, len(payload)) + payload


def pixel_bytes(width, height, channels, bits):
    return width * height * channels * (bits // 8)


def upscale_header(request_id, width, height, channels, bits, scale, model="general",
                   denoise="auto", device="auto", tile=TILE_AUTO, pixel_count=None, jpeg_quality=None,
                   faces=None, face_strength=1.0):
    """Frame header plus UPSCALE request header and its blocks; the caller sends the pixels right after it.

    model is a kind (general, face, text, sharp, anime) or a model id from list_models(); an id
    travels in the model id block. denoise is "auto" (the bridge measures the image and answers with a
    DENOISE frame) or a strength from 0 to 1; jpeg_quality (1..100), the quality of the JPEG file the
    pixels came from, is auto's hint. Kept apart from the pixels so a large image is written to the pipe
    as it is, never copied. pixel_count overrides the payload size (only tests want a wrong one).
    faces ("auto" or "off") and face_strength travel in the face block, last; without faces the bridge
    restores faces automatically at strength 1."""
    if device not in DEVICES_BY_NAME:
        raise ValueError("unknown device %r: use one of %s" % (device, ", ".join(DEVICES_BY_NAME)))
    flags, blocks = 0, b""
    if model not in MODELS_BY_NAME:
        model_id = model.encode("utf-8")
        if not 1 <= len(model_id) <= MAX_MODEL_ID_BYTES:
            raise ValueError("model id %r is not 1 to %d bytes" % (model, MAX_MODEL_ID_BYTES))
        flags |= FLAG_MODEL_ID
        blocks += MODEL_ID_LENGTH.pack(len(model_id)) + model_id
    if jpeg_quality is not None:
        if not (isinstance(jpeg_quality, int) and 1 <= jpeg_quality <= 100):
            raise ValueError("JPEG quality %r is not 1 to 100" % (jpeg_quality,))
        flags |= FLAG_JPEG_QUALITY
        blocks += bytes([jpeg_quality])
    strength = DENOISE_AUTO if denoise == "auto" else float(denoise)
    if faces is not None:
        if faces not in FACE_MODES:
            raise ValueError("unknown face mode %r: use auto or off" % (faces,))
        flags |= FLAG_FACES
        blocks += FACE_BLOCK.pack(FACE_MODES[faces], float(face_strength))
    size = pixel_bytes(width, height, channels, bits) if pixel_count is None else pixel_count
    body = REQUEST_HEADER.pack(request_id, width, height, channels, bits, MODELS_BY_NAME.get(model, 0),
                               DEVICES_BY_NAME[device], float(scale), strength, int(tile), flags) + blocks
    return FRAME_HEADER.pack(MAGIC, VERSION, UPSCALE, len(body) + size) + body


def cancel_frame(request_id):
    return frame(CANCEL, struct.pack("<I", request_id))


def list_models_frame():
    return frame(LIST_MODELS)


def _read_exactly(stream, count, what):
    chunks = []
    left = count
    while left > 0:
        chunk = stream.read(min(left, 1 << 24))
        if not chunk:
            raise ProtocolError("the bridge's answer ended early: %d of %d %s bytes" % (count - left, count, what))
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(stream):
    """The next answer frame from a binary stream, or None at a clean end of stream."""
    head = stream.read(FRAME_HEADER.size)
    if not head:
        return None
    if len(head) < FRAME_HEADER.size:
        head += _read_exactly(stream, FRAME_HEADER.size - len(head), "frame header")
    magic, version, frame_type, length = FRAME_HEADER.unpack(head)
    if magic != MAGIC:
        raise ProtocolError("the bridge sent something that is not a frame (magic %r)" % magic)
    if version != VERSION:
        raise ProtocolError("the bridge speaks protocol version %d, this plug-in version %d" % (version, VERSION))
    if frame_type not in ANSWER_TYPES:
        raise ProtocolError("the bridge sent an unknown frame type 0x%04x" % frame_type)
    limit = RESULT_HEADER.size + MAX_PIXEL_BYTES if frame_type == RESULT else MAX_SMALL_PAYLOAD
    if length > limit:
        raise ProtocolError("the bridge sent a %d-byte frame, over the %d-byte limit" % (length, limit))
    return Frame(frame_type, _read_exactly(stream, length, "payload"))


def decode_progress(payload):
    if len(payload) != PROGRESS.size:
        raise ProtocolError("PROGRESS frame of %d bytes, expected %d" % (len(payload), PROGRESS.size))
    return Progress(*PROGRESS.unpack(payload))


def decode_result(payload):
    if len(payload) < RESULT_HEADER.size:
        raise ProtocolError("RESULT frame of %d bytes is shorter than its header" % len(payload))
    request_id, width, height, channels, bits, _ = RESULT_HEADER.unpack_from(payload)
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE and 1 <= channels <= 4 and bits in (8, 16)):
        raise ProtocolError("RESULT header is invalid: %dx%d, %d channels, %d bits" % (width, height, channels, bits))
    pixels = payload[RESULT_HEADER.size:]
    expected = pixel_bytes(width, height, channels, bits)
    if len(pixels) != expected:
        raise ProtocolError("RESULT holds %d pixel bytes, a %dx%d %d-channel %d-bit image needs %d"
                            % (len(pixels), width, height, channels, bits, expected))
    return Result(request_id, width, height, channels, bits, pixels)


def decode_error(payload):
    """An ERROR frame as (request_id, BridgeError)."""
    if len(payload) < ERROR_HEADER.size:
        raise ProtocolError("ERROR frame of %d bytes is shorter than its header" % len(payload))
    request_id, code, fatal, _ = ERROR_HEADER.unpack_from(payload)
    message = payload[ERROR_HEADER.size:].decode("utf-8", errors="replace")
    return request_id, BridgeError(code, message, bool(fatal))


def decode_denoise(payload):
    if len(payload) != DENOISE_ANSWER.size:
        raise ProtocolError("DENOISE frame of %d bytes, expected %d" % (len(payload), DENOISE_ANSWER.size))
    request_id, used, quality, _, strength, noise, blockiness = DENOISE_ANSWER.unpack(payload)
    if used not in (0, 1) or quality > 100 or not 0.0 <= strength <= 1.0:
        raise ProtocolError("DENOISE frame is invalid: used %d, JPEG quality %d, strength %r" % (used, quality, strength))
    return Denoise(request_id, bool(used), quality or None, strength, noise, blockiness)


def describe_denoise(denoise):
    """What automatic denoise chose, in the words the command line uses: "auto → 0.35 (noise 3.1, JPEG q78)"."""
    if not denoise.used:
        return "auto: the model has no denoise control"
    compression = "JPEG q%d" % denoise.jpeg_quality if denoise.jpeg_quality else "blockiness %.2f" % denoise.blockiness
    return "auto → %s (noise %.1f, %s)" % (("%.2f" % denoise.strength).rstrip("0").rstrip("."), denoise.noise, compression)


def decode_models(payload):
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ProtocolError("MODELS frame is not valid JSON: %s" % e)


class StderrTail(threading.Thread):
    """Keeps the last lines the bridge logged (for error messages) and passes them on to our stderr."""

    def __init__(self, stream, echo=True):
        super().__init__(daemon=True)
        self.stream = stream
        self.echo = echo
        self.lines = collections.deque(maxlen=20)

    def run(self):
        for raw in iter(self.stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip()
            self.lines.append(line)
            if self.echo:
                print(line, file=sys.stderr, flush=True)

    def last(self):
        return self.lines[-1] if self.lines else ""


class BridgeProcess:
    """One running upscaler-bridge: requests go in on its stdin, answers come back on its stdout."""

    def __init__(self, executable, env=None, echo_stderr=True):
        if not os.path.isfile(executable):
            raise BridgeMissingError("the upscaler bridge is missing: %s does not exist "
                                     "(reinstall the plug-in or set UPSCALER_BRIDGE)" % executable)
        if not os.access(executable, os.X_OK):
            raise BridgeMissingError("the upscaler bridge %s is not executable (chmod +x it)" % executable)
        try:
            # CREATE_NO_WINDOW: on Windows a console bridge would otherwise flash a console window.
            self.process = subprocess.Popen([executable], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, env=env, bufsize=0,
                                            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        except OSError as e:
            raise BridgeMissingError("cannot start the upscaler bridge %s: %s" % (executable, e))
        self.stderr = StderrTail(self.process.stderr, echo_stderr)
        self.stderr.start()
        self.next_id = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self, timeout=10):
        """Ends input (the bridge then exits cleanly) and waits for it; kills it if it lingers."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stderr.join(2)
        self.process.stdout.close()
        if not self.stderr.is_alive():
            self.process.stderr.close()
        return self.process.returncode

    def _send(self, *parts):
        try:
            for part in parts:
                self.process.stdin.write(part)
            self.process.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False  # it exited; its last frame (an ERROR) or its exit says why

    def _next_frame(self):
        answer = read_frame(self.process.stdout)
        if answer is None:
            code = self.process.wait()
            self.stderr.join(2)
            detail = self.stderr.last()
            raise ProtocolError("the upscaler bridge exited unexpectedly (exit code %s)%s"
                                % (code, ": " + detail if detail else ""))
        return answer

    def list_models(self):
        """The bridge's model list: {'bridge': version, 'protocol': 1, 'models': [{'id', 'kind', 'scale', ...}]}."""
        self._send(list_models_frame())
        while True:
            answer = self._next_frame()
            if answer.type == MODELS:
                return decode_models(answer.payload)
            if answer.type == ERROR:
                raise decode_error(answer.payload)[1]

    def upscale(self, width, height, channels, bits, pixels, scale, model="general", denoise="auto",
                device="auto", tile=TILE_AUTO, on_progress=None, jpeg_quality=None, on_denoise=None,
                faces=None, face_strength=1.0):
        """Upscales raw interleaved pixels; returns a Result or raises BridgeError / ProtocolError.

        on_progress(done, total) is called for every PROGRESS frame; when it returns False the request
        is cancelled (once) and the call ends with a BridgeError whose .cancelled is true. With denoise
        "auto", on_denoise(Denoise) is called with what the bridge chose, before any progress."""
        if len(pixels) != pixel_bytes(width, height, channels, bits):
            raise ValueError("%d pixel bytes given for a %dx%d %d-channel %d-bit image"
                             % (len(pixels), width, height, channels, bits))
        request_id = self.next_id
        self.next_id += 1
        header = upscale_header(request_id, width, height, channels, bits, scale, model, denoise, device, tile,
                                jpeg_quality=jpeg_quality, faces=faces, face_strength=face_strength)
        self._send(header, pixels)
        cancel_sent = False
        while True:
            answer = self._next_frame()
            if answer.type == PROGRESS_FRAME:
                progress = decode_progress(answer.payload)
                if progress.request_id == request_id and on_progress is not None and not cancel_sent:
                    if on_progress(progress.done, progress.total) is False:
                        cancel_sent = True
                        self._send(cancel_frame(request_id))
            elif answer.type == DENOISE:
                chosen = decode_denoise(answer.payload)
                if chosen.request_id == request_id and on_denoise is not None:
                    on_denoise(chosen)
            elif answer.type == RESULT:
                result = decode_result(answer.payload)
                if result.request_id != request_id:
                    raise ProtocolError("the bridge answered request %d, not %d" % (result.request_id, request_id))
                return result
            elif answer.type == ERROR:
                answered_id, error = decode_error(answer.payload)
                if answered_id in (request_id, 0):
                    raise error
            # MODELS frames and answers to other requests are not ours: skip them.
