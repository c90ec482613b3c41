#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each (default 10s; by hand: FUZZTIME=5m).
# Inputs that fail are saved under the package's testdata/fuzz/ and become
# part of every later `go test` run.
set -euo pipefail
cd "$(dirname "$0")/.."
for target in "internal/request FuzzDecode" "internal/report FuzzParse" "internal/ingest FuzzLineParsers"; do
  set -- $target
  echo "-- $2 ($1), ${FUZZTIME:-10s}"
  go test -run '^$' -fuzz="^$2\$" -fuzztime="${FUZZTIME:-10s}" "./$1/" 2>&1 | grep -v '^fuzz: elapsed' | tail -3
done
