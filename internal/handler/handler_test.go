package handler

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"lambduck/internal/config"
	"lambduck/internal/engine"
	"lambduck/internal/gen"
	"lambduck/internal/storage"
	"lambduck/internal/testkit"
)

// dataset is generated once for the package: three companies over nine days.
var dataset string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambduck-handler-")
	if err != nil {
		panic(err)
	}
	dataset = filepath.Join(dir, "data")
	eng, err := engine.New(engine.Settings{Scratch: filepath.Join(dir, "scratch")})
	if err != nil {
		panic(err)
	}
	_, err = gen.Parquet(context.Background(), eng, gen.Options{
		Root: storage.Folder(dataset), Companies: []string{"1690", "1691", "2001"},
		Start: day("2025-03-28"), End: day("2025-04-05"), RowsPerDay: 700, Seed: 7, TimeZone: time.UTC,
	}, nil)
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func testConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.FromEnv(func(string) string { return "" }, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data = dataset
	cfg.Scratch = t.TempDir()
	return cfg
}

func newHandler(t *testing.T, cfg config.Config) *Handler {
	t.Helper()
	h, err := New(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type body struct {
	Error     string          `json:"error"`
	RequestID string          `json:"request_id"`
	Report    string          `json:"report"`
	Columns   []string        `json:"columns"`
	Data      [][]any         `json:"data"`
	RowCount  int64           `json:"row_count"`
	Location  string          `json:"location"`
	Params    map[string]any  `json:"params"`
	Stats     json.RawMessage `json:"stats"`
	Warnings  []string        `json:"warnings"`
	stats     struct {
		Files     int   `json:"files"`
		BytesRead int64 `json:"bytes_read"`
	}
}

func call(t *testing.T, h *Handler, event string) (int, body) {
	t.Helper()
	return callCtx(t, context.Background(), h, event)
}

func callCtx(t *testing.T, ctx context.Context, h *Handler, event string) (int, body) {
	t.Helper()
	resp := h.Handle(ctx, []byte(event))
	if resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("headers %v", resp.Headers)
	}
	var b body
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, resp.Body)
	}
	if b.Stats != nil {
		if err := json.Unmarshal(b.Stats, &b.stats); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, b
}

// independent computes access_summary's figures straight from the files with
// a plain DuckDB, no lambduck code involved, as the response's JSON numbers.
func independent(t *testing.T, company, from, to string) []any {
	t.Helper()
	v, err := testkit.AccessSummary(dataset, company, from, to)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(v))
	for i, n := range v {
		out[i] = float64(n)
	}
	return out
}

func filesUnder(t *testing.T, company string, days ...string) (n int, size int64) {
	t.Helper()
	for _, d := range days {
		matches, err := filepath.Glob(filepath.Join(dataset, "company_id="+company, "date="+d, "*.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			info, err := os.Stat(m)
			if err != nil {
				t.Fatal(err)
			}
			n++
			size += info.Size()
		}
	}
	return n, size
}

const seedEvent = `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03"}`

func TestSeedEventMatchesIndependentQuery(t *testing.T) {
	h := newHandler(t, testConfig(t))
	status, b := call(t, h, seedEvent)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b.Error)
	}
	wantCols := []string{"hits", "unique_visitors", "bandwidth", "unique_paths", "not_found_hits", "error_hits"}
	if fmt.Sprint(b.Columns) != fmt.Sprint(wantCols) {
		t.Errorf("columns %v", b.Columns)
	}
	want := independent(t, "1690", "2025-04-01", "2025-04-03")
	if len(b.Data) != 1 || fmt.Sprint(b.Data[0]) != fmt.Sprint(want) {
		t.Errorf("data %v, independent query %v", b.Data, want)
	}
	if want[0] != float64(3*700) {
		t.Errorf("hits %v, want 2100", want[0])
	}
	// Pruning: exactly the three days of 1690 were read, whatever else the root holds.
	n, size := filesUnder(t, "1690", "2025-04-01", "2025-04-02", "2025-04-03")
	if b.stats.Files != n || b.stats.BytesRead != size || n != 3 {
		t.Errorf("stats %+v, want %d files of %d bytes", b.stats, n, size)
	}
}

func TestAccessReports(t *testing.T) {
	h := newHandler(t, testConfig(t))
	cases := []struct {
		report string
		cols   string
		rows   int
	}{
		{"access_daily", "[date hits unique_visitors bandwidth]", 3},
		{"status_codes", "[status hits]", -1},
		{"top_paths", "[path hits unique_visitors bandwidth]", 20},
		{"not_found", "[path hits]", -1},
		{"referrers", "[referrer hits]", 10},
		{"hourly", "[hour hits unique_visitors]", 24},
	}
	for _, c := range cases {
		t.Run(c.report, func(t *testing.T) {
			status, b := call(t, h, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "report": "`+c.report+`"}`)
			if status != 200 {
				t.Fatalf("status %d: %s", status, b.Error)
			}
			if fmt.Sprint(b.Columns) != c.cols || (c.rows >= 0 && len(b.Data) != c.rows) || int64(len(b.Data)) != b.RowCount {
				t.Errorf("columns %v, %d rows (row_count %d)", b.Columns, len(b.Data), b.RowCount)
			}
			var total float64
			for _, r := range b.Data {
				if c.report == "status_codes" || c.report == "access_daily" || c.report == "hourly" {
					total += r[1].(float64)
				}
			}
			if total != 0 && total != 2100 {
				t.Errorf("hits add up to %v, want 2100", total)
			}
		})
	}
	status, b := call(t, h, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "report": "access_daily"}`)
	if status != 200 || b.Data[0][0] != "2025-04-01" {
		t.Errorf("dates are written as YYYY-MM-DD: %v", b.Data)
	}
	_, b = call(t, h, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "report": "top_paths", "params": {"limit": 3}}`)
	if len(b.Data) != 3 || b.Params["limit"] != float64(3) {
		t.Errorf("limit 3: %d rows, params %v", len(b.Data), b.Params)
	}
}

func TestSeedReports(t *testing.T) {
	h := newHandler(t, testConfig(t))
	status, b := call(t, h, `{"report": "hello"}`)
	if status != 200 || fmt.Sprint(b.Data) != "[[hello 123]]" {
		t.Errorf("hello: %d %v", status, b.Data)
	}
	status, b = call(t, h, `{"report": "sales_cumulative"}`)
	if status != 200 || fmt.Sprint(b.Data) != "[[2024-01-01 1000 1000] [2024-01-02 1500 2500] [2024-01-03 2000 4500]]" {
		t.Errorf("sales_cumulative: %d %v", status, b.Data)
	}
}

func TestNoDataIsZeroNotError(t *testing.T) {
	h := newHandler(t, testConfig(t))
	status, b := call(t, h, `{"company_id": "9999", "start_date": "2025-04-01", "end_date": "2025-04-03"}`)
	if status != 200 || fmt.Sprint(b.Data) != "[[0 0 0 0 0 0]]" || b.stats.Files != 0 {
		t.Errorf("%d %v %+v %s", status, b.Data, b.stats, b.Error)
	}
}

// Each bad request gets its status and a message naming the field, and the
// same handler answers a valid request correctly right after.
func TestBadInputThenValid(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxDays = 31
	h := newHandler(t, cfg)
	_, good := call(t, h, seedEvent)
	cases := []struct {
		name, event string
		status      int
		mention     string
	}{
		{"malformed JSON", `{"company_id": "1690"`, 400, "event"},
		{"wrong JSON type", `{"company_id": 1690, "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 400, "company_id"},
		{"missing company_id", `{"start_date": "2025-04-01", "end_date": "2025-04-03"}`, 400, "company_id"},
		{"SQL injection", `{"company_id": "1690' OR '1'='1", "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 400, "company_id"},
		{"path traversal", `{"company_id": "../1691", "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 400, "company_id"},
		{"65 characters", `{"company_id": "` + strings.Repeat("1", 65) + `", "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 400, "company_id"},
		{"February 30", `{"company_id": "1690", "start_date": "2025-02-30", "end_date": "2025-04-03"}`, 400, "start_date"},
		{"slashed date", `{"company_id": "1690", "start_date": "2025/04/01", "end_date": "2025-04-03"}`, 400, "start_date"},
		{"start after end", `{"company_id": "1690", "start_date": "2025-04-03", "end_date": "2025-04-01"}`, 400, "end_date"},
		{"span over max days", `{"company_id": "1690", "start_date": "2025-01-01", "end_date": "2025-04-03"}`, 400, "LAMBDUCK_MAX_DAYS"},
		{"unknown report", `{"report": "drop_tables", "company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 404, "report"},
		{"unknown parameter", `{"report": "top_paths", "company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "params": {"lmit": 5}}`, 400, "params.lmit"},
		{"mistyped parameter", `{"report": "top_paths", "company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "params": {"limit": "5 OR 1=1"}}`, 400, "params.limit"},
		{"negative limit", `{"report": "top_paths", "company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "params": {"limit": -1}}`, 400, "params.limit: -1 is below the minimum 1"},
		{"limit over the maximum", `{"report": "not_found", "company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "params": {"limit": 1000001}}`, 400, "params.limit: 1000001 is above the maximum 1000000"},
		{"5 MB event", `{"company_id": "1690", "params": {"x": "` + strings.Repeat("A", 5<<20) + `"}}`, 400, "event"},
		{"export without LAMBDUCK_OUTPUT", `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "format": "csv"}`, 400, "LAMBDUCK_OUTPUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, b := call(t, h, c.event)
			if status != c.status || !strings.Contains(b.Error, c.mention) || b.RequestID == "" {
				t.Errorf("got %d %q, want %d mentioning %q", status, b.Error, c.status, c.mention)
			}
			status, after := call(t, h, seedEvent)
			if status != 200 || fmt.Sprint(after.Data) != fmt.Sprint(good.Data) {
				t.Errorf("the next valid request: %d %v, want %v", status, after.Data, good.Data)
			}
		})
	}
}

// A user report's SQL cannot open another company's files: DuckDB's locked
// configuration refuses, and the caller gets an error, never the rows.
func TestUserReportCannotReadAnotherCompany(t *testing.T) {
	reports := t.TempDir()
	other := filepath.Join(dataset, "company_id=1691", "date=2025-04-01", "gen-7.parquet")
	attempts := testkit.Attacks(dataset, other, "1691")
	for name, sqlText := range attempts {
		if err := os.WriteFile(filepath.Join(reports, name+".sql"), []byte(sqlText), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(t)
	cfg.Reports = reports
	var logs strings.Builder
	h, err := New(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for name := range attempts {
		t.Run(name, func(t *testing.T) {
			status, b := call(t, h, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "report": "`+name+`"}`)
			if status != 500 || b.Data != nil || !strings.Contains(b.Error, b.RequestID) {
				t.Errorf("got %d %v %q, want a 500 naming the request id and no data", status, b.Data, b.Error)
			}
		})
	}
	if !strings.Contains(logs.String(), "Permission Error") {
		t.Errorf("the log should say why: %s", logs.String())
	}
}

// A query that would overrun the Lambda deadline is cancelled before it, the
// caller gets 504, nothing stays in scratch, and the next request is served.
func TestDeadlineCancelsQuery(t *testing.T) {
	reports := t.TempDir()
	if err := os.WriteFile(filepath.Join(reports, "forever.sql"), []byte("SELECT count(*) AS n FROM range(1000000000000) a, access_logs"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Reports = reports
	h := newHandler(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	began := time.Now()
	status, b := callCtx(t, ctx, h, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "report": "forever"}`)
	took := time.Since(began)
	if status != http.StatusGatewayTimeout {
		t.Fatalf("status %d %q, want 504", status, b.Error)
	}
	if took >= 2*time.Second {
		t.Errorf("answered after %v: past the deadline", took)
	}
	if left, _ := os.ReadDir(cfg.Scratch); len(left) != 0 {
		t.Errorf("scratch not cleaned: %v", left)
	}
	if status, _ := call(t, h, seedEvent); status != 200 {
		t.Errorf("next request: %d", status)
	}
}

func TestExportToLocalOutput(t *testing.T) {
	cfg := testConfig(t)
	cfg.Output = t.TempDir()
	h := newHandler(t, cfg)
	status, b := call(t, h, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "report": "top_paths", "format": "csv", "params": {"limit": 1000}}`)
	if status != 200 || b.Location == "" || b.Data != nil {
		t.Fatalf("%d %+v", status, b)
	}
	if want := filepath.Join(cfg.Output, "top_paths", "1690", b.RequestID+".csv"); b.Location != want {
		t.Errorf("location %s, want %s", b.Location, want)
	}
	f, err := os.Open(b.Location)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(records)-1) != b.RowCount || strings.Join(records[0], ",") != "path,hits,unique_visitors,bandwidth" {
		t.Errorf("%d records for row_count %d; header %v", len(records), b.RowCount, records[0])
	}
	if left := testkit.Leftovers(cfg.Scratch); len(left) != 0 {
		t.Errorf("scratch not cleaned: %v", left)
	}
}

func TestOversizedInlineResultIsExported(t *testing.T) {
	cfg := testConfig(t)
	cfg.InlineBytes = 1024
	event := `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "report": "top_paths", "params": {"limit": 1000}}`
	status, b := call(t, newHandler(t, cfg), event)
	if status != 400 || !strings.Contains(b.Error, "LAMBDUCK_OUTPUT") {
		t.Errorf("without an output: %d %q", status, b.Error)
	}
	cfg.Output = t.TempDir()
	status, b = call(t, newHandler(t, cfg), event)
	if status != 200 || b.Location == "" || !strings.HasSuffix(b.Location, ".json") || b.RowCount < 30 {
		t.Fatalf("%d %+v", status, b)
	}
	raw, err := os.ReadFile(b.Location)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(raw, &rows); err != nil || int64(len(rows)) != b.RowCount {
		t.Errorf("exported JSON: %v, %d rows for row_count %d", err, len(rows), b.RowCount)
	}
	if fmt.Sprint(b.Columns) != "[path hits unique_visitors bandwidth]" {
		t.Errorf("columns %v", b.Columns)
	}
}

// A Function URL event (AWS's documented shape) carries the same request in
// its query string or JSON body, and gets the same answer.
func TestFunctionURLEvent(t *testing.T) {
	h := newHandler(t, testConfig(t))
	_, direct := call(t, h, seedEvent)
	raw, err := os.ReadFile("../request/testdata/lambda-urls-request.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["body"] = ""
	ev["queryStringParameters"] = map[string]string{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03"}
	byQuery, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	ev["body"], ev["queryStringParameters"] = seedEvent, nil
	byBody, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	for name, event := range map[string][]byte{"query string": byQuery, "body": byBody} {
		status, b := call(t, h, string(event))
		if status != 200 || fmt.Sprint(b.Data) != fmt.Sprint(direct.Data) {
			t.Errorf("%s: %d %v, want %v", name, status, b.Data, direct.Data)
		}
	}
}

// A company with no files in the range is answered (zeros are correct), but
// with stats.files 0 and a warning, in the answer and in the log: a typo in
// the company must not look like a month without traffic.
func TestNoDataIsAWarning(t *testing.T) {
	var logged bytes.Buffer
	h, err := New(testConfig(t), slog.New(slog.NewJSONHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	want := "no data found for company_id 9999 from 2025-04-01 to 2025-04-03"
	for _, report := range []string{"access_summary", "dashboard"} {
		status, b := call(t, h, `{"report": "`+report+`", "company_id": "9999", "start_date": "2025-04-01", "end_date": "2025-04-03"}`)
		if status != 200 || b.stats.Files != 0 || len(b.Warnings) != 1 || b.Warnings[0] != want {
			t.Errorf("%s: %d, files %d, warnings %q; want 200, 0 files and %q", report, status, b.stats.Files, b.Warnings, want)
		}
	}
	if n := strings.Count(logged.String(), want); n != 2 {
		t.Errorf("the log holds the warning %d times, want 2:\n%s", n, logged.String())
	}
	// Data in the range: no warning. A report that reads no data: none either.
	for _, event := range []string{seedEvent, `{"report": "hello"}`} {
		if _, b := call(t, h, event); b.Warnings != nil {
			t.Errorf("%s: warnings %q", event, b.Warnings)
		}
	}
	// The dashboard's previous period has data, the range has none: still a warning.
	_, b := call(t, h, `{"report": "dashboard", "company_id": "1690", "start_date": "2025-04-06", "end_date": "2025-04-14"}`)
	if len(b.Warnings) != 1 {
		t.Errorf("a dashboard whose only data is the previous period's: warnings %q", b.Warnings)
	}
}

// A data root folder that does not exist is a configuration error at start,
// naming the variable and the absolute folder; so is a relative root read
// from another folder.
func TestMissingDataRoot(t *testing.T) {
	cfg := testConfig(t)
	cfg.Data = filepath.Join(t.TempDir(), "dtaa")
	if _, err := New(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil))); err == nil ||
		!strings.Contains(err.Error(), "LAMBDUCK_DATA") || !strings.Contains(err.Error(), cfg.Data+" does not exist") {
		t.Errorf("a missing root: %v", err)
	}
	cfg.Data = "relative/data"
	if _, err := New(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), "LAMBDUCK_DATA") {
		t.Errorf("a relative root that is not here: %v", err)
	}
}

// In Lambda (AWS_LAMBDA_FUNCTION_NAME set) every request's "request done"
// line is a CloudWatch Embedded Metric Format record: namespace lambduck,
// dimensions function and report, each metric a number of the line, the
// company a property only; billed GB-seconds from the memory size.
func TestRequestMetricsEMF(t *testing.T) {
	var logged bytes.Buffer
	cfg := testConfig(t)
	cfg.FunctionName, cfg.MemoryMB = "lambduck-test", 2048
	h, err := New(cfg, slog.New(slog.NewJSONHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	call(t, h, seedEvent)
	call(t, h, `{"company_id": "../x"}`)
	// A request that fans out counts its shards; the worker logs its own line.
	worker := newHandler(t, testConfig(t))
	defer worker.Close()
	h.invoker = &workerPool{h: worker}
	call(t, h, `{"company_id": "1690", "start_date": "2025-03-28", "end_date": "2025-04-05", "workers": 3}`)
	// The "request done" lines (a loaded machine may add a straggler's line).
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(logged.String()), "\n") {
		if strings.Contains(l, `"msg":"request done"`) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 || !strings.Contains(lines[2], `"shards":3,`) || !strings.Contains(logged.String(), `"msg":"fanning out"`) {
		t.Fatalf("%d lines:\n%s", len(lines), logged.String())
	}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{`"rows":`, `"bytes_read":`, `"report":`, `"duration_ms":`} {
			if n := strings.Count(line, key); n != 1 {
				t.Errorf("line %d holds %s %d times: %s", i, key, n, line)
			}
		}
		aws, _ := rec["_aws"].(map[string]any)
		cwm, _ := aws["CloudWatchMetrics"].([]any)
		if aws == nil || len(cwm) != 1 {
			t.Fatalf("no EMF: %s", line)
		}
		if _, ok := aws["Timestamp"].(float64); !ok {
			t.Errorf("Timestamp: %s", line)
		}
		m := cwm[0].(map[string]any)
		if m["Namespace"] != "lambduck" || fmt.Sprint(m["Dimensions"]) != "[[function] [function report]]" {
			t.Errorf("namespace and dimensions: %v", m)
		}
		for _, d := range []string{"function", "report"} {
			if s, ok := rec[d].(string); !ok || s == "" {
				t.Errorf("dimension %s is %v", d, rec[d])
			}
		}
		for _, metric := range m["Metrics"].([]any) {
			name := metric.(map[string]any)["Name"].(string)
			if _, ok := rec[name].(float64); !ok {
				t.Errorf("metric %s is %v in %s", name, rec[name], line)
			}
		}
		if i == 0 {
			if want := rec["duration_ms"].(float64) / 1000 * 2; math.Abs(rec["gb_seconds"].(float64)-want) > 0.01 || rec["company_id"] != "1690" || rec["rows"].(float64) != 1 {
				t.Errorf("gb_seconds %v (want ≈ %v), company %v, rows %v", rec["gb_seconds"], want, rec["company_id"], rec["rows"])
			}
		}
	}
	// Off Lambda: no EMF.
	var plain bytes.Buffer
	h2, _ := New(testConfig(t), slog.New(slog.NewJSONHandler(&plain, nil)))
	defer h2.Close()
	call(t, h2, seedEvent)
	if strings.Contains(plain.String(), "_aws") {
		t.Errorf("EMF off Lambda: %s", plain.String())
	}
}
