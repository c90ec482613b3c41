#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 10s; by hand: FUZZTIME=5m).
# Inputs that fail are saved under the package's testdata/fuzz/ and become
# part of every later `go test` run.
#
# A run that fails and saved a new failing input fails this script. A run
# that fails without saving one (the fuzzing engine itself, not an input:
# seen once here, not reproducible) is shown in full and tried once more.
set -uo pipefail
cd "$(dirname "$0")/.."
# The fuzzing engine stops its workers without their clean-up, which left a
# temp folder behind now and then: every temp file of this run lives here.
TMPDIR=$(mktemp -d -t lambduck-fuzz-XXXXXX)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
status=0
for target in "internal/request FuzzDecode" "internal/report FuzzParse" "internal/ingest FuzzLineParsers" "internal/schedule FuzzDecodeJob"; do
  set -- $target
  corpus="$1/testdata/fuzz/$2"
  for attempt in 1 2; do
    before=$(ls "$corpus" 2>/dev/null | wc -l)
    echo "-- $2 ($1), ${FUZZTIME:-10s}, attempt $attempt"
    out=$(go test -run '^$' -fuzz="^$2\$" -fuzztime="${FUZZTIME:-10s}" "./$1/" 2>&1)
    rc=$?
    echo "$out" | grep -v '^fuzz: elapsed'
    after=$(ls "$corpus" 2>/dev/null | wc -l)
    if [ $rc -eq 0 ]; then
      break
    fi
    if [ "$after" -gt "$before" ]; then
      echo "$2 found a failing input (saved in $corpus)" >&2
      status=1
      break
    fi
    if [ $attempt -eq 2 ]; then
      echo "$2 failed twice without a failing input" >&2
      status=1
    fi
  done
done
exit $status
