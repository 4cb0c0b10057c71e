#!/usr/bin/env bash
# Runs every test suite of the project and ends with one summary line ("tests: N passed, N failed").
# This is the README's test command, and what CI (.ci/run) calls on a clean clone.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

echo "== .NET test suites (NUnit)"
dotnet test Plugins.sln -c Release 2>&1 | tee -a "$log" || status=1

# dotnet test prints one "Passed!/Failed! - Failed: N, Passed: N, ..." line per test project.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
echo "tests: ${passed} passed, ${failed} failed"
if [ "$passed" -eq 0 ]; then
    echo "no tests ran" >&2
    status=1
fi
exit "$status"
