package cli

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRoot(&out, &errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String() + errOut.String(), err
}

func TestDemoFromNothing(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	dir := filepath.Join(t.TempDir(), "demo")
	out, err := run(t, "demo", "--dir", dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// 30 days × 2,000 rows for company 1690, from 30 of the 276 files.
	for _, want := range []string{"Making the demo dataset", "552000 rows in 276 files", "hits", "unique_visitors", "60000", "read 30 files"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	again, err := run(t, "demo", "--dir", dir)
	if err != nil || strings.Contains(again, "Making the demo dataset") {
		t.Errorf("the second demo must reuse the dataset: %v\n%s", err, again)
	}
	num := regexp.MustCompile(`(?m)^60000 .*$`)
	if num.FindString(out) != num.FindString(again) {
		t.Errorf("the two runs differ:\n%s\n%s", out, again)
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, cmd := range []string{"demo", "invoke", "gen", "reports"} {
		out, err := run(t, cmd, "--help")
		if err != nil || !strings.Contains(out, "Usage:") || len(out) < 200 {
			t.Errorf("%s --help: %v\n%s", cmd, err, out)
		}
	}
}
