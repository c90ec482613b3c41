# syntax=docker/dockerfile:1
# lambduck as an AWS Lambda container image.
#
#   docker buildx build --platform linux/amd64 --provenance=false -t lambduck:latest .
#   docker run --platform linux/amd64 -p 9000:8080 \
#     -v "$PWD/.lambduck/demo/data:/data:ro" -e LAMBDUCK_DATA=/data lambduck:latest
#   curl -XPOST "http://localhost:9000/2015-03-31/functions/function/invocations" -d @event.json
#
# arm64 (Graviton): --platform linux/arm64, and architectures = ["arm64"] in Terraform.

ARG GO_VERSION=1.26

# Builder: Debian 12 with gcc, the same toolchain `make bootstrap` is checked
# with; scripts/build-bootstrap.sh holds the flags that make the binary run on
# Amazon Linux 2023 (glibc 2.34, GLIBCXX_3.4.29).
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
COPY scripts/build-bootstrap.sh ./scripts/
RUN CGO_ENABLED=1 scripts/build-bootstrap.sh /out/bootstrap

# Runtime: the Lambda base image for custom runtimes. Its entrypoint runs
# /var/runtime/bootstrap, under the Runtime Interface Emulator when started
# outside Lambda (the seed's local test).
FROM public.ecr.aws/lambda/provided:al2023
COPY --from=build /out/bootstrap /var/runtime/bootstrap
# Lambda's only writable path is /tmp; DuckDB spills and stages there, and
# never needs $HOME.
ENV LAMBDUCK_SCRATCH=/tmp/lambduck \
    LAMBDUCK_TIMEZONE=UTC
# Lambda runs the function as its own unprivileged user; match that locally.
USER 65534:65534
# The handler name is unused by a custom runtime, but the base image wants one.
CMD ["lambduck"]
