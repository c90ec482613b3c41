package handler

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"lambduck/internal/schedule"
)

// jobEventOf is a March job at 2025-04-01T00:05Z over the test dataset
// (which holds March 28–31 for 1690, 1691 and 2001).
func jobEventOf(companies string, extra string) string {
	return `{"job": {"period": "previous_month", "reports": ["dashboard", "access_summary"], "formats": ["html", "csv"],
		"companies": ` + companies + `, "at": "2025-04-01T00:05:00Z"` + extra + `}}`
}

func runJob(t *testing.T, h *Handler, event string) (*JobSummary, error) {
	t.Helper()
	job, err := schedule.Decode([]byte(event))
	if err != nil {
		t.Fatal(err)
	}
	return h.AnswerJob(context.Background(), job, nil)
}

// filesOf lists the output root's files under scheduled/, relative, with
// their modification times.
func filesOf(t *testing.T, out string) map[string]time.Time {
	t.Helper()
	files := map[string]time.Time{}
	filepath.WalkDir(filepath.Join(out, "scheduled"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, _ := d.Info()
			rel, _ := filepath.Rel(out, p)
			files[rel] = fi.ModTime()
		}
		return nil
	})
	return files
}

func TestJobWritesEveryCompanysReports(t *testing.T) {
	coord, pool, out := fanOutPair(t, 0)
	sum, err := runJob(t, coord, jobEventOf(`["*"]`, ""))
	if err != nil || sum.Label != "2025-03" || sum.StartDate != "2025-03-01" || sum.EndDate != "2025-03-31" ||
		sum.Companies != 3 || sum.Written != 6 || sum.Invoked != 3 || pool.calls.Load() != 3 {
		t.Fatalf("%+v %v (%d invocations)", sum, err, pool.calls.Load())
	}
	files := filesOf(t, out)
	var names []string
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	want := "scheduled/2025-03/company_id=1690/access_summary.csv scheduled/2025-03/company_id=1690/dashboard.html " +
		"scheduled/2025-03/company_id=1691/access_summary.csv scheduled/2025-03/company_id=1691/dashboard.html " +
		"scheduled/2025-03/company_id=2001/access_summary.csv scheduled/2025-03/company_id=2001/dashboard.html " +
		"scheduled/2025-03/index.html scheduled/2025-03/index.json"
	if strings.Join(names, " ") != want {
		t.Fatalf("files:\n%s\nwant\n%s", strings.Join(names, " "), want)
	}
	// Each file's numbers are the direct request's.
	for _, c := range []string{"1690", "1691", "2001"} {
		f, err := os.Open(filepath.Join(out, "scheduled/2025-03/company_id="+c+"/access_summary.csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		_, direct := call(t, coord, `{"company_id": "`+c+`", "start_date": "2025-03-01", "end_date": "2025-03-31"}`)
		var want []string
		for _, v := range direct.Data[0] {
			want = append(want, fmt.Sprint(int64(v.(float64))))
		}
		if err != nil || len(rows) != 2 || fmt.Sprint(rows[1]) != fmt.Sprint(want) {
			t.Errorf("%s: csv %v, direct %v", c, rows, direct.Data)
		}
		page, _ := os.ReadFile(filepath.Join(out, "scheduled/2025-03/company_id="+c+"/dashboard.html"))
		if !strings.Contains(string(page), "<html") || !strings.Contains(string(page), c) {
			t.Errorf("%s: dashboard page %.100s", c, page)
		}
	}
	var ix index
	b, _ := os.ReadFile(filepath.Join(out, "scheduled/2025-03/index.json"))
	if json.Unmarshal(b, &ix) != nil || len(ix.Companies) != 3 || len(ix.Companies[0].Files) != 2 {
		t.Errorf("index.json: %s", b)
	}
	page, _ := os.ReadFile(filepath.Join(out, "scheduled/2025-03/index.html"))
	if !strings.Contains(string(page), `href="company_id=1691/dashboard.html"`) {
		t.Errorf("index.html: %s", page)
	}

	// The same job again (a retry, a replay an hour late): nothing invoked,
	// nothing written, the index untouched.
	late := strings.Replace(jobEventOf(`["*"]`, ""), "2025-04-01T00:05:00Z", "2025-04-01T01:05:00Z", 1)
	sum, err = runJob(t, coord, late)
	if err != nil || sum.Written != 0 || sum.Skipped != 6 || sum.Invoked != 0 || pool.calls.Load() != 3 {
		t.Errorf("second run: %+v %v", sum, err)
	}
	if again := filesOf(t, out); fmt.Sprint(again) != fmt.Sprint(files) {
		t.Errorf("second run changed files:\n%v\n%v", again, files)
	}
	// A file gone: only it is done again; force redoes all.
	os.Remove(filepath.Join(out, "scheduled/2025-03/company_id=1691/dashboard.html"))
	if sum, err = runJob(t, coord, jobEventOf(`["*"]`, "")); err != nil || sum.Written != 1 || sum.Invoked != 1 || sum.Skipped != 5 {
		t.Errorf("one file missing: %+v %v", sum, err)
	}
	if sum, err = runJob(t, coord, jobEventOf(`["*"]`, `, "force": true`)); err != nil || sum.Written != 6 {
		t.Errorf("force: %+v %v", sum, err)
	}
	// Named companies: one without data in the period is reported, not written.
	if sum, err = runJob(t, coord, jobEventOf(`["1690", "4242"]`, `, "force": true`)); err != nil || sum.Written != 2 ||
		fmt.Sprint(sum.NoData) != "[4242]" {
		t.Errorf("named companies: %+v %v", sum, err)
	}
}

// One company failing does not stop the others; the run fails (so the
// scheduler retries) listing it, and the retry does only what is missing.
func TestJobFailureAndRetry(t *testing.T) {
	coord, pool, out := fanOutPair(t, 0)
	pool.fault = func(n int64, start string) ([]byte, error, bool) {
		return nil, nil, false
	}
	failing := "1691"
	coord.invoker = invokerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
		if strings.Contains(string(payload), `"companies":["`+failing+`"]`) {
			return nil, &FunctionError{Kind: "Unhandled", Payload: `{"errorType":"Runtime.ExitError"}`}
		}
		return pool.Invoke(ctx, payload)
	})
	resp, err := coord.Serve(context.Background(), []byte(jobEventOf(`["*"]`, "")))
	var failed *JobFailedError
	if !errors.As(err, &failed) || resp != nil || len(failed.Summary.Failed) != 1 || failed.Summary.Failed[0].CompanyID != "1691" ||
		failed.Summary.Written != 4 || !strings.Contains(err.Error(), "1 of 3 companies failed (1691)") {
		t.Fatalf("a failed company: %v %v", resp, err)
	}
	b, _ := os.ReadFile(filepath.Join(out, "scheduled/2025-03/index.json"))
	if !strings.Contains(string(b), `"failed": "the worker failed (Unhandled)`) {
		t.Errorf("index does not mark the failure: %s", b)
	}
	failing = "none"
	calls := pool.calls.Load()
	sum, err := runJob(t, coord, jobEventOf(`["*"]`, ""))
	if err != nil || sum.Written != 2 || sum.Invoked != 1 || pool.calls.Load()-calls != 1 || len(sum.Failed) != 0 {
		t.Errorf("the retry: %+v %v", sum, err)
	}
	b, _ = os.ReadFile(filepath.Join(out, "scheduled/2025-03/index.json"))
	if strings.Contains(string(b), `"failed"`) {
		t.Errorf("index still marks a failure: %s", b)
	}
	// Without a function to invoke, the job runs here, company by company.
	coord.invoker = nil
	var seen []int
	job, _ := schedule.Decode([]byte(jobEventOf(`["*"]`, `, "force": true`)))
	if sum, err := coord.AnswerJob(context.Background(), job, func(done, total int) { seen = append(seen, done) }); err != nil || sum.Written != 6 ||
		fmt.Sprint(seen) != "[0 1 2 3]" {
		t.Errorf("in-process: %+v %v, progress %v", sum, err, seen)
	}
}

type invokerFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f invokerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

func TestJobEventsChecked(t *testing.T) {
	coord, _, _ := fanOutPair(t, 0)
	for ev, want := range map[string]string{
		`{"job": {"period": "previous_month", "reports": ["nope"], "formats": ["csv"], "companies": ["*"], "at": "2025-04-01T00:05:00Z"}}`:                                "job.reports",
		`{"job": {"period": "previous_month", "reports": ["hello"], "formats": ["csv"], "companies": ["*"], "at": "2025-04-01T00:05:00Z"}}`:                               "job.reports",
		`{"job": {"period": "previous_month", "reports": ["dashboard"], "formats": ["csv"], "companies": ["*"], "at": "2025-04-01T00:05:00Z"}}`:                           "job.formats",
		`{"job": {"period": "previous_month", "reports": ["top_paths"], "formats": ["csv"], "companies": ["*"], "params": {"lang": "ja"}, "at": "2025-04-01T00:05:00Z"}}`: "job.params.lang",
		`{"job": {"period": "previous_month", "reports": ["top_paths"], "formats": ["csv"], "companies": ["../1691"], "worker": true, "at": "2025-04-01T00:05:00Z"}}`:     "job.companies",
	} {
		resp, err := coord.Serve(context.Background(), []byte(ev))
		r, _ := resp.(Response)
		if err != nil || r.StatusCode != 400 || !strings.Contains(r.Body, want) {
			t.Errorf("%s: %v %v, want 400 on %s", ev, r, err, want)
		}
	}
	// A worker's event writes only its company's outputs, at the keys of the
	// period the schedule's time gives: nothing in it names a place.
	resp, err := coord.Serve(context.Background(), []byte(`{"job": {"period": "previous_day", "reports": ["top_paths"], "formats": ["csv"],
		"companies": ["2001"], "worker": true, "params": {"limit": 3}, "at": "2025-04-02T08:00:00Z"}}`))
	r, _ := resp.(Response)
	if err != nil || r.StatusCode != 200 || !strings.Contains(r.Body, `"written":["scheduled/2025-04-01/company_id=2001/top_paths.csv"]`) {
		t.Errorf("a worker's event: %v %v", r, err)
	}
}
