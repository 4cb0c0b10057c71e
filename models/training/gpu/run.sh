#!/usr/bin/env bash
# The GPU kit's one command (models/training/gpu/README.md).
#
#   models/training/gpu/run.sh MINUTES [--resume [DIR]] [--jobs ID,ID] [--bundle DIR]   # on the GPU
#   OUT=DIR models/training/gpu/run.sh --smoke                                          # CPU, tiny
#
# Trains every model of plan.JOBS at once on one GPU for MINUTES (7 fits the device's 10-minute
# command limit with start-up, validation and export), and writes under $OUT (the device's return
# folder; default models/training/work/gpu-run): run.log, summary.json, checkpoints-N.tar,
# onnx-N.tar. The Python deadline is counted from this script's start.
set -uo pipefail
t0=$(date +%s.%N)
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"

smoke=0
minutes=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) smoke=1 ;;
        --resume)
            if [ $# -gt 1 ] && [ "${2#--}" = "$2" ]; then args+=(--resume "$2"); shift; else args+=(--resume); fi ;;
        --jobs|--bundle) [ $# -gt 1 ] || { echo "run.sh: $1 needs a value" >&2; exit 2; }; args+=("$1" "$2"); shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *)
            if [ -z "$minutes" ] && [[ "$1" =~ ^[0-9]+([.][0-9]+)?$ ]]; then minutes="$1"
            else echo "run.sh: unexpected argument '$1' (usage: run.sh MINUTES [--resume [DIR]] [--jobs IDS] | --smoke)" >&2; exit 2; fi ;;
    esac
    shift
done

out="${OUT:-$repo/models/training/work/gpu-run}"
mkdir -p "$out" || { echo "run.sh: cannot create the output folder $out" >&2; exit 2; }

# A Python with torch: $PYTHON, else python3 if it has torch (the GPU machine's), else Debian's.
py="${PYTHON:-}"
if [ -z "$py" ]; then
    for c in python3 /usr/bin/python3; do
        if command -v "$c" >/dev/null 2>&1 && "$c" -c "import torch" >/dev/null 2>&1; then py="$c"; break; fi
    done
fi
[ -n "$py" ] || { echo "run.sh: no Python with torch found (set PYTHON)" >&2; exit 2; }

export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
if [ "$smoke" = 1 ]; then
    # tiny sizes on 2 CPU threads: ~1 minute here; the deadline keeps it under 3
    "$py" "$here/train_all.py" --smoke --out "$out" --minutes "${minutes:-0.4}" --t0 "$t0" \
        --deadline-s 170 --reserve-s 40 --snapshot-min 100 --log-s 10 ${args[@]+"${args[@]}"} 2>&1 | tee "$out/run.log"
    exit "${PIPESTATUS[0]}"
fi

[ -n "$minutes" ] || { echo "run.sh: give the training minutes (e.g. run.sh 7), or --smoke" >&2; exit 2; }
if ! "$py" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "run.sh: no CUDA GPU visible to $py; use --smoke for the CPU check" >&2
    exit 2
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
"$py" "$here/train_all.py" --out "$out" --minutes "$minutes" --t0 "$t0" --deadline-s 570 --reserve-s 60 \
    ${args[@]+"${args[@]}"} 2>&1 | tee "$out/run.log"
exit "${PIPESTATUS[0]}"
