# lambduck — the README's two commands are `go run ./cmd/lambduck demo` and `make test`.

.PHONY: test demo screenshot build bench bootstrap bootstrap-arm64 image push deploy
test: ## the whole test suite; installs its own tools into .tools/bin
	scripts/test.sh

demo: ## the demo, from a fresh clone
	go run ./cmd/lambduck demo

screenshot: ## docs/dashboard.png, the README's picture: the demo's dashboard in headless Chromium (apt-get install chromium)
	go run ./cmd/lambduck demo >/dev/null
	go run ./cmd/lambduck-screenshot --height 800 .lambduck/demo/dashboard.html docs/dashboard.png

build: ## the CLI for this machine, in dist/lambduck
	go build -ldflags "-X lambduck/internal/cli.Commit=$$(git rev-parse --short=12 HEAD 2>/dev/null)" -o dist/lambduck ./cmd/lambduck

bench: build ## the benchmark (cmd/lambduck-bench) against dist/lambduck; run make test once first (it installs versitygw and aws-lambda-rie)
	go run ./cmd/lambduck-bench --bootstrap dist/lambduck $(BENCH_FLAGS)

bootstrap: ## the Lambda binary for provided:al2023 (glibc 2.34), in dist/bootstrap — same flags as the Dockerfile
	scripts/build-bootstrap.sh dist/bootstrap

bootstrap-arm64: ## the same for Graviton, cross-compiled (Debian's g++-aarch64-linux-gnu), in dist/bootstrap-arm64
	CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ GOARCH=arm64 scripts/build-bootstrap.sh dist/bootstrap-arm64

image: ## the container image (docker buildx; PLATFORM=linux/arm64 for Graviton)
	@mkdir -p dist
	scripts/deploy.sh image

push: ## ECR login, tag, push (AWS_REGION, AWS_ACCOUNT_ID, ECR_REPO)
	scripts/deploy.sh push

deploy: ## update the function to the pushed digest, wait, smoke-invoke (FUNCTION=…)
	scripts/deploy.sh deploy
