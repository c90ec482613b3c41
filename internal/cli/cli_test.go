package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"lambduck/internal/config"
	"lambduck/internal/engine"
	"lambduck/internal/handler"
	"lambduck/internal/ingest"
	"lambduck/internal/request"
	"lambduck/internal/s3test"
	"lambduck/internal/testkit"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRoot(&out, &errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String() + errOut.String(), err
}

// run2 is run with standard output and standard error apart.
func run2(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRoot(&out, &errOut)
	root.SetArgs(args)
	err = root.Execute()
	return out.String(), errOut.String(), err
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
	for _, want := range []string{"Making the demo dataset", "552000 rows in 276 files", "hits", "unique_visitors", "60000", "read 30 files",
		"The dashboard of the same month: " + filepath.Join(dir, "dashboard.html")} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if page, err := os.ReadFile(filepath.Join(dir, "dashboard.html")); err != nil || !strings.Contains(string(page), "60,000") {
		t.Errorf("the demo's dashboard: %v", err)
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

// A usage line names the required flags once and the rest as [flags]:
// never an optional flag beside [flags] (which lists it again).
func TestUsageLines(t *testing.T) {
	root := newRoot(new(bytes.Buffer), new(bytes.Buffer))
	for _, c := range root.Commands() {
		line := c.UseLine()
		if strings.Count(line, "[flags]") > 1 || strings.Contains(line, "[--") || strings.Contains(line, "[-o") {
			t.Errorf("%s: %q", c.Name(), line)
		}
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, cmd := range []string{"demo", "invoke", "serve", "event", "sql", "ingest", "gen", "compact", "dashboard", "reports"} {
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
	if err := os.WriteFile(bad, []byte("hello\nworld\n"), 0o644); err != nil {
		t.Fatal(err)
	}
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
	s3test.Env(t, srv)
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	if out, err := run(t, "gen", "--raw", "combined", "--companies", "1690", "--rows-per-day", "300",
		"--start", "2025-04-01", "--end", "2025-04-02", "--out", "s3://lake/raw/company_id=1690/access.log"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := run(t, "ingest", "--json", "--out", "s3://lake/data", "s3://lake/raw/company_id=1690/")
	if err != nil || !strings.Contains(out, `"rows_written": 600`) || !strings.Contains(out, `"source": "s3://lake/raw/company_id=1690/access.log"`) {
		t.Fatalf("%v\n%s", err, out)
	}
	objs, _, err := srv.Client().List(context.Background(), "lake", "data/company_id=1690/date=", "", nil)
	if err != nil || len(objs) != 2 {
		t.Errorf("%v %+v", err, objs)
	}
	if out, err := run(t, "gen", "--companies", "7", "--rows-per-day", "10", "--start", "2025-04-01", "--end", "2025-04-03", "--out", "s3://lake/gen"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	objs, _, err = srv.Client().List(context.Background(), "lake", "gen/company_id=7/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 3 {
		t.Errorf("gen to S3: %+v", objs)
	}
}

// Every command closes what it opened: no DuckDB instance stays open in the
// process and nothing stays in LAMBDUCK_SCRATCH.
func TestCommandsLeaveNothingBehind(t *testing.T) {
	scratch := t.TempDir()
	t.Setenv("LAMBDUCK_SCRATCH", scratch)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	t.Setenv("LAMBDUCK_DATA", data)
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"company_id": "7", "start_date": "2025-04-01", "end_date": "2025-04-02", "report": "top_paths"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "company_id=8", "access.log")
	before := engine.LiveInstances()
	for _, args := range [][]string{
		{"gen", "--companies", "7", "--rows-per-day", "50", "--start", "2025-04-01", "--end", "2025-04-02", "--out", data},
		{"gen", "--companies", "7", "--rows-per-day", "50", "--start", "2025-04-01", "--end", "2025-04-02", "--out", data, "--seed", "2", "--append"},
		{"compact", "--all", "--threshold", "1", "--grace", "0s"},
		{"dashboard", "--company", "7", "--start", "2025-04-01", "--end", "2025-04-02", "-o", filepath.Join(dir, "dashboard.html")},
		{"gen", "--raw", "combined", "--companies", "8", "--rows-per-day", "50", "--start", "2025-04-01", "--end", "2025-04-01", "--out", log},
		{"ingest", filepath.Dir(log)},
		{"invoke", event},
		{"reports"},
		{"demo", "--dir", filepath.Join(dir, "demo")},
	} {
		if out, err := run(t, args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		if n := engine.LiveInstances(); n != before {
			t.Errorf("%s: %d DuckDB instances left open", args[0], n-before)
		}
		if left, err := os.ReadDir(scratch); err != nil || len(left) != 0 {
			t.Errorf("%s: scratch holds %v %v", args[0], left, err)
		}
	}
}

// Listing reports needs only the catalog: with an S3 data root and no AWS
// at all, it answers, and touches neither S3 nor scratch.
func TestReportsNeedsOnlyTheCatalog(t *testing.T) {
	scratch := filepath.Join(t.TempDir(), "scratch")
	t.Setenv("LAMBDUCK_SCRATCH", scratch)
	t.Setenv("LAMBDUCK_DATA", "s3://no-such-bucket/data/")
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
	out, err := run(t, "reports")
	if err != nil || !strings.Contains(out, "access_summary") {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := os.Stat(scratch); !os.IsNotExist(err) {
		t.Errorf("reports made the scratch folder: %v", err)
	}
}

// lambduck compact: the numbers stay, the files become one a day, and bad
// flags are clear errors.
func TestCompactCommand(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	t.Setenv("LAMBDUCK_DATA", data)
	for _, seed := range []string{"1", "2", "3"} {
		if out, err := run(t, "gen", "--companies", "7", "--rows-per-day", "100", "--start", "2025-04-01", "--end", "2025-04-02", "--seed", seed, "--append"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"company_id": "7", "start_date": "2025-04-01", "end_date": "2025-04-02"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	summary := func() string {
		t.Helper()
		out, _, err := run2(t, "invoke", event)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		i := strings.Index(out, `\"data\"`)
		files := regexp.MustCompile(`\\"files\\":(\d+)`).FindStringSubmatch(out)
		return out[i:] + " files " + files[1]
	}
	before := summary()
	out, err := run(t, "compact", "--company", "7", "--threshold", "2", "--grace", "0s", "--json")
	if err != nil || !strings.Contains(out, `"days_compacted": 2`) || !strings.Contains(out, `"files_removed": 6`) {
		t.Fatalf("%v\n%s", err, out)
	}
	after := summary()
	if strings.Replace(before, "files 6", "files 2", 1) != after {
		t.Errorf("before %s\nafter %s", before, after)
	}
	out, err = run(t, "compact", "--company", "7")
	if err != nil || !strings.Contains(out, "0 days of 2 days compacted") {
		t.Errorf("nothing left to do: %v\n%s", err, out)
	}
	for args, want := range map[string]string{
		"compact":                                "--company",
		"compact --all --company 7":              "--company",
		"compact --company 7 --start 2025-13-01": "--start",
		"compact --company 7 --start 2025-04-02 --end 2025-04-01": "before --start",
		"compact --company a/b":                                   "--company",
	} {
		if _, err := run(t, strings.Fields(args)...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", args, err, want)
		}
	}
}

// gen leaves an existing dataset alone unless told: with no flags it would
// write into the demo's folder and change the demo's numbers.
func TestGenRefusesADataset(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	args := []string{"gen", "--companies", "7", "--rows-per-day", "10", "--start", "2025-04-01", "--end", "2025-04-01", "--out", data}
	if out, err := run(t, args...); err != nil || !strings.Contains(out, "wrote 10 rows in 1 file ") {
		t.Fatalf("into an empty root: %v\n%s", err, out)
	}
	_, err := run(t, append(args, "--seed", "2")...)
	if err == nil || !strings.Contains(err.Error(), "already holds a dataset (1 company); --append adds to it") {
		t.Errorf("into a dataset: %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(data, "*", "*", "*")); len(files) != 1 {
		t.Errorf("the refused run wrote: %v", files)
	}
	if out, err := run(t, append(args, "--seed", "2", "--append")...); err != nil {
		t.Errorf("--append: %v\n%s", err, out)
	}
	if files, _ := filepath.Glob(filepath.Join(data, "*", "*", "*")); len(files) != 2 {
		t.Errorf("after --append: %v", files)
	}
	t.Setenv("LAMBDUCK_DATA", "")
	// With no --out and no LAMBDUCK_DATA, gen's root is the demo's: refused once the demo exists.
	t.Chdir(dir)
	if out, err := run(t, "demo"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := run(t, "gen"); err == nil || !strings.Contains(err.Error(), "already holds a dataset (3 companies)") {
		t.Errorf("gen with no flags after the demo: %v", err)
	}
	// A raw log is replaced only with --force.
	log := filepath.Join(dir, "access.log")
	raw := []string{"gen", "--raw", "combined", "--companies", "7", "--rows-per-day", "10", "--start", "2025-04-01", "--end", "2025-04-01", "--out", log}
	if out, err := run(t, raw...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := run(t, raw...); err == nil || !strings.Contains(err.Error(), "exists; --force replaces it") {
		t.Errorf("over a raw log: %v", err)
	}
	if out, err := run(t, append(raw, "--force")...); err != nil {
		t.Errorf("--force: %v\n%s", err, out)
	}
}

// The demo's folder made from a subfolder of the repository is ignored by
// git as the top one is.
func TestDemoFolderIgnoredAnywhere(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	for _, p := range []string{".lambduck/demo/data/x.parquet", "internal/cli/.lambduck/demo/dashboard.html"} {
		if out, err := exec.Command("git", "-C", "../..", "check-ignore", "-q", p).CombinedOutput(); err != nil {
			t.Errorf("%s is not ignored: %v %s", p, err, out)
		}
	}
}

// invoke prints for people and for scripts: a table with bandwidth in
// binary units, json, csv, ndjson, or the raw Lambda response (the default
// off a terminal), --pretty indenting the body too; errors and warnings on
// standard error with exit 1.
func TestInvokeOutputs(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	t.Setenv("LAMBDUCK_DATA", data)
	if out, err := run(t, "gen", "--companies", "7", "--rows-per-day", "200", "--start", "2025-04-01", "--end", "2025-04-02", "--out", data); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	event := func(s string) string {
		p := filepath.Join(t.TempDir(), "event.json")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	paths := event(`{"report": "top_paths", "company_id": "7", "start_date": "2025-04-01", "end_date": "2025-04-02", "params": {"limit": 3}}`)

	raw, _, err := run2(t, "invoke", paths)
	if err != nil || !strings.HasPrefix(raw, `{"statusCode":200,`) {
		t.Errorf("off a terminal the default is the raw response: %v\n%s", err, raw)
	}
	table, err := run(t, "invoke", "--format", "table", paths)
	if err != nil || !regexp.MustCompile(`(?m)^path +hits +unique_visitors +bandwidth$`).MatchString(table) ||
		!regexp.MustCompile(`\d+\.\d (KiB|MiB)`).MatchString(table) || !strings.Contains(table, "top_paths: 3 rows; read 2 files (") {
		t.Errorf("table: %v\n%s", err, table)
	}
	js, _, err := run2(t, "invoke", "--format", "json", paths)
	var body struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	if err != nil || json.Unmarshal([]byte(js), &body) != nil || len(body.Data) != 3 || !strings.Contains(js, "\n  \"columns\"") {
		t.Errorf("json: %v\n%s", err, js)
	}
	csvOut, _, err := run2(t, "invoke", "--format", "csv", paths)
	lines := strings.Split(strings.TrimSpace(csvOut), "\n")
	if err != nil || len(lines) != 4 || lines[0] != "path,hits,unique_visitors,bandwidth" {
		t.Errorf("csv: %v\n%s", err, csvOut)
	}
	nd, _, err := run2(t, "invoke", "--format", "ndjson", paths)
	lines = strings.Split(strings.TrimSpace(nd), "\n")
	var row map[string]any
	if err != nil || len(lines) != 3 || json.Unmarshal([]byte(lines[0]), &row) != nil || row["path"] != body.Data[0][0] {
		t.Errorf("ndjson: %v\n%s", err, nd)
	}
	pretty, _, err := run2(t, "invoke", "--raw", "--pretty", paths)
	var envelope struct {
		Body string `json:"body"`
	}
	if err != nil || json.Unmarshal([]byte(pretty), &envelope) != nil || !strings.Contains(envelope.Body, "\n  \"columns\": [") {
		t.Errorf("--pretty indents the body too: %v\n%s", err, pretty)
	}

	// A caller's mistake: exit 1, the status and the message on standard error.
	out, err := run(t, "invoke", "--format", "table", event(`{"report": "top_paths", "company_id": "7", "start_date": "2025-04-01", "end_date": "2025-04-02", "params": {"limit": -1}}`))
	var ec exitCode
	if !errors.As(err, &ec) || ec != 1 || !strings.Contains(out, "HTTP 400: params.limit: -1 is below the minimum 1") {
		t.Errorf("a negative limit: %v\n%s", err, out)
	}
	// The dashboard command warns too, and its page says so.
	page := filepath.Join(t.TempDir(), "d.html")
	if _, stderr, err := run2(t, "dashboard", "--company", "8", "--start", "2025-04-01", "--end", "2025-04-02", "-o", page); err != nil ||
		!strings.Contains(stderr, "warning: no data found for company_id 8 from 2025-04-01 to 2025-04-02") {
		t.Errorf("dashboard without data: %v\n%s", err, stderr)
	}
	if b, _ := os.ReadFile(page); !strings.Contains(string(b), `data-warning="no-data"`) {
		t.Errorf("the page has no notice")
	}
	// No data: the zeros, and a warning.
	out, err = run(t, "invoke", "--format", "table", event(`{"company_id": "8", "start_date": "2025-04-01", "end_date": "2025-04-02"}`))
	if err != nil || !strings.Contains(out, "warning: no data found for company_id 8 from 2025-04-01 to 2025-04-02") {
		t.Errorf("no data: %v\n%s", err, out)
	}
	if _, err := run(t, "invoke", "--format", "yaml", paths); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("--format yaml: %v", err)
	}
	// An export: where it went, in any mode but raw and json.
	outDir := t.TempDir()
	t.Setenv("LAMBDUCK_OUTPUT", outDir)
	exported := event(`{"report": "top_paths", "company_id": "7", "start_date": "2025-04-01", "end_date": "2025-04-02", "format": "csv"}`)
	for _, mode := range []string{"table", "csv", "ndjson"} {
		out, _, err := run2(t, "invoke", "--format", mode, exported)
		if err != nil || !regexp.MustCompile(`^top_paths: \d+ rows written to `+regexp.QuoteMeta(outDir)+`/\S+\.csv\n`).MatchString(out) {
			t.Errorf("an export, --format %s: %v\n%s", mode, err, out)
		}
	}
}

// An S3 event whose objects were all rejected is not a success.
func TestInvokeS3EventRejected(t *testing.T) {
	srv := s3test.Start(t, "logs")
	s3test.Env(t, srv)
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	t.Setenv("LAMBDUCK_DATA", t.TempDir())
	prose := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(prose, []byte("this is\nnot a log\nat all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := srv.Client().Upload(context.Background(), "logs", "company_id=7/notes.txt", prose); err != nil {
		t.Fatal(err)
	}
	ev := filepath.Join(t.TempDir(), "s3.json")
	os.WriteFile(ev, []byte(`{"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "logs"}, "object": {"key": "company_id%3D7/notes.txt", "size": 27}}}]}`), 0o644)
	out, err := run(t, "invoke", ev)
	var ec exitCode
	if !errors.As(err, &ec) || ec != 1 || !strings.Contains(out, "1 of 1 objects rejected") {
		t.Errorf("%v\n%s", err, out)
	}
}

// Settings: a bad log level is a configuration error like any other; every
// setting is in the root help; --version works on any command.
func TestSettingsHelpAndVersion(t *testing.T) {
	t.Setenv("LAMBDUCK_LOG_LEVEL", "loud")
	if _, err := run(t, "invoke", "--format", "json", "-"); err == nil || !strings.Contains(err.Error(), `LAMBDUCK_LOG_LEVEL: "loud" is not debug, info, warn or error`) {
		t.Errorf("LAMBDUCK_LOG_LEVEL=loud: %v", err)
	}
	t.Setenv("LAMBDUCK_LOG_LEVEL", "")
	help, err := run(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range config.Settings {
		if !strings.Contains(help, s[0]) {
			t.Errorf("the root help lacks %s", s[0])
		}
	}
	// Every LAMBDUCK_ variable the configuration reads is a listed setting.
	src, err := os.ReadFile("../config/config.go")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, s := range config.Settings {
		listed[s[0]] = true
	}
	for _, m := range regexp.MustCompile(`getenv(?:, )?\(?"(LAMBDUCK_[A-Z0-9_]+)"`).FindAllStringSubmatch(string(src), -1) {
		if !listed[m[1]] {
			t.Errorf("config reads %s, which config.Settings does not list", m[1])
		}
	}
	for _, args := range [][]string{{"--version"}, {"invoke", "--version"}, {"gen", "--version", "--raw", "nonsense"}} {
		out, err := run(t, args...)
		if !errors.Is(err, errVersionShown) || !regexp.MustCompile(`^lambduck \S+.*\nDuckDB v\d+\.\d+\.\d+`).MatchString(out) {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
}

// lambduck serve speaks the Function URL event format to a real HTTP client:
// query-string requests, a POST body, the dashboard page with its CSP, the
// function's 400s; it listens on loopback only unless told, and stops on
// its context.
func TestServe(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	data := filepath.Join(t.TempDir(), "data")
	t.Setenv("LAMBDUCK_DATA", data)
	if out, err := run(t, "gen", "--companies", "7", "--rows-per-day", "200", "--start", "2025-04-01", "--end", "2025-04-02", "--out", data); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, addr := range []string{"0.0.0.0:8080", "192.0.2.1:80", "[::]:8080"} {
		if _, err := run(t, "serve", "--addr", addr); err == nil || !strings.Contains(err.Error(), "--public") {
			t.Errorf("--addr %s: %v", addr, err)
		}
	}

	// A free port, then serve on it; the test waits until it answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	root := newRoot(&out, &out)
	root.SetArgs([]string{"serve", "--addr", addr, "--logs", "json"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve ended with %v", err)
		}
		if !strings.Contains(out.String(), "Serving "+data+" on http://"+addr+"/") {
			t.Errorf("serve's first line:\n%s", out.String())
		}
	}()
	base := "http://" + addr + "/"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(base); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not answer within 10 s")
		}
	}
	get := func(method, url, body string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	rng := "company_id=7&start_date=2025-04-01&end_date=2025-04-02"
	resp, body := get("GET", base+"?"+rng+"&report=top_paths&limit=2", "")
	var answer struct {
		Report string  `json:"report"`
		Data   [][]any `json:"data"`
		Params map[string]any
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(body), &answer) != nil ||
		answer.Report != "top_paths" || len(answer.Data) != 2 {
		t.Errorf("GET top_paths: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	resp, body = get("POST", base, `{"company_id": "7", "start_date": "2025-04-01", "end_date": "2025-04-02"}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"report":"access_summary"`) || !strings.Contains(body, `"data":[[400,`) {
		t.Errorf("POST: %d\n%s", resp.StatusCode, body)
	}
	resp, body = get("GET", base+"?"+rng+"&report=dashboard&format=html", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") || !strings.Contains(body, "<!DOCTYPE html>") {
		t.Errorf("dashboard: %d %v\n%.300s", resp.StatusCode, resp.Header, body)
	}
	resp, body = get("GET", base+"?"+rng+"&report=top_paths&limit=-1", "")
	if resp.StatusCode != 400 || !strings.Contains(body, "params.limit: -1 is below the minimum 1") {
		t.Errorf("a negative limit: %d\n%s", resp.StatusCode, body)
	}
	resp, body = get("GET", base+"?company_id=../8", "")
	if resp.StatusCode != 400 || !strings.Contains(body, "company_id") {
		t.Errorf("a bad company: %d\n%s", resp.StatusCode, body)
	}
}

// lambduck event writes events the function answers: for every report of
// the catalog and every report shape, the direct, Function URL and schedule
// events give the same data; S3 and SQS events decode to the object named.
func TestEvent(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	data := filepath.Join(t.TempDir(), "data")
	t.Setenv("LAMBDUCK_DATA", data)
	if out, err := run(t, "gen", "--companies", "7", "--rows-per-day", "100", "--start", "2025-04-01", "--end", "2025-04-02", "--out", data); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	reports := filepath.Join(t.TempDir(), "reports")
	os.Mkdir(reports, 0o755)
	os.WriteFile(filepath.Join(reports, "needs_day.sql"), []byte("-- param: day date\n-- param: n integer default 3\nSELECT $day AS day, $n AS n"), 0o644)
	t.Setenv("LAMBDUCK_REPORTS", reports)
	answer := func(ev string) (int, string) {
		t.Helper()
		p := filepath.Join(t.TempDir(), "event.json")
		os.WriteFile(p, []byte(ev), 0o644)
		out, _, _ := run2(t, "invoke", "--raw", p)
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal([]byte(out), &resp); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var body struct {
			Data      [][]any        `json:"data"`
			Dashboard map[string]any `json:"dashboard"`
			Error     string         `json:"error"`
		}
		json.Unmarshal([]byte(resp.Body), &body)
		if body.Dashboard != nil {
			b, _ := json.Marshal(body.Dashboard["summary"])
			return resp.StatusCode, string(b)
		}
		b, _ := json.Marshal(body.Data)
		return resp.StatusCode, string(b) + body.Error
	}
	for _, name := range []string{"access_summary", "access_daily", "top_paths", "not_found", "referrers", "hourly", "status_codes", "hello", "sales_cumulative", "dashboard"} {
		var first string
		for _, kind := range []string{"direct", "url", "schedule"} {
			ev, _, err := run2(t, "event", name, "--type", kind, "--company", "7", "--start", "2025-04-01", "--end", "2025-04-02")
			if err != nil {
				t.Fatalf("%s %s: %v", name, kind, err)
			}
			status, got := answer(ev)
			if status != 200 || got == "null" {
				t.Errorf("%s as %s: %d %s\n%s", name, kind, status, got, ev)
			}
			if first == "" {
				first = got
			} else if got != first {
				t.Errorf("%s as %s: %s, the direct event gave %s", name, kind, got, first)
			}
		}
	}
	// A required parameter is marked, and refused until it is filled in.
	ev, _, err := run2(t, "event", "needs_day")
	if err != nil || !strings.Contains(ev, `"day": "REQUIRED date"`) || !strings.Contains(ev, `"n": 3`) || strings.Contains(ev, "company_id") {
		t.Errorf("needs_day: %v\n%s", err, ev)
	}
	if status, got := answer(ev); status != 400 || !strings.Contains(got, "params.day") {
		t.Errorf("the unfilled event: %d %s", status, got)
	}
	for _, kind := range []string{"s3", "sqs"} {
		ev, _, err := run2(t, "event", "--type", kind, "--bucket", "logs", "--key", "company_id=7/alb/2025/04/01/x y.log.gz")
		if err != nil {
			t.Fatal(err)
		}
		var objs []request.CreatedObject
		if kind == "s3" {
			objs, err = request.S3Objects([]byte(ev))
		} else {
			msgs, merr := request.SQSMessages([]byte(ev))
			if err = merr; err == nil && len(msgs) == 1 {
				objs, err = msgs[0].Objects, msgs[0].Err
			}
		}
		if err != nil || len(objs) != 1 || objs[0].Bucket != "logs" || objs[0].Key != "company_id=7/alb/2025/04/01/x y.log.gz" {
			t.Errorf("%s: %v %+v\n%s", kind, err, objs, ev)
		}
	}
	for args, want := range map[string]string{
		"event nope":                "not a report here",
		"event --type kafka":        "--type",
		"event --company a/b":       "--company",
		"event top_paths --type s3": "names no report",
		"event --start 2025-04-31":  "--start",
	} {
		if _, _, err := run2(t, strings.Fields(args)...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", args, err, want)
		}
	}
}

// lambduck sql: the DuckDB CLI's convenience without its reach — the
// isolation attacks of the handler's suite fail through it, a plain query
// answers the company's numbers, and its flags are checked as an event is.
func TestSQL(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	data := filepath.Join(t.TempDir(), "data")
	t.Setenv("LAMBDUCK_DATA", data)
	if out, err := run(t, "gen", "--companies", "7,8", "--rows-per-day", "100", "--start", "2025-04-01", "--end", "2025-04-02", "--out", data); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rng := []string{"sql", "--company", "7", "--start", "2025-04-01", "--end", "2025-04-02"}
	out, _, err := run2(t, append(rng, "--format", "csv", "SELECT count(*) AS hits, count(DISTINCT company_id) AS companies, min(date) AS first FROM access_logs")...)
	if err != nil || out != "hits,companies,first\n200,1,2025-04-01\n" {
		t.Errorf("a plain query: %v\n%s", err, out)
	}
	other := filepath.Join(data, "company_id=8", "date=2025-04-01", "gen-1.parquet")
	attacks := testkit.Attacks(data, other, "8")
	for name, statement := range map[string]string{
		"attach":        "ATTACH '" + filepath.Join(t.TempDir(), "x.db") + "'",
		"copy_out":      "COPY (SELECT * FROM access_logs) TO '" + filepath.Join(t.TempDir(), "x.csv") + "'",
		"set":           "SET enable_external_access = true",
		"two":           "SELECT 1; SELECT * FROM read_parquet('" + other + "')",
		"unbound_param": "SELECT $limit",
	} {
		attacks[name] = statement
	}
	for name, attack := range attacks {
		stdout, stderr, err := run2(t, append(rng, "--format", "json", attack)...)
		var ec exitCode
		if !errors.As(err, &ec) || ec != 1 || !regexp.MustCompile(`HTTP (400|500): `).MatchString(stderr) || stdout != "" {
			t.Errorf("%s: %v\nstdout %s\nstderr %s", name, err, stdout, stderr)
		}
	}
	// From standard input; the no-data warning; flag errors.
	root := newRoot(new(bytes.Buffer), new(bytes.Buffer))
	var so, se bytes.Buffer
	root.SetOut(&so)
	root.SetErr(&se)
	root.SetIn(strings.NewReader("SELECT count(*) AS n FROM access_logs"))
	root.SetArgs([]string{"sql", "--company", "9", "--start", "2025-04-01", "--end", "2025-04-02", "--format", "csv", "-"})
	if err := root.Execute(); err != nil || so.String() != "n\n0\n" || !strings.Contains(se.String(), "warning: no data found for company_id 9") {
		t.Errorf("stdin: %v\n%s\n%s", err, so.String(), se.String())
	}
	for args, want := range map[string]string{
		"sql --start 2025-04-01 --end 2025-04-02 SELECT":                   "--company",
		"sql --company 7 --start 2025-04-31 --end 2025-05-02 SELECT":       "--start",
		"sql --company 7 --start 2025-04-01 --end 2025-04-02 --format x 1": "--format",
	} {
		if _, _, err := run2(t, strings.Fields(args)...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", args, err, want)
		}
	}
}

// README's commands table and the command line agree: every command is in
// the table and every command of the table exists, with a help text.
func TestReadmeCommandsTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	inReadme := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `lambduck ([a-z]+)").FindAllStringSubmatch(string(readme), -1) {
		inReadme[m[1]] = true
	}
	root := newRoot(new(bytes.Buffer), new(bytes.Buffer))
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if !inReadme[c.Name()] {
			t.Errorf("README's commands table lacks %s", c.Name())
		}
		if len(c.Long) < 100 {
			t.Errorf("%s has no help text", c.Name())
		}
		delete(inReadme, c.Name())
	}
	for name := range inReadme {
		t.Errorf("README names lambduck %s, which does not exist", name)
	}
}

// The same log ingested twice under two names (a file, then standard input)
// is seen, listed, and undone with sources --remove — also on a compacted
// day, where the rows go by a new compaction.
func TestSourcesSameBytesAndRemove(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	t.Setenv("LAMBDUCK_DATA", data)
	log := filepath.Join(dir, "company_id=7", "access.log")
	if out, err := run(t, "gen", "--raw", "combined", "--companies", "7", "--rows-per-day", "200", "--start", "2025-04-01", "--end", "2025-04-02", "--out", log); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	other := filepath.Join(dir, "company_id=7", "other.log")
	if out, err := run(t, "gen", "--raw", "combined", "--companies", "7", "--rows-per-day", "50", "--start", "2025-04-02", "--end", "2025-04-03", "--seed", "2", "--out", other); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	hits := func() string {
		t.Helper()
		out, _, err := run2(t, "sql", "--company", "7", "--start", "2025-04-01", "--end", "2025-04-03", "--format", "csv", "SELECT count(*) AS n FROM access_logs")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(strings.TrimPrefix(out, "n\n"))
	}
	if out, err := run(t, "ingest", log, other); err != nil || strings.Contains(out, "same bytes") {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := hits(); n != "500" {
		t.Fatalf("%s rows after the first ingest, want 500", n)
	}
	// The same bytes again, through standard input: ingested (it is a
	// different source), with a warning naming the first.
	b, _ := os.ReadFile(log)
	root := newRoot(new(bytes.Buffer), new(bytes.Buffer))
	var so bytes.Buffer
	root.SetOut(&so)
	root.SetErr(&so)
	root.SetIn(bytes.NewReader(b))
	root.SetArgs([]string{"ingest", "--company", "7", "-"})
	if err := root.Execute(); err != nil || !strings.Contains(so.String(), "warning: the same bytes were ingested before as "+log) {
		t.Fatalf("stdin: %v\n%s", err, so.String())
	}
	if n := hits(); n != "900" {
		t.Fatalf("%s rows, want 900 (the log counted twice)", n)
	}
	// Compact day 1, so that one source's rows are inside a compaction.
	if out, err := run(t, "compact", "--company", "7", "--threshold", "1", "--grace", "0s"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var list []ingest.SourceInfo
	out, _, err := run2(t, "sources", "--company", "7", "--json")
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 3 {
		t.Fatalf("sources: %v\n%s", err, out)
	}
	stdinID := ""
	for _, s := range list {
		if !s.Recorded || s.Format != "combined" || len(s.DataDays) == 0 {
			t.Errorf("%+v", s)
		}
		if strings.HasPrefix(s.Identity, "stdin:") || !strings.HasPrefix(s.Identity, "/") {
			stdinID = s.ID
			if len(s.SameAs) != 1 || s.Rows != 400 || strings.Join(s.DataDays, ",") != "2025-04-01,2025-04-02" {
				t.Errorf("the stdin source: %+v", s)
			}
		}
	}
	table, _, _ := run2(t, "sources", "--company", "7")
	if !strings.Contains(table, "same bytes as") || !strings.Contains(table, log) {
		t.Errorf("the table:\n%s", table)
	}
	out, _, err = run2(t, "sources", "--company", "7", "--remove", stdinID)
	if err != nil || !strings.Contains(out, "removed "+stdinID+" from 2 days of company 7") {
		t.Fatalf("--remove: %v\n%s", err, out)
	}
	if n := hits(); n != "500" {
		t.Errorf("%s rows after --remove, want 500", n)
	}
	out, _, _ = run2(t, "sources", "--company", "7", "--json")
	var after []ingest.SourceInfo
	if json.Unmarshal([]byte(out), &after) != nil || len(after) != 2 || len(after[0].SameAs)+len(after[1].SameAs) != 0 {
		t.Errorf("after --remove: %s", out)
	}
	for args, want := range map[string]string{
		"sources":                             "--company",
		"sources --company 7 --remove nope":   "no source",
		"sources --company 7 --remove a/../b": "no source",
	} {
		if _, _, err := run2(t, strings.Fields(args)...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", args, err, want)
		}
	}
}

// A data root that does not exist: exit 2, the message naming the variable.
func TestMissingDataRootExits2(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	t.Setenv("LAMBDUCK_DATA", filepath.Join(t.TempDir(), "dtaa"))
	ev := filepath.Join(t.TempDir(), "e.json")
	os.WriteFile(ev, []byte(`{"company_id": "7", "start_date": "2025-04-01", "end_date": "2025-04-02"}`), 0o644)
	if code := Main([]string{"invoke", "--logs", "json", ev}); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if _, _, err := run2(t, "invoke", ev); err == nil || !strings.HasPrefix(err.Error(), "LAMBDUCK_DATA: the folder ") {
		t.Errorf("%v", err)
	}
}

// --logs text gives short lines for a person (no time, logfmt); json the
// function's JSON lines; anything else is refused.
func TestLogFormats(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	data := filepath.Join(t.TempDir(), "data")
	os.Mkdir(data, 0o755)
	t.Setenv("LAMBDUCK_DATA", data)
	ev := filepath.Join(t.TempDir(), "e.json")
	os.WriteFile(ev, []byte(`{"company_id": "7", "start_date": "2025-04-01", "end_date": "2025-04-02"}`), 0o644)
	_, stderr, err := run2(t, "invoke", "--logs", "text", "--format", "json", ev)
	if err != nil || !regexp.MustCompile(`(?m)^level=WARN msg="no data found for company_id 7 from 2025-04-01 to 2025-04-02" request_id=local-\w+ data=`).MatchString(stderr) || strings.Contains(stderr, "time=") {
		t.Errorf("text: %v\n%s", err, stderr)
	}
	_, stderr, err = run2(t, "invoke", "--logs", "json", "--format", "json", ev)
	if err != nil || !strings.Contains(stderr, `{"time":"`) || !strings.Contains(stderr, `"level":"WARN","msg":"no data found`) {
		t.Errorf("json: %v\n%s", err, stderr)
	}
	t.Setenv("LAMBDUCK_LOG_FORMAT", "text")
	if _, stderr, _ = run2(t, "invoke", "--format", "json", ev); !strings.HasPrefix(stderr, "level=WARN") {
		t.Errorf("LAMBDUCK_LOG_FORMAT=text:\n%s", stderr)
	}
	if _, _, err := run2(t, "invoke", "--logs", "xml", ev); err == nil || !strings.Contains(err.Error(), "--logs") {
		t.Errorf("--logs xml: %v", err)
	}
	t.Setenv("LAMBDUCK_LOG_FORMAT", "xml")
	if _, _, err := run2(t, "invoke", ev); err == nil || !strings.Contains(err.Error(), "LAMBDUCK_LOG_FORMAT") {
		t.Errorf("LAMBDUCK_LOG_FORMAT=xml: %v", err)
	}
}

// reports says which report is the default, each parameter's bounds, and
// what the columns mean where their names do not say it all.
func TestReportsListing(t *testing.T) {
	out, _, err := run2(t, "reports")
	for _, want := range []string{"access_summary (default)", "limit integer=20 (1…1000000)", "dashboard ",
		"unique_visitors  distinct (client_ip, date, user_agent) among requests not answered 4xx, as GoAccess counts them",
		`An event without "report" runs access_summary.`,
		"Large requests fan out over invocations for the reports that declare a merge: access_daily, access_summary, hourly, not_found, referrers, status_codes, top_paths."} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("reports lacks %q: %v\n%s", want, err, out)
		}
	}
	js, _, err := run2(t, "reports", "--json")
	var list []struct {
		Name    string `json:"name"`
		Default bool   `json:"default"`
		Params  []struct {
			Bounds string `json:"bounds"`
		} `json:"params"`
		Columns []struct{ Name, Meaning string } `json:"columns"`
		Merge   string                           `json:"merge"`
	}
	if err != nil || json.Unmarshal([]byte(js), &list) != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	for _, r := range list {
		if r.Default != (r.Name == "access_summary") {
			t.Errorf("%s: default %v", r.Name, r.Default)
		}
		if r.Name == "top_paths" && (len(r.Params) != 1 || r.Params[0].Bounds != "1…1000000" || len(r.Columns) != 2 ||
			r.Merge != "sum by path; order by hits desc, path; limit $limit") {
			t.Errorf("top_paths: %+v", r)
		}
	}
}

// On a terminal (a pseudo-terminal here), invoke prints a table and the
// logs are short text lines, with no flag; the same command into a pipe
// prints the raw response (TestInvokeOutputs).
func TestInvokeOnATerminal(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	data := filepath.Join(t.TempDir(), "data")
	t.Setenv("LAMBDUCK_DATA", data)
	if out, err := run(t, "gen", "--companies", "7", "--rows-per-day", "100", "--start", "2025-04-01", "--end", "2025-04-01", "--out", data); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	ev := filepath.Join(t.TempDir(), "e.json")
	os.WriteFile(ev, []byte(`{"company_id": "7", "start_date": "2025-04-01", "end_date": "2025-04-02"}`), 0o644)
	onTerminal := func(args ...string) (string, error) {
		t.Helper()
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal here: %v", err)
		}
		defer ptmx.Close()
		var screen bytes.Buffer
		read := make(chan struct{})
		go func() { io.Copy(&screen, ptmx); close(read) }()
		root := newRoot(tty, tty)
		root.SetArgs(args)
		err = root.Execute()
		tty.Close()
		<-read
		return strings.ReplaceAll(screen.String(), "\r\n", "\n"), err
	}
	out, err := onTerminal("invoke", ev)
	if err != nil || !regexp.MustCompile(`(?m)^hits +unique_visitors +bandwidth +unique_paths`).MatchString(out) ||
		!strings.Contains(out, "access_summary: 1 row; read 1 file (") || strings.Contains(out, `"statusCode"`) {
		t.Errorf("on a terminal: %v\n%s", err, out)
	}
	os.WriteFile(ev, []byte(`{"company_id": "8", "start_date": "2025-04-01", "end_date": "2025-04-02"}`), 0o644)
	out, err = onTerminal("invoke", ev)
	if err != nil || !strings.Contains(out, `level=WARN msg="no data found for company_id 8`) || strings.Contains(out, `{"time"`) {
		t.Errorf("the log on a terminal: %v\n%s", err, out)
	}
}

// lambduck job runs a schedule's job by hand: the period from --at, every
// company's outputs, a rerun that writes nothing, flags named in errors.
func TestJobCommand(t *testing.T) {
	t.Setenv("LAMBDUCK_SCRATCH", t.TempDir())
	dir := t.TempDir()
	data, out := filepath.Join(dir, "data"), filepath.Join(dir, "out")
	t.Setenv("LAMBDUCK_DATA", data)
	t.Setenv("LAMBDUCK_OUTPUT", out)
	if o, err := run(t, "gen", "--companies", "7,8", "--rows-per-day", "50", "--start", "2025-04-29", "--end", "2025-05-01"); err != nil {
		t.Fatalf("%v\n%s", err, o)
	}
	args := []string{"job", "--period", "previous_month", "--at", "2025-05-01T00:05:00Z", "--reports", "dashboard,top_paths",
		"--formats", "html,csv", "--param", "limit=3"}
	o, err := run(t, args...)
	if err != nil || !strings.Contains(o, "2025-04 (2025-04-01 to 2025-04-30): 2 companies with data; 4 files written, 0 already there") {
		t.Fatalf("%v\n%s", err, o)
	}
	for _, f := range []string{"company_id=7/dashboard.html", "company_id=8/top_paths.csv", "index.html", "index.json"} {
		if _, err := os.Stat(filepath.Join(out, "scheduled", "2025-04", f)); err != nil {
			t.Error(err)
		}
	}
	if o, err := run(t, args...); err != nil || !strings.Contains(o, "0 files written, 4 already there") {
		t.Errorf("rerun: %v\n%s", err, o)
	}
	// The same job as the schedule sends it, through invoke.
	ev := filepath.Join(dir, "job.json")
	os.WriteFile(ev, []byte(`{"job": {"period": "previous_month", "reports": ["top_paths"], "formats": ["csv"], "companies": ["*"],
		"params": {"limit": 3}, "at": "2025-05-01T00:05:00Z"}}`), 0o644)
	if o, _, err := run2(t, "invoke", "--format", "table", ev); err != nil || !strings.Contains(o, `\"files_skipped\": 2`) {
		t.Errorf("invoke of a job event: %v\n%s", err, o)
	}
	for _, c := range []struct{ args, want string }{
		{"job --period yesterday --reports top_paths --formats csv", "--period: "},
		{"job --period previous_day --reports top_paths --formats xls", "--formats: "},
		{"job --period previous_day --reports top_paths --formats csv --at noon", "--at: "},
		{"job --period previous_day --reports top_paths --formats csv --param lang=ja", "--param lang: "},
		{"job --period previous_day --reports top_paths --formats csv --companies ../x", "--companies: "},
	} {
		_, err := run(t, strings.Fields(c.args)...)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v, want %s…", c.args, err, c.want)
		}
	}
}

// A fanned-out answer's table says over how many shards it was read.
func TestTableFooterShowsShards(t *testing.T) {
	var b strings.Builder
	res := &handler.Result{Report: "access_summary", Columns: []string{"hits"}, Rows: [][]any{{int64(5)}}, RowCount: 1,
		Stats: handler.Stats{Files: 30, BytesRead: 1 << 20, DurationMS: 12.5, Shards: 3, Workers: 3, Retries: 1}}
	if err := printAnswer(&b, res, "table"); err != nil || !strings.Contains(b.String(), "read 30 files (1.0 MiB) over 3 shards (3 workers at once, 1 retry) in 12.5 ms.") {
		t.Errorf("%v\n%s", err, b.String())
	}
}
