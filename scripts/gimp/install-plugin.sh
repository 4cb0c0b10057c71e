#!/usr/bin/env bash
# Installs the AI Upscale plug-in into a GIMP 3 profile without the installer: copies
# plugins/gimp/ai-upscale and publishes upscaler-bridge (self-contained, with the shipped models)
# into its bridge/ folder, the layout the installer also uses.
#
# Usage: install-plugin.sh [PLUG_INS_DIR] [RID]
#   PLUG_INS_DIR  default: $GIMP3_DIRECTORY/plug-ins, else ~/.config/GIMP/3.0/plug-ins
#   RID           .NET runtime id of the machine GIMP runs on (default linux-x64; e.g. win-x64, osx-arm64)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
plug_ins=${1:-${GIMP3_DIRECTORY:-$HOME/.config/GIMP/3.0}/plug-ins}
rid=${2:-linux-x64}
target="$plug_ins/ai-upscale"

mkdir -p "$plug_ins"
rm -rf "$target"
mkdir -p "$target"
cp "$repo/plugins/gimp/ai-upscale/"*.py "$target/"
chmod 755 "$target/ai-upscale.py"
dotnet publish "$repo/src/Upscaler.Bridge" -c Release -r "$rid" --self-contained -o "$target/bridge" >/dev/null
echo "installed: $target (restart GIMP; the plug-in is Filters > Enhance > AI Upscale...)"
