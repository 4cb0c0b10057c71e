#!/bin/sh
# Runs inside the GIMP root: opens the plug-in's dialog (run mode INTERACTIVE) on a virtual X
# server, presses Return on it as a user accepting it would, and lets dialog_batch.py record what
# the call did. Usage: dialog-run.sh WORK_DIR [IMAGE [USER_MODELS_DIR]]
# (WORK_DIR holds dialog_batch.py, the profile and IMAGE, default rgba8.png)
work=$1
image=${2:-rgba8.png}
user_models=${3:-$work/user-models}
cd "$work" || exit 1
Xvfb :77 -screen 0 1280x1024x24 -nolisten tcp >xvfb.log 2>&1 &
xvfb=$!
export DISPLAY=:77 HOME="$work" GIMP3_DIRECTORY="$work/profile" UPSCALER_E2E_WORK="$work" \
    UPSCALER_E2E_IMAGE="$image" UPSCALER_USER_MODELS_DIR="$user_models"
# On a busy machine Xvfb can take more than a moment to open the display, and a plug-in that finds
# no display crashes before its dialog appears: wait until it answers (up to 15 s).
for _ in $(seq 1 75); do
    xdotool getdisplaygeometry >/dev/null 2>&1 && break
    sleep 0.2
done
(
    for _ in $(seq 1 150); do
        window=$(xdotool search --onlyvisible --name "AI Upscale" 2>/dev/null | head -n 1)
        if [ -n "$window" ]; then
            sleep 1  # let it finish drawing before the key press
            xdotool windowfocus "$window"
            sleep 0.3
            xdotool key Return
            echo "the dialog appeared and was accepted" >"$work/dialog.seen"
            exit 0
        fi
        sleep 0.2
    done
) &
keys=$!
timeout 90 gimp-console-3.0 -i --batch-interpreter=python-fu-eval -b "exec(open('$work/dialog_batch.py').read())" --quit >dialog.log 2>&1
code=$?
kill "$keys" "$xvfb" 2>/dev/null
wait "$xvfb" 2>/dev/null  # the next run reuses display :77
exit $code
