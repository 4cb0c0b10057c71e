#!/usr/bin/env bash
# Runs a command inside the GIMP test root (a Debian trixie chroot made by setup-gimp-root.sh).
# A private mount namespace holds the /proc and /dev mounts, so they vanish with the command,
# even when it is killed: no stale mounts are ever left behind on the host.
# Usage: chroot-run.sh ROOT COMMAND [ARGS...]
set -euo pipefail
root=$1
shift
exec unshare --mount --propagation private -- /bin/sh -c '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
' chroot-run "$root" "$@"
