#!/usr/bin/env bash
# Builds installer/windows/out/UpscalerSetup.exe: publishes upscaler-setup for win-x64 (self-contained,
# with its payload: the win-x64 bridge, the models, the GIMP plug-in, and the Paint.NET effect when
# it was built on Windows into artifacts/paintdotnet), then packs it with NSIS (UpscalerSetup.nsi).
# Installs Debian's nsis package when makensis is missing (needs root and apt).
# Usage: installer/windows/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="$here/out"

if ! command -v makensis >/dev/null; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        echo "build.sh: makensis is missing; install NSIS (Debian/Ubuntu: apt-get install nsis)" >&2
        exit 1
    fi
    echo "build.sh: installing nsis"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nsis >/dev/null
fi

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
stage="$out/stage/setup"
rm -rf "$out/stage" "$out/UpscalerSetup.exe"
mkdir -p "$out"

echo "build.sh: publishing upscaler-setup $version for win-x64"
# An artifacts path of its own keeps the win-x64 build from touching the source tree's bin/obj.
dotnet publish "$repo/installer/Upscaler.Installer" -c Release -r win-x64 -o "$stage" \
    --artifacts-path "$out/artifacts" -nologo -v quiet
# Symbols are not shipped.
find "$stage" -name '*.pdb' -delete

defines=(-DVERSION="$version" -DPAYLOAD_DIR="$stage" -DOUT_FILE="$out/UpscalerSetup.exe")
if [ -d "$stage/payload/paintdotnet" ]; then
    defines+=(-DWITH_PAINTDOTNET)
    echo "build.sh: the setup includes the Paint.NET effect"
else
    echo "build.sh: no Paint.NET effect in the payload (it is built on Windows only); the setup offers GIMP alone"
fi

echo "build.sh: makensis"
makensis -V2 -INPUTCHARSET UTF8 "${defines[@]}" "$here/UpscalerSetup.nsi"
echo "build.sh: $(du -h "$out/UpscalerSetup.exe" | cut -f1) $out/UpscalerSetup.exe"
