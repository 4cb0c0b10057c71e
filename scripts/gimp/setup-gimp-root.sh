#!/usr/bin/env bash
# Creates (once) a Debian trixie root holding GIMP 3.0 with Python plug-in support, for the
# end-to-end test of the GIMP plug-in. Idempotent: a finished root carries a stamp naming what was
# installed; a matching stamp makes this a no-op (well under a second), anything else rebuilds it.
# Building happens in ROOT.new and is renamed into place at the end, so an interrupted run never
# leaves a half-made root that looks finished.
#
# Usage: setup-gimp-root.sh [ROOT]   (default: $UPSCALER_GIMP_ROOT or /var/tmp/upscaler-gimp-root)
# Needs: root, Debian/Ubuntu host, network access to the Debian mirror.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-${UPSCALER_GIMP_ROOT:-/var/tmp/upscaler-gimp-root}}
mirror=${UPSCALER_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=trixie
# gir1.2-freedesktop provides the cairo typelib GIMP's Python binding needs; debootstrap and
# --no-install-recommends do not pick that virtual dependency by themselves.
packages="gimp python3 python3-gi gir1.2-gimp-3.0 gir1.2-gegl-0.4 gir1.2-freedesktop ca-certificates"
stamp_text="suite=$suite packages=$packages version=1"

# Extras for the dialog test (a virtual X server and a key presser), added to a finished root in
# place, with their own stamp: adding them never forces a rebuild of the root others may be using.
extras="xvfb xauth xdotool"
extras_stamp_text="extras=$extras"
ready() { [ "$(cat "$root/.upscaler-stamp" 2>/dev/null)" = "$stamp_text" ]; }
extras_ready() { [ "$(cat "$root/.upscaler-extras-stamp" 2>/dev/null)" = "$extras_stamp_text" ]; }
install_extras() {
    echo "gimp root: apt-get install $extras"
    "$here/chroot-run.sh" "$root" /bin/sh -c "
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends $extras || { apt-get update -qq && apt-get install -y -qq --no-install-recommends $extras; }
    " >>"$root.log" 2>&1 || { echo "setup-gimp-root.sh: installing $extras in the root failed (log: $root.log)" >&2; exit 1; }
    rm -rf "$root/var/cache/apt/archives/"*.deb
    echo "$extras_stamp_text" >"$root/.upscaler-extras-stamp"
}
if ready && extras_ready; then
    echo "gimp root: $root is ready"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup-gimp-root.sh: must run as root (debootstrap and chroot need it)" >&2
    exit 1
fi

# Other test suites use the same root: one builder at a time, and whoever waited finds it ready.
mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
if ! flock -w 900 9; then
    echo "setup-gimp-root.sh: another setup of $root has held its lock for 15 minutes" >&2
    exit 1
fi
if ready; then
    extras_ready || install_extras
    echo "gimp root: $root is ready"
    exit 0
fi

# Unmounts whatever an interrupted run (e.g. a killed debootstrap, which mounts proc and sys in its
# target) left mounted below a folder, so that it can be deleted.
unmount_below() {
    local dir
    dir=$(readlink -f "$1" 2>/dev/null) || return 0
    awk -v d="$dir/" 'index($2 "/", d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
}

start=$(date +%s)
if ! command -v debootstrap >/dev/null; then
    echo "gimp root: installing debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq debootstrap >/dev/null
fi

new="$root.new"
# Debian mirrors have bad moments: a failed debootstrap is retried once from scratch.
for attempt in 1 2; do
    unmount_below "$new"
    rm -rf "$new"
    echo "gimp root: debootstrap $suite into $new (attempt $attempt)"
    if debootstrap --variant=minbase "$suite" "$new" "$mirror" >"$new.log" 2>&1; then
        break
    fi
    tail -n 20 "$new.log" >&2
    if [ "$attempt" = 2 ]; then
        unmount_below "$new"
        echo "setup-gimp-root.sh: debootstrap failed (log: $new.log)" >&2
        exit 1
    fi
done
cp /etc/resolv.conf "$new/etc/resolv.conf"
echo "gimp root: apt-get install $packages"
"$here/chroot-run.sh" "$new" /bin/sh -c "
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages
" >>"$new.log" 2>&1 || {
    tail -n 20 "$new.log" >&2
    echo "setup-gimp-root.sh: installing GIMP in the root failed (log: $new.log)" >&2
    exit 1
}
"$here/chroot-run.sh" "$new" gimp-console-3.0 --version
# Downloaded .debs are not needed any more; keep the cached root small.
rm -rf "$new/var/cache/apt/archives/"*.deb
echo "$stamp_text" >"$new/.upscaler-stamp"
unmount_below "$new"
unmount_below "$root"
rm -rf "$root"
mv "$new" "$root"
mv "$new.log" "$root.log"
install_extras
echo "gimp root: ready in $(( $(date +%s) - start )) s"
