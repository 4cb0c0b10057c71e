#!/usr/bin/env python3
"""Peak memory of upscaler-bridge for one large request, against the bytes it received.

Prints one line per case: frame bytes, the bridge's peak resident memory (VmHWM) above its idle
size, and their ratio. Linux only (reads /proc). Usage:

    scripts/bench/bridge_memory.py [BRIDGE] [--models DIR]

BRIDGE defaults to the Release build in src/Upscaler.Bridge; DIR to tests/TestModels (tiny x2/x4
models, so the engine's own work stays small and the reader's share shows).
Cases: "read" sends a request that the engine refuses at once (a model kind the catalog lacks), so
only reading the frame and answering cost memory; "x2" runs a whole x2 upscale.
"""
import os
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "plugins", "gimp", "ai-upscale"))
import bridge_protocol  # noqa: E402


def rss_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run_case(bridge_path, models, name, width, height, model, scale):
    env = dict(os.environ, UPSCALER_MODELS_DIR=models)
    with bridge_protocol.BridgeProcess(bridge_path, env=env, echo_stderr=False) as bridge:
        bridge.list_models()  # the engine is loaded: what follows is the request's own memory
        pid = bridge.process.pid
        idle = rss_kb(pid, "VmRSS")
        pixels = bytes(bridge_protocol.pixel_bytes(width, height, 3, 8))
        pixels = bytes((i * 7) & 0xFF for i in range(256)) * (len(pixels) // 256)
        start = time.time()
        try:
            result = bridge.upscale(width, height, 3, 8, pixels, scale, model=model, denoise=0.5, device="cpu")
            outcome = "RESULT %dx%d" % (result.width, result.height)
            out_bytes = len(result.pixels)
        except bridge_protocol.BridgeError as e:
            outcome = "ERROR %s" % e
            out_bytes = 0
        seconds = time.time() - start
        peak = rss_kb(pid, "VmHWM")
        received = len(pixels) + 56
        extra = (peak - idle) * 1024
        print("%-5s %dx%d RGB 8-bit: received %.0f MB, answered %.0f MB (%s); peak RSS %.0f MB, idle %.0f MB, "
              "peak - idle = %.2f x received, %.2f x (received + answered); %.1f s"
              % (name, width, height, received / 1e6, out_bytes / 1e6, outcome[:40], peak / 1024 * 1.048576, idle / 1024 * 1.048576,
                 extra / received, extra / (received + out_bytes), seconds))


def main():
    args = sys.argv[1:]
    models = os.path.join(ROOT, "tests", "TestModels")
    if "--models" in args:
        i = args.index("--models")
        models = args[i + 1]
        del args[i:i + 2]
    bridge_path = args[0] if args else os.path.join(ROOT, "src", "Upscaler.Bridge", "bin", "Release", "net10.0", "upscaler-bridge")
    run_case(bridge_path, models, "read", 10000, 10000, "face", 1)
    run_case(bridge_path, models, "x2", 4000, 4000, "general", 2)


if __name__ == "__main__":
    main()
