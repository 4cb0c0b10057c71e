#!/usr/bin/env python3
"""End-to-end test of the GIMP plug-in in a real GIMP 3 (run by run-gimp-e2e.sh, which prepares
the GIMP root, the published bridge and the command line).

It installs the plug-in with its bridge into a clean GIMP profile inside the root, makes test PNGs
(RGBA 8-bit, RGB 16-bit, RGBA 16-bit) and a JPEG, registers a model of the user's own (the command
line's "models add", into a per-user models folder GIMP's bridge sees too), and has GIMP call
python-fu-ai-upscale at x2 and x4 for every model kind, by model id, for the user's model, and with
automatic denoise. Kinds the bridge reports as installed must succeed with the canvas, layers and
pixels right (pixels equal to the command line's output for the same settings, automatic denoise
included, which takes the JPEG's quality from GIMP's jpeg-settings parasite); kinds not installed must
fail with a clear GIMP error. A run without a bridge checks that message too, and the dialog is opened
and accepted on a virtual display: with the last values, and with automatic denoise, whose choice
the plug-in then reports.
Prints one line per check and ends with "gimp e2e: N passed, N failed".
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(repo, "plugins", "gimp", "ai-upscale"))
import bridge_protocol  # noqa: E402
import png_pixels  # noqa: E402

KINDS = ("general", "face", "text")
SCALES = (2.0, 4.0)
IN_ROOT = "/tmp/upscaler-e2e"  # the work folder, as GIMP sees it inside the root
USER_MODEL = "e2e-gain"  # registered by the command line into the per-user folder below
USER_MODELS_IN_ROOT = IN_ROOT + "/user-models"
AUTO = -1.0  # the PDB argument's automatic denoise


def output_size(width, height, scale):
    return max(1, int(width * scale + 0.5)), max(1, int(height * scale + 0.5))


class Checks:
    def __init__(self):
        self.passed, self.failed = 0, 0

    def check(self, name, problems):
        if problems:
            self.failed += 1
            print("FAIL - %s: %s" % (name, "; ".join(problems)), flush=True)
        else:
            self.passed += 1
            print("ok - %s" % name, flush=True)


def make_inputs(folder):
    """Three small pictures with edges, gradients and (for RGBA) transparent and half-transparent parts."""
    images = {}

    def rgba(x, y, top):
        return [(x * 37 + y * 11) % (top + 1), (x * y * 5) % (top + 1), (top * x) // 30,
                0 if x < 3 else (top if y % 4 else top // 2)]

    specs = [("rgba8", 23, 17, 4, 8), ("rgb16", 19, 15, 3, 16), ("rgba16", 21, 13, 4, 16)]
    for name, w, h, channels, bits in specs:
        top = (1 << bits) - 1
        samples = []
        for y in range(h):
            for x in range(w):
                samples.extend(rgba(x, y, top)[:channels])
        path = os.path.join(folder, name + ".png")
        png_pixels.write(path, w, h, channels, bits, samples)
        images[name] = (path, w, h, channels, bits)
    return images


def installed_kinds(bridge, env):
    with bridge_protocol.BridgeProcess(bridge, env=env, echo_stderr=False) as process:
        answer = process.list_models()
    return sorted({m["kind"] for m in answer["models"]}), answer


def cli_env(work):
    """The command line sees the same per-user models folder as GIMP's bridge (never the real user's)."""
    return dict(os.environ, UPSCALER_USER_MODELS_DIR=os.path.join(work, "user-models"))


def register_user_model(cli, work):
    """A model of the user's own: the tests' channel-gain network (BGR, 0..255, no denoise input)."""
    onnx = os.path.join(repo, "tests", "TestModels", "foreign", "gain-x2.onnx")
    run = subprocess.run([cli, "models", "add", onnx, "--id", USER_MODEL, "--kind", "anime", "--order", "bgr",
                          "--range", "0-255", "--name", "channel gains (e2e test model)"],
                         capture_output=True, text=True, env=cli_env(work))
    return [] if run.returncode == 0 else ["upscaler models add failed (exit %d): %s" % (run.returncode, run.stderr.strip())]


def make_jpeg(cli, work, source):
    """A JPEG of quality 40 (libvips, through the command line at x1), for automatic denoise."""
    path = os.path.join(work, "photo.jpg")
    run = subprocess.run([cli, source, "-o", path, "--scale", "1", "--quality", "40", "--denoise", "0", "--overwrite"],
                         capture_output=True, text=True, env=cli_env(work))
    if run.returncode != 0:
        raise RuntimeError("the command line could not write the JPEG input: %s" % run.stderr.strip())
    return path


def install_plugin(profile, bridge_dir):
    target = os.path.join(profile, "plug-ins", "ai-upscale")
    shutil.copytree(os.path.join(repo, "plugins", "gimp", "ai-upscale"), target,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(bridge_dir, os.path.join(target, "bridge"), symlinks=True)
    os.chmod(os.path.join(target, "ai-upscale.py"), 0o755)


def run_gimp(root, work, plan_name, extra_env):
    """One gimp-console batch run over a plan file; returns (results, seconds)."""
    env = ["HOME=%s" % IN_ROOT, "GIMP3_DIRECTORY=%s/profile" % IN_ROOT,
           "UPSCALER_E2E_PLAN=%s/%s" % (IN_ROOT, plan_name), "UPSCALER_USER_MODELS_DIR=%s" % USER_MODELS_IN_ROOT] + extra_env
    command = [os.path.join(here, "chroot-run.sh"), root, "/usr/bin/timeout", "600", "/usr/bin/env"] + env + [
        "gimp-console-3.0", "-i", "--batch-interpreter=python-fu-eval",
        "-b", 'exec(open("%s/e2e_batch.py").read())' % IN_ROOT, "--quit"]
    started = time.monotonic()
    log_path = os.path.join(work, plan_name + ".log")
    with open(log_path, "w") as log:
        code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - started
    results_path = os.path.join(work, plan_name.replace(".json", ".results.json"))
    if not os.path.exists(results_path):
        with open(log_path) as log:
            tail = log.read()[-3000:]
        raise RuntimeError("GIMP wrote no results (exit code %d); log %s ends:\n%s" % (code, log_path, tail))
    with open(results_path) as f:
        return {r["name"]: r for r in json.load(f)}, seconds


def write_plan(work, plan_name, cases, registration=False):
    with open(os.path.join(work, plan_name), "w") as f:
        json.dump({"results": "%s/%s" % (IN_ROOT, plan_name.replace(".json", ".results.json")), "cases": cases,
                   "registration": registration}, f, indent=1)


def check_registration(record):
    if record.get("status") != "found":
        return ["python-fu-ai-upscale is not registered: %s" % record]
    problems = []
    if "<Image>/Filters/Enhance" not in [p.rstrip("/") for p in record["menu_paths"]]:
        problems.append("menu paths %s lack <Image>/Filters/Enhance" % record["menu_paths"])
    if record["menu_label"].replace("_", "") != "AI Upscale...":
        problems.append("menu label %r" % record["menu_label"])
    args = record["arguments"]
    expected = {"scale": (1.0, 8.0, 2.0), "denoise": (-1.0, 1.0, AUTO), "face-strength": (0.0, 1.0, 1.0)}
    for name, (low, high, default) in expected.items():
        got = args.get(name, {})
        if (got.get("minimum"), got.get("maximum"), got.get("default")) != (low, high, default):
            problems.append("argument %s: %s, expected a double from %g to %g, default %g" % (name, got, low, high, default))
    if args.get("model", {}).get("type") != "gchararray" or args["model"].get("default") != "general":
        problems.append("argument model: %s, expected a string (a kind or a model id), default general" % args.get("model"))
    if args.get("faces", {}).get("type") != "gboolean" or args["faces"].get("default") is not True:
        problems.append("argument faces: %s, expected a boolean, default on" % args.get("faces"))
    if args.get("device", {}).get("choices") != ["auto", "cpu", "gpu"]:
        problems.append("argument device: %s, expected choices auto, cpu, gpu" % args.get("device"))
    return problems


def check_success(case, record, image, cli, work):
    problems = []
    if record.get("status") != "success":
        return ["expected success, got %s: %s" % (record.get("status"), record.get("message"))]
    _, w, h, channels, bits = image
    scale = case["scale"]
    before, after = record["before"], record["after"]
    pad = (4, 2, 1) if case.get("pad") else (0, 0, 0)
    expected = list(output_size(w, h, scale))
    canvas = list(output_size(w + pad[0], h + pad[1], scale))
    offset = int(pad[2] * scale + 0.5)
    if after["canvas"] != canvas:
        problems.append("canvas %s, expected %s" % (after["canvas"], canvas))
    if after["layer"] != expected or after["layer_offsets"] != [offset, offset]:
        problems.append("upscaled layer %s at %s, expected %s at %s" % (after["layer"], after["layer_offsets"], expected, [offset] * 2))
    # GIMP places the other layer by its own rounding: allow a pixel either way at fractional scales.
    slack = 0 if scale == int(scale) else 1
    other = list(output_size(10, 6, scale)) + [int(3 * scale + 0.5), int(2 * scale + 0.5)]
    if any(abs(a - b) > slack for a, b in zip(after["other"] + after["other_offsets"], other)):
        problems.append("other layer %s at %s was not scaled with the canvas (expected %s)" % (after["other"], after["other_offsets"], other))
    if after["precision"] != before["precision"]:
        problems.append("precision changed from %s to %s" % (before["precision"], after["precision"]))
    if after["alpha"] != (channels in (2, 4)):
        problems.append("alpha channel %s" % ("added" if after["alpha"] else "lost"))

    cli_out = os.path.join(work, case["name"] + ".cli.png")
    denoise = case.get("cli_denoise") or ("auto" if case["denoise"] < 0 else "%g" % case["denoise"])
    run = subprocess.run([cli, case.get("decoded_host", case["input_host"]), "-o", cli_out, "--scale", "%g" % scale, "--model", case["model"],
                          "--denoise", denoise, "--overwrite"], capture_output=True, text=True, env=cli_env(work))
    if run.returncode != 0:
        return problems + ["the command line failed (exit %d): %s" % (run.returncode, run.stderr.strip()[-500:])]
    for expected_text in case.get("cli_says", []):
        if expected_text not in run.stdout + run.stderr:
            problems.append("the command line did not say %r: %s" % (expected_text, (run.stdout + run.stderr).strip()[-300:]))
    try:
        gimp_png, cli_png = png_pixels.read(case["output_host"]), png_pixels.read(cli_out)
    except (OSError, ValueError) as e:
        return problems + ["cannot read the outputs: %s" % e]
    if gimp_png.bits != bits:
        problems.append("GIMP exported %d-bit, expected %d-bit" % (gimp_png.bits, bits))
    try:
        count, worst = png_pixels.differences(gimp_png, cli_png)
        if count:
            problems.append("%d pixels differ from the command line's output (by up to %d)" % (count, worst))
    except ValueError as e:
        problems.append(str(e))
    return problems


def run_dialog(root, work, image, last_values):
    """Opens the plug-in's dialog (run mode INTERACTIVE) on IMAGE with GIMP's saved last values, and
    accepts it as a user pressing Return would; returns (record, problems, GIMP's log)."""
    settings = os.path.join(work, "profile", "plug-in-settings")
    os.makedirs(settings, exist_ok=True)
    with open(os.path.join(settings, "GimpProcedureConfigRun-python-fu-ai-upscale.last"), "w") as f:
        f.write("# settings\n\n%s\n\n# end of settings\n" % "\n".join("(%s %s)" % item for item in last_values))
    shutil.copy(os.path.join(here, "dialog_batch.py"), work)
    for stale in ("dialog.results.json", "dialog.seen", "dialog.log"):
        if os.path.exists(os.path.join(work, stale)):
            os.unlink(os.path.join(work, stale))
    code = subprocess.call([os.path.join(here, "chroot-run.sh"), root, "/bin/sh", "-c",
                            "cat >/tmp/dialog-run.sh && sh /tmp/dialog-run.sh %s %s %s" % (IN_ROOT, image, USER_MODELS_IN_ROOT)],
                           stdin=open(os.path.join(here, "dialog-run.sh"), "rb"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = ""
    if os.path.exists(os.path.join(work, "dialog.log")):
        with open(os.path.join(work, "dialog.log"), errors="replace") as f:
            log = f.read()
    try:
        with open(os.path.join(work, "dialog.results.json")) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return {}, ["no result from the dialog run (exit code %d; see %s/dialog.log)" % (code, work)], log
    problems = []
    if not os.path.exists(os.path.join(work, "dialog.seen")):
        problems.append("the dialog never appeared")
    return record, problems, log


def check_dialog(root, work):
    """The interactive path: GIMP's saved last values (here: scale 3, denoise 0.25) fill the dialog; OK runs with them."""
    record, problems, _ = run_dialog(root, work, "rgba8.png",
                                     [("scale", "3"), ("model", '"general"'), ("denoise", "0.25"), ("device", '"auto"')])
    if record.get("status") != "success" or record.get("factor") != 3.0:
        problems.append("the dialog run gave %s, expected success at x3" % record)
    return problems


def check_dialog_auto(root, work):
    """Automatic denoise from the dialog on a JPEG: the plug-in tells the user what it chose, with the
    quality GIMP's JPEG loader recorded; for the user's model (no denoise control) it says nothing."""
    record, problems, log = run_dialog(root, work, "photo.jpg",
                                       [("scale", "2"), ("model", '"general"'), ("denoise", "-1"), ("device", '"auto"')])
    if record.get("status") != "success" or record.get("factor") != 2.0:
        problems.append("the dialog run gave %s, expected success at x2" % record)
    said = [line for line in log.splitlines() if "Denoise: auto → " in line]
    if not said or "JPEG q40)" not in said[0]:
        problems.append("the plug-in did not report its automatic choice with the JPEG quality (log: %s)" % log.strip()[-400:])
    else:
        print("# the dialog run reported: %s" % said[0].strip(), flush=True)
    record, more, log = run_dialog(root, work, "photo.jpg",
                                   [("scale", "2"), ("model", '"%s"' % USER_MODEL), ("denoise", "-1"), ("device", '"auto"')])
    problems += more
    if record.get("status") != "success" or record.get("factor") != 2.0:
        problems.append("the dialog run with the user's model gave %s, expected success at x2" % record)
    if "Denoise: auto" in log:
        problems.append("a denoise choice was reported for a model without a denoise control")
    return problems


def check_failure(record, needle):
    if record.get("status") != "execution-error":
        return ["expected a failed call (execution-error), got %s" % record.get("status")]
    message = record.get("message", "")
    problems = [] if needle in message else ["the error %r does not say %r" % (message, needle)]
    if record["after"]["canvas"] != record["before"]["canvas"]:
        problems.append("a failed call still changed the canvas")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="GIMP root made by setup-gimp-root.sh")
    parser.add_argument("--bridge-dir", required=True, help="published bridge folder (upscaler-bridge and models/)")
    parser.add_argument("--cli", required=True, help="the upscaler command line executable")
    parser.add_argument("--bridge-env", action="append", default=[], help="extra NAME=VALUE for GIMP and the bridge")
    args = parser.parse_args()

    work = os.path.join(args.root, IN_ROOT.lstrip("/"))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "profile"))
    shutil.copy(os.path.join(here, "e2e_batch.py"), work)
    install_plugin(os.path.join(work, "profile"), args.bridge_dir)
    images = make_inputs(work)
    checks = Checks()

    checks.check("the command line registers a model of the user's own", register_user_model(args.cli, work))
    try:
        kinds, listing = installed_kinds(os.path.join(args.bridge_dir, "upscaler-bridge"), cli_env(work))
    except Exception as e:  # a broken bridge fails every check below anyway: say why once
        checks.check("bridge lists its models", ["%s: %s" % (type(e).__name__, e)])
        kinds, listing = [], {}
    print("# bridge %s; installed kinds: %s" % (listing.get("bridge", "?"), ", ".join(kinds) or "none"), flush=True)
    user = [m for m in listing.get("models", []) if m["id"] == USER_MODEL]
    checks.check("the bridge lists the user's model (origin user, no denoise control)",
                 [] if user and user[0]["origin"] == "user" and user[0]["denoise"] is False
                 else ["%s not listed as the user's: %s" % (USER_MODEL, [m["id"] for m in listing.get("models", [])])])
    jpeg = make_jpeg(args.cli, work, images["rgb16"][0])
    said = subprocess.run([args.cli, jpeg, "-o", os.path.join(work, "photo.cli.png"), "--overwrite"],
                          capture_output=True, text=True, env=cli_env(work)).stdout
    checks.check("the command line chooses denoise 1 for the quality-40 JPEG",
                 [] if "denoise auto → 1 (noise" in said and "JPEG q40)" in said else ["it said: %s" % said.strip()])

    cases = []
    for name, image in sorted(images.items()):
        for scale in SCALES:
            for kind in KINDS:
                case_name = "%s-x%g-%s" % (name, scale, kind)
                cases.append({"name": case_name, "input": "%s/%s.png" % (IN_ROOT, name), "output": "%s/%s.gimp.png" % (IN_ROOT, case_name),
                              "input_host": image[0], "output_host": os.path.join(work, case_name + ".gimp.png"),
                              "image": name, "scale": scale, "model": kind, "denoise": 0.3 if scale == 2 else 0.7})
    # A fractional scale on a layer smaller than the canvas, at an offset.
    cases.append({"name": "rgba8-x2.5-general-offset", "input": "%s/rgba8.png" % IN_ROOT, "output": "%s/rgba8-offset.gimp.png" % IN_ROOT,
                  "input_host": images["rgba8"][0], "output_host": os.path.join(work, "rgba8-offset.gimp.png"),
                  "image": "rgba8", "scale": 2.5, "model": "general", "denoise": 0.5, "pad": True})
    # A model chosen by id (run twice for x4), the user's own model, and automatic denoise on a JPEG.
    images["photo"] = (jpeg, 19, 15, 3, 8)
    for name, image, scale, model, denoise, says in [
            ("rgb16-x4-id-general-x2", "rgb16", 4.0, "general-x2", 0.4, []),
            ("rgba8-x2-user-model", "rgba8", 2.0, USER_MODEL, AUTO, ["%s has no denoise control" % USER_MODEL]),
            ("rgba16-x2-auto", "rgba16", 2.0, "general", AUTO, ["denoise auto → "])]:
        source = images[image][0]
        cases.append({"name": name, "input": "%s/%s" % (IN_ROOT, os.path.basename(source)), "output": "%s/%s.gimp.png" % (IN_ROOT, name),
                      "input_host": source, "output_host": os.path.join(work, name + ".gimp.png"),
                      "image": image, "scale": scale, "model": model, "denoise": denoise, "cli_says": says})
    # GIMP's JPEG decoder rounds a few pixels differently from libvips', so this one is compared on the
    # pixels GIMP decoded, at the strength the command line chooses for the file (quality 40: strength 1);
    # equal pixels show the plug-in sent GIMP's recorded quality and the bridge chose the same.
    cases.append({"name": "photo-x2-auto", "input": "%s/photo.jpg" % IN_ROOT, "output": "%s/photo-x2-auto.gimp.png" % IN_ROOT,
                  "input_host": jpeg, "output_host": os.path.join(work, "photo-x2-auto.gimp.png"),
                  "decoded": "%s/photo.decoded.png" % IN_ROOT, "decoded_host": os.path.join(work, "photo.decoded.png"),
                  "image": "photo", "scale": 2.0, "model": "general", "denoise": AUTO, "cli_denoise": "1"})
    write_plan(work, "plan.json", cases, registration=True)
    write_plan(work, "nobridge.json", [dict(cases[0], name="missing-bridge", output="%s/missing.png" % IN_ROOT)])

    try:
        results, seconds = run_gimp(args.root, work, "plan.json", args.bridge_env)
        checks.check("python-fu-ai-upscale is registered under Filters > Enhance with its six arguments (model: kind or id, denoise: -1 automatic, faces and face strength)",
                     check_registration(results.pop("registration", {})))
        # Each call is a new plug-in process that starts its own bridge, which loads the engine and the
        # model: on these tiny layers a call's time is that fixed first-result latency.
        calls = [results[c["name"]]["seconds"] for c in cases
                 if results.get(c["name"], {}).get("status") == "success"]
        ordered = sorted(calls) or [0]
        print("# GIMP batch run: %.1f s for %d calls; successful calls (plug-in + bridge start, model load, "
              "upscale of a tiny layer): first %.2f s, median %.2f s, max %.2f s"
              % (seconds, len(cases), calls[0] if calls else 0, ordered[len(ordered) // 2], ordered[-1]), flush=True)
        for case in cases:
            record = results.get(case["name"], {"status": "missing", "message": "no record"})
            installed = case["model"] in kinds or case["model"] not in KINDS  # ids are all installed ones
            if installed:  # "general" today; face and text join automatically once installed
                problems = check_success(case, record, images[case["image"]], args.cli, work)
            else:
                problems = check_failure(record, "no %s model is installed" % case["model"])
            checks.check("%s (%s)" % (case["name"], "upscaled, matches the command line" if installed
                                      else "fails clearly: model not installed"), problems)

        results, _ = run_gimp(args.root, work, "nobridge.json",
                              args.bridge_env + ["UPSCALER_BRIDGE=/nonexistent/upscaler-bridge"])
        checks.check("missing bridge gives a clear error", check_failure(results["missing-bridge"], "upscaler bridge is missing"))
        checks.check("the dialog opens with the last used values (x3) and runs on OK", check_dialog(args.root, work))
        checks.check("the dialog's automatic denoise reports its choice (JPEG quality from GIMP), and nothing for the user's model",
                     check_dialog_auto(args.root, work))
    except RuntimeError as e:
        checks.check("GIMP batch run", [str(e)])

    print("gimp e2e: %d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed or not checks.passed else 0


if __name__ == "__main__":
    sys.exit(main())
