package main

// These tests run the real binary under the real AWS Lambda Runtime Interface
// Emulator (aws-lambda-rie), as the seed article's local test does with
// Docker. The README's test command installs the emulator and sets
// LAMBDUCK_RIE; without it the tests skip, unless LAMBDUCK_INTEGRATION=1
// (set by the test command and CI), where a missing emulator is a failure.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	_ "github.com/duckdb/duckdb-go/v2"

	"lambduck/internal/engine"
	"lambduck/internal/gen"
	"lambduck/internal/rie"
	"lambduck/internal/s3test"
	"lambduck/internal/storage"
	"lambduck/internal/testkit"
)

var (
	work      string // test root, readable by the unprivileged user the function runs as
	bootstrap string // the built binary
	dataRoot  string
	rieBin    string
)

func TestMain(m *testing.M) {
	rieBin = os.Getenv("LAMBDUCK_RIE")
	// Every test writes under work, made even when the emulator tests
	// skip, so that no test ever writes into the source tree.
	var err error
	if work, err = os.MkdirTemp("", "lambduck-rie-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	switch {
	case rieBin != "":
		if err := setup(); err != nil {
			fmt.Fprintln(os.Stderr, "emulator test setup:", err)
			os.Exit(1)
		}
	case os.Getenv("LAMBDUCK_INTEGRATION") == "1":
		fmt.Fprintln(os.Stderr, "LAMBDUCK_INTEGRATION=1 but LAMBDUCK_RIE is not set: run the tests with the README's test command")
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(work)
	os.Exit(code)
}

func setup() error {
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	// The binary under test is the one that ships (make bootstrap), copied
	// where the unprivileged user can run it; without it, a plain build.
	bootstrap = filepath.Join(work, "bootstrap")
	build := exec.Command("go", "build", "-o", bootstrap, ".")
	if shipped := os.Getenv("LAMBDUCK_BOOTSTRAP"); shipped != "" {
		build = exec.Command("cp", shipped, bootstrap)
	}
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the binary: %w", err)
	}
	if err := os.Chmod(bootstrap, 0o755); err != nil {
		return err
	}
	dataRoot = filepath.Join(work, "data")
	eng, err := engine.New(engine.Settings{Scratch: filepath.Join(work, "gen-scratch")})
	if err != nil {
		return err
	}
	defer eng.Close()
	_, err = gen.Parquet(context.Background(), eng, gen.Options{
		Root: storage.Folder(dataRoot), Companies: []string{"1690", "1691"},
		Start: date("2025-03-30"), End: date("2025-05-01"), RowsPerDay: 1000, Seed: 3, TimeZone: time.UTC,
	}, nil)
	if err != nil {
		return err
	}
	return filepath.WalkDir(work, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = os.Chmod(p, 0o755)
		}
		return err
	})
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// emulator is one aws-lambda-rie process running the binary.
type emulator struct {
	*rie.Emulator
	scratch string
}

// startEmulator runs the binary under the emulator the way Lambda would:
// HOME unset, a working directory it cannot write, only the variables named
// here (none of the machine's AWS_* ones), and — when the tests run as root —
// as the unprivileged user nobody, so "read-only" is enforced by the kernel.
func startEmulator(t *testing.T, env map[string]string) *emulator {
	t.Helper()
	if rieBin == "" {
		t.Skip("LAMBDUCK_RIE is not set (the README's test command installs the emulator and sets it)")
	}
	readOnly := filepath.Join(work, fmt.Sprintf("task-%d", time.Now().UnixNano()))
	os.Mkdir(readOnly, 0o555)
	if err := os.Chmod(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	scratch, err := os.MkdirTemp(work, "scratch-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(scratch, 0o777); err != nil {
		t.Fatal(err)
	}
	o := rie.Options{Emulator: rieBin, Bootstrap: bootstrap, Dir: readOnly, Env: []string{
		"LAMBDUCK_DATA=" + dataRoot,
		"LAMBDUCK_SCRATCH=" + scratch,
		"AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
		"AWS_REGION=us-east-1",
	}}
	for k, v := range env {
		o.Env = append(o.Env, k+"="+v)
	}
	if os.Geteuid() == 0 {
		o.As = &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	em, err := rie.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		em.Stop()
		if t.Failed() {
			t.Logf("emulator output:\n%s", em.Output())
		}
	})
	return &emulator{Emulator: em, scratch: scratch}
}

// waitForLines waits until the emulator has passed on n lines holding
// substr: it forwards the function's output asynchronously, so the last
// lines can arrive just after the last response.
func (e *emulator) waitForLines(t *testing.T, substr string, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); strings.Count(e.Output(), substr) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return // the caller's own check reports what is missing
		}
	}
}

// response is the function's return value with its body decoded.
type response struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	body       struct {
		Error    string   `json:"error"`
		Columns  []string `json:"columns"`
		Data     [][]any  `json:"data"`
		RowCount int64    `json:"row_count"`
		Stats    struct {
			Files     int   `json:"files"`
			BytesRead int64 `json:"bytes_read"`
		} `json:"stats"`
	}
}

func decode(t *testing.T, raw []byte) response {
	t.Helper()
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("the function returned %q: %v", raw, err)
	}
	if err := json.Unmarshal([]byte(r.Body), &r.body); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return r
}

// post invokes the function as the seed's README does: curl -XPOST …/invocations -d @event.json.
func (e *emulator) post(t *testing.T, event string) response {
	t.Helper()
	raw, err := e.Invoke(event)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, raw)
}

// sdkClient is aws-sdk-go-v2's Lambda client pointed at the emulator. It is
// built from explicit options, so nothing of the machine's AWS_* environment
// (AWS_CA_BUNDLE among them) reaches it.
func (e *emulator) sdkClient() *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(e.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
}

func (e *emulator) invoke(t *testing.T, event string) response {
	t.Helper()
	out, err := e.sdkClient().Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("function"),
		Payload:      []byte(event),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil {
		t.Fatalf("function error %s: %s", *out.FunctionError, out.Payload)
	}
	return decode(t, out.Payload)
}

// independentSummary computes access_summary's figures from the files with a
// plain DuckDB in the test process.
func independentSummary(t *testing.T, company, from, to string) string {
	t.Helper()
	v, err := testkit.AccessSummary(dataRoot, company, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(v[:])
}

func asInts(row []any) string {
	out := make([]int64, len(row))
	for i, v := range row {
		f, _ := v.(float64)
		out[i] = int64(f)
	}
	return fmt.Sprint(out)
}

const seedEvent = `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30"}`

func TestEmulatorSeedEvent(t *testing.T) {
	e := startEmulator(t, nil)
	want := independentSummary(t, "1690", "2025-04-01", "2025-04-30")
	for name, call := range map[string]func(*testing.T, string) response{"http": e.post, "sdk": e.invoke} {
		t.Run(name, func(t *testing.T) {
			r := call(t, seedEvent)
			if r.StatusCode != 200 || r.Headers["Content-Type"] != "application/json" {
				t.Fatalf("%d %v %s", r.StatusCode, r.Headers, r.Body)
			}
			if len(r.body.Data) != 1 || asInts(r.body.Data[0]) != want {
				t.Errorf("data %v, independent query %s", r.body.Data, want)
			}
			matches, err := filepath.Glob(filepath.Join(dataRoot, "company_id=1690", "date=2025-04-*", "*.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			if r.body.Stats.Files != len(matches) || len(matches) != 30 {
				t.Errorf("stats.files %d, want the %d files of April", r.body.Stats.Files, len(matches))
			}
			r = call(t, `{"report": "hello"}`)
			if fmt.Sprint(r.body.Data) != "[[hello 123]]" {
				t.Errorf("hello: %s", r.Body)
			}
			r = call(t, `{"report": "sales_cumulative"}`)
			var running []float64
			for _, row := range r.body.Data {
				running = append(running, row[2].(float64))
			}
			if fmt.Sprint(running) != "[1000 2500 4500]" {
				t.Errorf("sales_cumulative running totals %v: %s", running, r.Body)
			}
		})
	}
	if !regexp.MustCompile(`Init Duration: [0-9.]+ ms`).MatchString(e.Output()) {
		t.Errorf("no Init Duration reported by the emulator")
	}
	// Lambda-safety: the function ran without HOME in a folder it cannot
	// write, and left nothing in its scratch folder.
	if left := testkit.Leftovers(e.scratch); len(left) != 0 {
		t.Errorf("scratch not empty after the requests: %v", left)
	}
}

func TestEmulatorBadInputThenValid(t *testing.T) {
	e := startEmulator(t, map[string]string{"LAMBDUCK_MAX_DAYS": "62"})
	good := e.post(t, seedEvent)
	cases := []struct {
		event   string
		status  int
		mention string
	}{
		{`{"company_id": "1690", "start_date": "2025-04-01",`, 400, "event"},
		{`{"company_id": ["1690"], "start_date": "2025-04-01", "end_date": "2025-04-30"}`, 400, "company_id"},
		{`{"start_date": "2025-04-01", "end_date": "2025-04-30"}`, 400, "company_id"},
		{`{"company_id": "1690' OR '1'='1", "start_date": "2025-04-01", "end_date": "2025-04-30"}`, 400, "company_id"},
		{`{"company_id": "../1691", "start_date": "2025-04-01", "end_date": "2025-04-30"}`, 400, "company_id"},
		{`{"company_id": "` + strings.Repeat("x", 65) + `", "start_date": "2025-04-01", "end_date": "2025-04-30"}`, 400, "company_id"},
		{`{"company_id": "1690", "start_date": "2025-02-30", "end_date": "2025-04-30"}`, 400, "start_date"},
		{`{"company_id": "1690", "start_date": "2025/04/01", "end_date": "2025-04-30"}`, 400, "start_date"},
		{`{"company_id": "1690", "start_date": "2025-04-30", "end_date": "2025-04-01"}`, 400, "end_date"},
		{`{"company_id": "1690", "start_date": "2025-01-01", "end_date": "2025-04-30"}`, 400, "LAMBDUCK_MAX_DAYS"},
		{`{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30", "report": "nope"}`, 404, "nope"},
		{`{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30", "report": "top_paths", "params": {"top": 3}}`, 400, "params.top"},
		{`{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30", "report": "top_paths", "params": {"limit": "three"}}`, 400, "params.limit"},
		{`{"company_id": "1690", "params": {"pad": "` + strings.Repeat("A", 5<<20) + `"}}`, 400, "event"},
	}
	for _, c := range cases {
		name := c.event
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			r := e.post(t, c.event)
			if r.StatusCode != c.status || !strings.Contains(r.body.Error, c.mention) {
				t.Errorf("got %d %q, want %d mentioning %q", r.StatusCode, r.body.Error, c.status, c.mention)
			}
			after := e.post(t, seedEvent)
			if after.StatusCode != 200 || fmt.Sprint(after.body.Data) != fmt.Sprint(good.body.Data) {
				t.Errorf("next valid request: %d %s", after.StatusCode, after.Body)
			}
		})
	}
}

func TestEmulatorIsolationAndDeadline(t *testing.T) {
	reports := filepath.Join(work, "reports")
	if err := os.MkdirAll(reports, 0o755); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dataRoot, "company_id=1691", "date=2025-04-01", "gen-3.parquet")
	if err := os.WriteFile(filepath.Join(reports, "steal.sql"), []byte(
		"-- description: reads another tenant's file directly\nSELECT client_ip, path FROM read_parquet('"+other+"')"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(reports, "forever.sql"), []byte(
		"SELECT count(*) AS n FROM range(1000000000000) a, access_logs"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startEmulator(t, map[string]string{"LAMBDUCK_REPORTS": reports, "AWS_LAMBDA_FUNCTION_TIMEOUT": "4"})

	r := e.post(t, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-01", "report": "steal"}`)
	if r.StatusCode != 500 || r.body.Data != nil || strings.Contains(r.Body, "client_ip") {
		t.Errorf("isolation: %d %s", r.StatusCode, r.Body)
	}

	began := time.Now()
	r = e.post(t, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30", "report": "forever"}`)
	if r.StatusCode != 504 || time.Since(began) > 4*time.Second {
		t.Errorf("deadline: %d after %v: %s", r.StatusCode, time.Since(began), r.Body)
	}
	if r := e.post(t, seedEvent); r.StatusCode != 200 {
		t.Errorf("after the 504: %d %s", r.StatusCode, r.Body)
	}
	if left := testkit.Leftovers(e.scratch); len(left) != 0 {
		t.Errorf("scratch not empty: %v", left)
	}
	// Every log line the function wrote is JSON and carries the request id.
	e.waitForLines(t, `"msg":"request done"`, 3)
	sc := bufio.NewScanner(strings.NewReader(e.Output()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue // the emulator's own lines
		}
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("log line is not JSON: %s", line)
			continue
		}
		if entry["msg"] == "request done" {
			n++
			if entry["request_id"] == "" || entry["request_id"] == nil {
				t.Errorf("no request id: %s", line)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d request log lines for 3 requests", n)
	}
}

// The function reading its data from a real S3 server: the second of two
// identical requests stages nothing; an overwritten object is fetched again.
func TestEmulatorS3WarmCache(t *testing.T) {
	if rieBin == "" {
		t.Skip("LAMBDUCK_RIE is not set")
	}
	srv := s3test.Start(t, "lake")
	c := srv.Client()
	if err := c.UploadTree(context.Background(), dataRoot, "lake", "data/"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LAMBDUCK_DATA": "s3://lake/data/"}
	for _, kv := range srv.EnvList() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	e := startEmulator(t, env)
	stats := func(r response) (downloaded, read int64, reused bool) {
		var b struct {
			Stats struct {
				BytesDownloaded *int64 `json:"bytes_downloaded"`
				BytesRead       int64  `json:"bytes_read"`
				InstanceReused  bool   `json:"instance_reused"`
			} `json:"stats"`
		}
		if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
			t.Fatal(err)
		}
		if b.Stats.BytesDownloaded == nil {
			t.Fatalf("no bytes_downloaded: %s", r.Body)
		}
		return *b.Stats.BytesDownloaded, b.Stats.BytesRead, b.Stats.InstanceReused
	}
	want := independentSummary(t, "1690", "2025-04-01", "2025-04-30")
	first := e.post(t, seedEvent)
	d1, read, reused1 := stats(first)
	second := e.invoke(t, seedEvent)
	d2, _, reused2 := stats(second)
	if first.StatusCode != 200 || asInts(first.body.Data[0]) != want || d1 != read || d1 == 0 || reused1 {
		t.Errorf("cold: %d downloaded of %d, instance reused %v; %s", d1, read, reused1, first.Body)
	}
	// Warm: nothing downloaded, and the same files run in the same DuckDB instance.
	if d2 != 0 || asInts(second.body.Data[0]) != want || !reused2 {
		t.Errorf("warm: %d bytes downloaded (want 0), instance reused %v (want true); %s", d2, reused2, second.Body)
	}
	// Overwrite one day's object: that object, and only it, is fetched again.
	replacement := filepath.Join(dataRoot, "company_id=1691", "date=2025-04-10", "gen-3.parquet")
	if err := c.Upload(context.Background(), "lake", "data/company_id=1690/date=2025-04-10/gen-3.parquet", replacement); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(replacement)
	if err != nil {
		t.Fatal(err)
	}
	third := e.post(t, seedEvent)
	d3, _, reused3 := stats(third)
	if d3 != info.Size() || reused3 {
		t.Errorf("after an overwrite: %d bytes downloaded (want %d), instance reused %v (want false)", d3, info.Size(), reused3)
	}
	if asInts(third.body.Data[0]) == want {
		t.Errorf("after an overwrite: the same numbers as before: %v", third.body.Data[0])
	}
}

// A data root that does not exist fails the function's Init, with the
// reason in the log: a typo must not answer every report with zeros.
func TestEmulatorMissingDataRootFailsInit(t *testing.T) {
	missing := filepath.Join(work, "no-such-data")
	e := startEmulator(t, map[string]string{"LAMBDUCK_DATA": missing})
	raw, err := e.Invoke(seedEvent)
	if err == nil && strings.Contains(string(raw), `"statusCode":200`) {
		t.Fatalf("answered %s", raw)
	}
	e.waitForLines(t, "start-up failed", 1)
	if out := e.Output(); !strings.Contains(out, `"msg":"start-up failed"`) || !strings.Contains(out, "LAMBDUCK_DATA: the folder "+missing+" does not exist") {
		t.Errorf("the log:\n%s", out)
	}
}
