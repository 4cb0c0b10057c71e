#!/usr/bin/env bash
# Installs, as root, the Debian packages the training side needs, from the lists beside this script:
#   python  python-packages.txt: Debian's Python with torch, numpy, scipy, Pillow, onnx (training,
#           evaluation, the GPU kit's bundle builder and import, the model tests)
#   data    data-packages.txt: the fonts, icon themes, SVG rasteriser and OCR the text model's
#           renders and its evaluation use
#
#   models/training/setup-packages.sh [python] [data]      # no argument: both
#
# Installs only what is missing; refreshes the package lists once if an install fails on stale ones.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lists=("$@")
[ ${#lists[@]} -gt 0 ] || lists=(python data)

packages=()
for l in "${lists[@]}"; do
    case "$l" in
        python|data) mapfile -t -O "${#packages[@]}" packages < <(grep -v '^\s*#' "$here/$l-packages.txt" | grep -v '^\s*$') ;;
        *) echo "setup-packages: unknown list '$l' (python or data)" >&2; exit 2 ;;
    esac
done
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup-packages: all ${#packages[@]} packages (${lists[*]}) are installed"
    exit 0
fi
echo "setup-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
    || { echo "setup-packages: installing ${missing[*]} failed" >&2; exit 1; }
