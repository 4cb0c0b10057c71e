#!/usr/bin/env bash
# The GIMP plug-in's end-to-end test, from nothing: makes (or reuses) the GIMP 3 root, publishes the
# bridge for linux-x64, builds the command line, then runs gimp_e2e.py. Ends with the line
# "gimp e2e: N passed, N failed"; exits non-zero on any failure.
#
# Environment: UPSCALER_GIMP_ROOT (default /var/tmp/upscaler-gimp-root, kept between runs),
#              UPSCALER_E2E_FRAMEWORK_DEPENDENT=1 to force the fallback described below.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=${UPSCALER_GIMP_ROOT:-/var/tmp/upscaler-gimp-root}
cache="$repo/.cache/gimp"
bridge="$cache/bridge"

fail() {
    echo "run-gimp-e2e: $*" >&2
    echo "gimp e2e: 0 passed, 1 failed"
    exit 1
}

mkdir -p "$cache"
started=$(date +%s)
"$here/setup-gimp-root.sh" "$root" || fail "could not set up the GIMP root at $root"
setup_done=$(date +%s)

# A self-contained bridge runs in the root as it is. Should the runtime pack not restore, a
# framework-dependent bridge runs on a copy of this machine's .NET placed in the root instead.
rm -rf "$bridge"
extra_env=()
if [ "${UPSCALER_E2E_FRAMEWORK_DEPENDENT:-0}" != 1 ] &&
   dotnet publish "$repo/src/Upscaler.Bridge" -c Release -r linux-x64 --self-contained -o "$bridge" >"$cache-publish.log" 2>&1; then
    echo "# bridge: self-contained linux-x64 publish"
else
    echo "# bridge: framework-dependent publish on the host's .NET (self-contained publish unavailable or disabled)"
    rm -rf "$bridge"
    dotnet publish "$repo/src/Upscaler.Bridge" -c Release -r linux-x64 --no-self-contained -o "$bridge" >"$cache-publish.log" 2>&1 ||
        { tail -n 20 "$cache-publish.log" >&2; fail "dotnet publish of the bridge failed (log: $cache-publish.log)"; }
    dotnet_home=$(dirname "$(readlink -f "$(command -v dotnet)")")
    mkdir -p "$root/opt/dotnet"
    cp -a "$dotnet_home/dotnet" "$dotnet_home/host" "$dotnet_home/shared" "$root/opt/dotnet/" || fail "could not copy .NET into the root"
    extra_env=(--bridge-env DOTNET_ROOT=/opt/dotnet)
fi
dotnet build "$repo/src/Upscaler.Cli" -c Release >"$cache-cli.log" 2>&1 ||
    { tail -n 20 "$cache-cli.log" >&2; fail "dotnet build of the command line failed (log: $cache-cli.log)"; }
cli="$repo/src/Upscaler.Cli/bin/Release/net10.0/upscaler"
build_done=$(date +%s)

python3 "$here/gimp_e2e.py" --root "$root" --bridge-dir "$bridge" --cli "$cli" "${extra_env[@]}"
status=$?
echo "# timings: GIMP root $((setup_done - started)) s, builds $((build_done - setup_done)) s, GIMP test $(( $(date +%s) - build_done )) s"
exit $status
