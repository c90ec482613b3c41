package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"lambduck/internal/s3test"
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
	scratch := t.TempDir()
	t.Setenv("LAMBDUCK_SCRATCH", scratch)
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
	// The command closes the instance it kept: nothing stays in scratch.
	if left, _ := os.ReadDir(scratch); len(left) != 0 {
		t.Errorf("scratch holds %v after the demo", left)
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, cmd := range []string{"demo", "invoke", "ingest", "gen", "reports"} {
		out, err := run(t, cmd, "--help")
		if err != nil || !strings.Contains(out, "Usage:") || len(out) < 200 {
			t.Errorf("%s --help: %v\n%s", cmd, err, out)
		}
	}
}

func TestGenRawThenIngest(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	dir := t.TempDir()
	log := filepath.Join(dir, "company_id=1690", "access.log.gz")
	if out, err := run(t, "gen", "--raw", "combined", "--companies", "1690", "--rows-per-day", "500",
		"--start", "2025-04-01", "--end", "2025-04-02", "--out", log); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	root := filepath.Join(dir, "data")
	out, err := run(t, "ingest", "--json", "--out", root, filepath.Join(dir, "company_id=1690"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{`"company_id": "1690"`, `"format": "combined"`, `"rows_written": 1000`, `"lines_rejected": 0`} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %s:\n%s", want, out)
		}
	}
	bad := filepath.Join(dir, "notes.txt")
	os.WriteFile(bad, []byte("hello\nworld\n"), 0o644)
	out, err = run(t, "ingest", "--company", "1690", "--out", root, bad)
	if code, ok := err.(exitCode); !ok || code != 1 || !strings.Contains(out, "REJECTED") {
		t.Errorf("a non-log: %v\n%s", err, out)
	}
	if _, err := run(t, "ingest", "--format", "xml", bad); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("bad --format: %v", err)
	}
}

// gen and ingest with s3:// sources and destinations, against the real server.
func TestS3SourcesAndDestinations(t *testing.T) {
	srv := s3test.Start(t, "lake")
	srv.Env(t)
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	if out, err := run(t, "gen", "--raw", "combined", "--companies", "1690", "--rows-per-day", "300",
		"--start", "2025-04-01", "--end", "2025-04-02", "--out", "s3://lake/raw/company_id=1690/access.log"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := run(t, "ingest", "--json", "--out", "s3://lake/data", "s3://lake/raw/company_id=1690/")
	if err != nil || !strings.Contains(out, `"rows_written": 600`) || !strings.Contains(out, `"source": "s3://lake/raw/company_id=1690/access.log"`) {
		t.Fatalf("%v\n%s", err, out)
	}
	objs, _, err := srv.Client().List(context.Background(), "lake", "data/company_id=1690/", "", nil)
	if err != nil || len(objs) != 2 {
		t.Errorf("%v %+v", err, objs)
	}
	if out, err := run(t, "gen", "--companies", "7", "--rows-per-day", "10", "--start", "2025-04-01", "--end", "2025-04-03", "--out", "s3://lake/gen"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	objs, _, _ = srv.Client().List(context.Background(), "lake", "gen/company_id=7/", "", nil)
	if len(objs) != 3 {
		t.Errorf("gen to S3: %+v", objs)
	}
}
