#!/usr/bin/env bash
# Builds the Lambda bootstrap so that it runs on Amazon Linux 2023
# (public.ecr.aws/lambda/provided:al2023: glibc 2.34, GLIBCXX up to 3.4.29).
# Used by `make bootstrap` and by the Dockerfile's builder stage, so both
# produce the same kind of binary. Usage: scripts/build-bootstrap.sh [OUT]
#
# - libstdc++ is linked statically: DuckDB needs GLIBCXX_3.4.30, which AL2023
#   lacks. The DuckDB bindings name -lstdc++ explicitly, so -static-libstdc++
#   alone does nothing; a link folder holding only libstdc++.a, searched first,
#   makes -lstdc++ resolve to the archive.
# - libgcc stays dynamic: -static-libgcc would pull in _dl_find_object (GLIBC_2.35).
# - arc4random (GLIBC_2.36, used by the static libstdc++) is provided by
#   internal/compat.
# - lambda.norpc drops aws-lambda-go's legacy RPC mode, which provided
#   runtimes never use.
# cmd/lambduck/bootstrap_test.go checks the result's ELF version needs.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/bootstrap}
cxx=${CXX:-g++}
libstdcxx=$("$cxx" -print-file-name=libstdc++.a)
if [ ! -f "$libstdcxx" ]; then
  echo "build-bootstrap: no static libstdc++ found by $cxx (got '$libstdcxx'); install g++" >&2
  exit 1
fi
static=$(mktemp -d)
trap 'rm -rf "$static"' EXIT
ln -s "$libstdcxx" "$static/libstdc++.a"
mkdir -p "$(dirname "$out")"
# The commit --version prints (the build may run with -buildvcs=false, or without .git).
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || true)
CGO_ENABLED=1 go build -trimpath -tags lambda.norpc \
  -ldflags "-s -w -linkmode external -extldflags '-L$static -static-libstdc++' -X lambduck/internal/cli.Commit=$commit" \
  -o "$out" ./cmd/lambduck
echo "built $out ($(du -h "$out" | cut -f1))"
