#!/usr/bin/env bash
# Checks UpscalerSetup.nsi under Wine, silently: install, registry entry, uninstall, and the rollback
# when upscaler-setup refuses. Debian's Wine 8 cannot start .NET 10 programs (coreclr fails to load
# System.Runtime.dll), so upscaler-setup.exe is replaced here by a stand-in built with NSIS itself
# that records how it was called and exits 1 when asked to. What upscaler-setup then does is
# covered by the NUnit tests on Linux (tests/Upscaler.Installer.Tests).
# Not part of CI (it needs wine64: apt-get install wine64). Usage: installer/windows/wine-check.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
[ -x "$wine" ] || { echo "wine-check.sh: wine64 is missing (apt-get install wine64)" >&2; exit 1; }
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
command -v makensis >/dev/null || { echo "wine-check.sh: makensis is missing (apt-get install nsis)" >&2; exit 1; }

work="$here/out/wine-check"
rm -rf "$work"
mkdir -p "$work/tool" "$work/hosts/GIMP/3.0" "$work/hosts/paint.net/Effects"
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# The Wine prefix is ~700 MB: stop this prefix's wineserver and remove it however the check ends.
trap '"$wineserver" -k >/dev/null 2>&1 || true; rm -rf "$WINEPREFIX"' EXIT
win() { printf 'Z:%s' "$1" | tr / '\\'; }
calls="$work/calls.log"

# The stand-in for upscaler-setup.exe.
cat >"$work/fake-setup.nsi" <<NSI
Target amd64-unicode
SilentInstall silent
RequestExecutionLevel user
OutFile "$work/tool/upscaler-setup.exe"
!include "FileFunc.nsh"
!include "StrFunc.nsh"
\${StrStr}
Section
  \${GetParameters} \$0
  FileOpen \$1 "$(win "$calls")" a
  FileSeek \$1 0 END
  FileWrite \$1 "\$0\$\r\$\n"
  FileClose \$1
  IfFileExists "$(win "$work/fail")" refuse
  \${StrStr} \$2 \$0 "install --paintdotnet"
  StrCmp \$2 "" done
  IfFileExists "$(win "$work/fail-paintdotnet")" refuse done
refuse:
  SetErrorLevel 1
  Quit
done:
  SetErrorLevel 0
SectionEnd
NSI
makensis -V1 "$work/fake-setup.nsi"
mkdir -p "$work/tool/payload"
echo "0000000000000000000000000000000000000000000000000000000000000000  gimp/ai-upscale.py" >"$work/tool/payload/SHA256SUMS"
makensis -V1 -DVERSION=0.0.0-winecheck -DPAYLOAD_DIR="$work/tool" -DOUT_FILE="$work/UpscalerSetup.exe" -DWITH_PAINTDOTNET "$here/UpscalerSetup.nsi"

"$wine" wineboot --init >/dev/null 2>&1
programs="$WINEPREFIX/drive_c/Program Files/Upscaler"
key='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\Upscaler'
fail() { echo "wine-check: FAIL - $*" >&2; exit 1; }

# 1. Silent install of both parts into explicit folders.
"$wine" "$work/UpscalerSetup.exe" /S "/GIMPDIR=$(win "$work/hosts/GIMP/3.0")" "/PDNDIR=$(win "$work/hosts/paint.net")" || fail "install exited $?"
[ -f "$programs/upscaler-setup.exe" ] && [ -f "$programs/uninstall.exe" ] && [ -f "$programs/payload/SHA256SUMS" ] || fail "the tool is not in Program Files"
grep -qF "install --gimp-dir \"$(win "$work/hosts/GIMP/3.0")\"" "$calls" || fail "upscaler-setup was not asked to install into GIMP: $(cat "$calls")"
grep -qF "install --paintdotnet-dir \"$(win "$work/hosts/paint.net")\"" "$calls" || fail "upscaler-setup was not asked to install into Paint.NET"
"$wine" reg query "$key" /v UninstallString >/dev/null 2>&1 || fail "no uninstall entry in the registry"
echo "ok - silent install ran upscaler-setup for GIMP and Paint.NET and registered the uninstaller"

# 2. Silent uninstall (in place, so Wine waits for it).
"$wine" "$programs/uninstall.exe" /S "_?=$(win "$programs")" || fail "uninstall exited $?"
"$wineserver" -w  # Wine may return before the uninstaller's child processes are done
grep -qF "uninstall --gimp-dir \"$(win "$work/hosts/GIMP/3.0")\"" "$calls" || fail "upscaler-setup was not asked to uninstall from GIMP"
grep -qF "uninstall --paintdotnet-dir" "$calls" || fail "upscaler-setup was not asked to uninstall from Paint.NET"
left=$( { find "$programs" -mindepth 1 ! -name uninstall.exe 2>/dev/null || true; } | wc -l)
[ "$left" -eq 0 ] || fail "$left files left in Program Files\\Upscaler"
if "$wine" reg query "$key" >/dev/null 2>&1; then fail "the uninstall entry is still there"; fi
echo "ok - silent uninstall ran upscaler-setup uninstall and removed the files and the registry entry"
rm -rf "$programs"

# 3. upscaler-setup refuses: exit code 2, nothing left behind.
: >"$calls"
touch "$work/fail"
if "$wine" "$work/UpscalerSetup.exe" /S /NOPAINTDOTNET "/GIMPDIR=$(win "$work/hosts/GIMP/3.0")"; then fail "a refused install exited 0"; else code=$?; fi
[ "$code" -eq 2 ] || fail "a refused install exited $code, expected 2"
[ ! -e "$programs/upscaler-setup.exe" ] || fail "a refused install left the tool in Program Files"
if "$wine" reg query "$key" >/dev/null 2>&1; then fail "a refused install left the uninstall entry"; fi
grep -q -- "--paintdotnet" "$calls" && fail "/NOPAINTDOTNET still installed Paint.NET's part"
echo "ok - a refusal by upscaler-setup exits 2 and rolls back (tool, registry)"

# 4. GIMP's part succeeds, Paint.NET's is refused: GIMP's part is taken back too.
rm -f "$work/fail"
: >"$calls"
touch "$work/fail-paintdotnet"
if "$wine" "$work/UpscalerSetup.exe" /S "/GIMPDIR=$(win "$work/hosts/GIMP/3.0")" "/PDNDIR=$(win "$work/hosts/paint.net")"; then fail "a half-refused install exited 0"; else code=$?; fi
"$wineserver" -w
[ "$code" -eq 2 ] || fail "a half-refused install exited $code, expected 2"
grep -qF "uninstall --gimp-dir \"$(win "$work/hosts/GIMP/3.0")\"" "$calls" || fail "GIMP's part was not taken back: $(cat "$calls")"
[ ! -e "$programs/upscaler-setup.exe" ] || fail "a half-refused install left the tool in Program Files"
echo "ok - when one part is refused, the part already installed is uninstalled again"
echo "wine-check: passed"
