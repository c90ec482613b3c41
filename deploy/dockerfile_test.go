package deploy

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	digest "github.com/opencontainers/go-digest"
)

func readDockerfile(t *testing.T) []byte {
	t.Helper()
	dt, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

func TestDockerfileStructure(t *testing.T) {
	problems := checkDockerfile(t, readDockerfile(t))
	for _, p := range problems {
		t.Error(p)
	}
}

// The checker must catch what it is for: these Dockerfiles are each wrong once.
func TestDockerfileCheckerCatches(t *testing.T) {
	cases := map[string]string{
		"one stage": "FROM public.ecr.aws/lambda/provided:al2023\nCOPY bootstrap /var/runtime/bootstrap\n",
		"wrong base": "FROM golang:1.26-bookworm AS build\nRUN CGO_ENABLED=1 go build -o /out/bootstrap .\n" +
			"FROM public.ecr.aws/lambda/go:1\nCOPY --from=build /out/bootstrap /var/runtime/bootstrap\n",
		"no cgo": "FROM golang:1.26-bookworm AS build\nRUN CGO_ENABLED=0 go build -o /out/bootstrap .\n" +
			"FROM public.ecr.aws/lambda/provided:al2023\nCOPY --from=build /out/bootstrap /var/runtime/bootstrap\n",
		"not bootstrap": "FROM golang:1.26-bookworm AS build\nRUN CGO_ENABLED=1 go build -o /out/app .\n" +
			"FROM public.ecr.aws/lambda/provided:al2023\nCOPY --from=build /out/app /var/task/app\n",
		"lint: legacy ENV": "FROM golang:1.26-bookworm AS build\nRUN CGO_ENABLED=1 go build -o /out/bootstrap .\n" +
			"FROM public.ecr.aws/lambda/provided:al2023\nCOPY --from=build /out/bootstrap /var/runtime/bootstrap\nENV LAMBDUCK_TIMEZONE UTC\n",
		"secret in ENV": "FROM golang:1.26-bookworm AS build\nRUN CGO_ENABLED=1 go build -o /out/bootstrap .\n" +
			"FROM public.ecr.aws/lambda/provided:al2023\nCOPY --from=build /out/bootstrap /var/runtime/bootstrap\nENV AWS_SECRET_ACCESS_KEY=abc\n",
	}
	for name, dt := range cases {
		problems := checkDockerfile(t, []byte(dt))
		if len(problems) == 0 {
			t.Errorf("%s: not caught", name)
		}
		if strings.HasPrefix(name, "lint") && !strings.Contains(strings.Join(problems, ";"), "LegacyKeyValueFormat") {
			t.Errorf("%s: BuildKit's lint did not report it: %v", name, problems)
		}
	}
}

var secretName = regexp.MustCompile(`(?i)(secret|password|passwd|token|access_key|api_key|private_key|credential)`)

// checkDockerfile returns what is wrong with dt, per docs/operations.md (provided:al2023, the binary as bootstrap) and BuildKit's lint rules.
func checkDockerfile(t *testing.T, dt []byte) []string {
	t.Helper()
	var problems []string
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return []string{"parse: " + err.Error()}
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return []string{"instructions: " + err.Error()}
	}
	if len(stages) != 2 {
		return []string{"want two stages (builder, runtime)"}
	}
	builder, final := stages[0], stages[1]
	if final.BaseName != "public.ecr.aws/lambda/provided:al2023" {
		problems = append(problems, "final stage is FROM "+final.BaseName+", want public.ecr.aws/lambda/provided:al2023")
	}
	cgo := false
	for _, cmd := range builder.Commands {
		switch c := cmd.(type) {
		case *instructions.RunCommand:
			if strings.Contains(strings.Join(c.CmdLine, " "), "CGO_ENABLED=1") {
				cgo = true
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.Key == "CGO_ENABLED" && kv.Value == "1" {
					cgo = true
				}
			}
		}
	}
	if !cgo {
		problems = append(problems, "the builder does not build with CGO_ENABLED=1 (DuckDB needs cgo)")
	}
	installed := false
	for _, st := range stages {
		for _, cmd := range st.Commands {
			switch c := cmd.(type) {
			case *instructions.CopyCommand:
				if c.From == builder.Name && c.DestPath == "/var/runtime/bootstrap" && st.Name == final.Name {
					installed = true
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					if secretName.MatchString(kv.Key) {
						problems = append(problems, "ENV "+kv.Key+" looks like a secret: pass secrets at run time")
					}
				}
			case *instructions.ArgCommand:
				for _, a := range c.Args {
					if secretName.MatchString(a.Key) {
						problems = append(problems, "ARG "+a.Key+" looks like a secret: use a build secret mount")
					}
				}
			}
		}
	}
	if !installed {
		problems = append(problems, "the final stage does not COPY --from="+builder.Name+" the binary to /var/runtime/bootstrap")
	}
	// BuildKit's own lint rules, as `docker build --check` runs them.
	sm := llb.NewSourceMap(nil, "Dockerfile", "", dt)
	sm.Definition = &llb.Definition{}
	lint, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{SourceMap: sm, MetaResolver: offlineImages{}})
	if err != nil {
		return append(problems, "lint: "+err.Error())
	}
	if lint.Error != nil {
		problems = append(problems, "lint stopped: "+lint.Error.Message)
	}
	for _, w := range lint.Warnings {
		problems = append(problems, "lint "+w.RuleName+": "+w.Detail)
	}
	return problems
}

// offlineImages answers BuildKit's base-image look-ups with an empty Linux
// image config, so linting needs no registry (and sends nothing anywhere).
type offlineImages struct{}

func (offlineImages) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	cfg := []byte(`{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}`)
	return ref, digest.FromBytes(cfg), cfg, nil
}
