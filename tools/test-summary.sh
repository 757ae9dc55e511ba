#!/bin/bash
# Summarises a `dotnet test` log written with `--logger "console;verbosity=normal"` (make test):
# every skip reason with its count, a failure of the suite's final check (state roots left on the
# host), and the closing line "tests: N passed, N failed, N skipped".
set -eu -o pipefail
log=${1:?usage: test-summary.sh artifacts/test.log}
strip='s/^\[xUnit\.net [0-9:.]+\] +//'

# xunit prints "NAME [SKIP]" and the reason on the next line.
reasons=$(grep -A1 -E '^\[xUnit\.net [0-9:.]+\] +.* \[SKIP\]$' "$log" | grep -vE '\[SKIP\]$|^--$' | sed -E "$strip" | sort | uniq -c | sort -rn || true)
if [ -n "$reasons" ]; then
  echo "tests: skipped, by reason:"
  echo "$reasons" | sed -E 's/^ *([0-9]+) (.*)$/  \1x  \2/'
fi

final=""
if grep -q 'Test Assembly Cleanup Failure' "$log"; then
  final="; the final host check failed (above)"
  echo "tests: the suite's final check failed:"
  grep -A2 'Test Assembly Cleanup Failure' "$log" | sed -E "$strip" | grep -E '^-+ ' | sed -E 's/^-+ /  /' || true
  grep -A200 'thing(s) of its state roots on the host' "$log" | sed -E "$strip" | grep -E '^(mount|ID lease|process|cgroup|run directory|state root) ' | sed 's/^/    /' || true
fi

count() { sed -nE "s/^ +$1: +([0-9]+)\$/\\1/p" "$log" | tail -1; }
passed=$(count Passed); failed=$(count Failed); skipped=$(count Skipped)
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped$final"
