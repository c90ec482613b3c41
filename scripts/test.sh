#!/usr/bin/env bash
# The whole test suite from a fresh clone. It installs what the tests need
# with `go install` into .tools/bin (git-ignored) and runs every test,
# including those that start the real AWS Lambda Runtime Interface Emulator.
set -euo pipefail
cd "$(dirname "$0")/.."

RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d # the Lambda emulator the tests run the binary under
VERSITYGW_VERSION=v1.8.0                        # the real S3 server the tests use

# Debian packages the tests use: goaccess (the reference for access-log
# numbers), the arm64 cross compiler (the Graviton bootstrap's ELF check) and
# chromium (the dashboard, opened in a real browser).
apt_packages=(goaccess g++-aarch64-linux-gnu chromium)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

export GOBIN="$PWD/.tools/bin"
mkdir -p "$GOBIN"
echo "== installing aws-lambda-rie@$RIE_VERSION into .tools/bin"
go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION"
echo "== installing versitygw@$VERSITYGW_VERSION into .tools/bin"
go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"

TRIVY_VERSION=v0.74.0
# A go-installed trivy reports its version as "dev": a marker records which one is there.
if [ "$(cat .tools/bin/.trivy-version 2>/dev/null)" != "$TRIVY_VERSION" ] || [ ! -x .tools/bin/trivy ]; then
  echo "== installing trivy@$TRIVY_VERSION into .tools/bin (a long compile, once per machine)"
  GOEXPERIMENT=jsonv2 GOBIN="$PWD/.tools/bin" go install "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION"
  echo "$TRIVY_VERSION" > .tools/bin/.trivy-version
fi

# Tests set every AWS_* variable they depend on; none of the machine's may
# leak in (these machines set AWS_CA_BUNDLE, which breaks the SDK's loader).
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p')

export LAMBDUCK_RIE="$GOBIN/aws-lambda-rie" LAMBDUCK_VERSITYGW="$GOBIN/versitygw"
export LAMBDUCK_INTEGRATION=1 LAMBDUCK_CHROMIUM=/usr/bin/chromium

echo "== make bootstrap (the Lambda binary, with the Dockerfile's flags)"
make bootstrap bootstrap-arm64
export LAMBDUCK_BOOTSTRAP="$PWD/dist/bootstrap" LAMBDUCK_BOOTSTRAP_ARM64="$PWD/dist/bootstrap-arm64"

echo "== gofmt, go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...

# Tests clean up after themselves: they run with a temp folder of their own,
# which must be empty at the end (a leak is named and fails the run).
test_tmp=$(mktemp -d -t lambduck-tests-XXXXXX)
chmod 755 "$test_tmp" # the emulator tests run the function as the user nobody, as /tmp allows
trap 'rm -rf "$test_tmp"' EXIT
leaks() {
  left=$(ls -A "$test_tmp")
  if [ -n "$left" ]; then
    echo "$1 left in the temp folder: $left" >&2
    exit 1
  fi
}

echo "== go test"
TMPDIR="$test_tmp" go test -count=1 "$@" ./...
leaks "go test"

echo "== fuzzing, briefly (longer by hand: FUZZTIME=5m scripts/fuzz.sh)"
scripts/fuzz.sh

echo "== trivy config (Dockerfile, deploy/): no finding outside .trivyignore"
.tools/bin/trivy config --skip-check-update --quiet --cache-dir .tools/trivy-cache \
  --ignorefile .trivyignore --exit-code 1 --format table .

echo "== deploy/: Dockerfile (BuildKit parser and lint), Terraform (format, least privilege), deploy scripts"
(cd deploy && go vet ./... && TMPDIR="$test_tmp" go test -count=1 "$@" ./...)
leaks "deploy's tests"
