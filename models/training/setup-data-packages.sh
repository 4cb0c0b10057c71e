#!/usr/bin/env bash
# Installs the Debian packages that the text specialist's training data is rendered from
# (models/training/data-packages.txt). Run once, as root, before models/training/text_data.py.
set -euo pipefail
list="$(dirname "$0")/data-packages.txt"
mapfile -t packages < <(grep -v '^\s*#' "$list" | grep -v '^\s*$')
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "all ${#packages[@]} packages are installed"
    exit 0
fi
echo "installing: ${missing[*]}"
apt-get install -y --no-install-recommends "${missing[@]}"
