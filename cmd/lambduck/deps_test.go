package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The Lambda binary ships no test harness: neither package testing nor the
// S3 test server's launcher (with its fixed credentials), the aws-lambda-rie
// driver or the benchmark (those live in cmd/lambduck-bench).
func TestBinaryLinksNoHarness(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	forbidden := map[string]bool{
		"testing": true, "lambduck/internal/s3test": true, "lambduck/internal/s3server": true,
		"lambduck/internal/rie": true, "lambduck/internal/bench": true,
	}
	deps := strings.Fields(string(out))
	for _, d := range deps {
		if forbidden[d] || strings.HasPrefix(d, "testing/") {
			t.Errorf("cmd/lambduck links %s", d)
		}
	}
	if len(deps) < 100 {
		t.Fatalf("go list printed %d packages: %s", len(deps), out)
	}
}
