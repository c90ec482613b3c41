package handler

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"lambduck/internal/dashboard"
	"lambduck/internal/gen"
	"lambduck/internal/storage"
	"lambduck/internal/testkit"
)

// The dashboard's panels equal the single reports on the same range, and
// its previous period equals access_summary on the days before.
func TestDashboardEqualsTheSingleReports(t *testing.T) {
	h := newHandler(t, testConfig(t))
	d, err := h.Dashboard(context.Background(), "1690", day("2025-04-02"), day("2025-04-05"))
	if err != nil {
		t.Fatal(err)
	}
	// Each single report's rows as JSON, against the dashboard's panel as JSON
	// with the same columns.
	rowsOf := func(event string) []map[string]any {
		t.Helper()
		_, b := call(t, h, event)
		if b.Error != "" {
			t.Fatalf("%s: %s", event, b.Error)
		}
		var out []map[string]any
		for _, r := range b.Data {
			m := map[string]any{}
			for i, c := range b.Columns {
				m[c] = r[i]
			}
			out = append(out, m)
		}
		return out
	}
	asRows := func(v any, keep ...string) []map[string]any {
		t.Helper()
		raw, _ := json.Marshal(v)
		var all []map[string]any
		json.Unmarshal(raw, &all)
		for _, m := range all {
			for k := range m {
				found := false
				for _, c := range keep {
					found = found || c == k
				}
				if !found {
					delete(m, k)
				}
			}
		}
		return all
	}
	same := func(what string, got, want []map[string]any) {
		t.Helper()
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) || len(want) == 0 {
			t.Errorf("%s:\ndashboard %s\nreport    %s", what, g, w)
		}
	}
	rng := `"company_id": "1690", "start_date": "2025-04-02", "end_date": "2025-04-05"`
	same("access_summary", asRows([]any{d.Summary}, "hits", "unique_visitors", "bandwidth", "unique_paths", "not_found_hits", "error_hits"),
		rowsOf(`{"report": "access_summary", `+rng+`}`))
	same("previous period", asRows([]any{d.Previous}, "hits", "unique_visitors", "bandwidth", "unique_paths", "not_found_hits", "error_hits"),
		rowsOf(`{"report": "access_summary", "company_id": "1690", "start_date": "2025-03-29", "end_date": "2025-04-01"}`))
	same("top_paths", asRows(d.TopPaths, "path", "hits", "unique_visitors", "bandwidth"), rowsOf(`{"report": "top_paths", "params": {"limit": 10}, `+rng+`}`))
	same("not_found", asRows(d.NotFound, "path", "hits"), rowsOf(`{"report": "not_found", "params": {"limit": 10}, `+rng+`}`))
	same("status_codes", asRows(d.StatusCodes, "status", "hits"), rowsOf(`{"report": "status_codes", `+rng+`}`))
	same("hourly", asRows(d.Hourly, "hour", "hits", "unique_visitors"), rowsOf(`{"report": "hourly", `+rng+`}`))
	same("access_daily", asRows(d.Daily, "date", "hits", "unique_visitors", "bandwidth"), rowsOf(`{"report": "access_daily", `+rng+`}`))
	var prevDaily []map[string]any
	for _, x := range d.Daily {
		prevDaily = append(prevDaily, map[string]any{"date": x.PreviousDate, "hits": float64(x.PreviousHits), "unique_visitors": float64(x.PreviousVisits)})
	}
	daily := rowsOf(`{"report": "access_daily", "company_id": "1690", "start_date": "2025-03-29", "end_date": "2025-04-01"}`)
	for _, m := range daily {
		delete(m, "bandwidth")
	}
	same("previous days", prevDaily, daily)
	var heat int64
	for _, c := range d.Heatmap {
		heat += c.Hits
	}
	var classes int64
	for _, c := range d.StatusClasses {
		classes += c.Hits
	}
	if heat != d.Summary.Hits || classes != d.Summary.Hits || len(d.Methods) == 0 || len(d.Referrers) == 0 {
		t.Errorf("heat map %d, status classes %d, hits %d; methods %v, sites %v", heat, classes, d.Summary.Hits, d.Methods, d.Referrers)
	}
}

// "report": "dashboard" through the event: the document inline as json, the
// page written to LAMBDUCK_OUTPUT as html, and clear 400s.
func TestDashboardThroughTheEvent(t *testing.T) {
	cfg := testConfig(t)
	cfg.Output = t.TempDir()
	h := newHandler(t, cfg)
	rng := `"company_id": "1690", "start_date": "2025-04-02", "end_date": "2025-04-05"`
	want, err := h.Dashboard(context.Background(), "1690", day("2025-04-02"), day("2025-04-05"))
	if err != nil {
		t.Fatal(err)
	}
	resp := h.Handle(context.Background(), []byte(`{"report": "dashboard", `+rng+`}`))
	var got struct {
		Dashboard json.RawMessage     `json:"dashboard"`
		Stats     struct{ Files int } `json:"stats"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	w, _ := json.Marshal(want)
	if string(got.Dashboard) != string(w) || got.Stats.Files != 8 {
		t.Errorf("json: %s\nwant %s (files %d, want the 8 days of both periods)", got.Dashboard, w, got.Stats.Files)
	}
	resp = h.Handle(context.Background(), []byte(`{"report": "dashboard", "format": "html", "params": {"lang": "ja"}, `+rng+`}`))
	var exported struct{ Location string }
	if err := json.Unmarshal([]byte(resp.Body), &exported); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	page, err := os.ReadFile(exported.Location)
	if err != nil || !strings.Contains(string(page), "Content-Security-Policy") || !strings.Contains(string(page), "2025年4月2日") {
		t.Errorf("page at %q: %v\n%.300s", exported.Location, err, page)
	}
	for event, want := range map[string]string{
		`{"report": "dashboard", "params": {"lang": "fr"}, ` + rng + `}`:            "params.lang",
		`{"report": "dashboard", "params": {"limit": 3}, ` + rng + `}`:              "params.limit",
		`{"report": "dashboard", "format": "csv", ` + rng + `}`:                     "format",
		`{"report": "top_paths", "format": "html", ` + rng + `}`:                    "format",
		`{"report": "dashboard", "company_id": "1690", "start_date": "2025-04-02"}`: "end_date",
	} {
		status, b := call(t, h, event)
		if status != 400 || !strings.Contains(b.Error, want) {
			t.Errorf("%s: %d %q, want 400 naming %s", event, status, b.Error, want)
		}
	}
	nocfg := testConfig(t)
	h2 := newHandler(t, nocfg)
	if status, b := call(t, h2, `{"report": "dashboard", "format": "html", `+rng+`}`); status != 400 || !strings.Contains(b.Error, "LAMBDUCK_OUTPUT") {
		t.Errorf("html without an output: %d %q", status, b.Error)
	}
}

// A browser pointed at the function (a Function URL request, AWS's
// documented shape) gets the page itself as text/html.
func TestDashboardPageThroughAFunctionURL(t *testing.T) {
	h := newHandler(t, testConfig(t)) // no LAMBDUCK_OUTPUT: not needed for an answer in place
	raw, err := os.ReadFile("../request/testdata/lambda-urls-request.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["body"], ev["rawQueryString"] = "", ""
	ev["queryStringParameters"] = map[string]string{"report": "dashboard", "format": "html", "company_id": "1690",
		"start_date": "2025-04-02", "end_date": "2025-04-05", "lang": "ja"}
	payload, _ := json.Marshal(ev)
	resp := h.Handle(context.Background(), payload)
	if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "text/html; charset=utf-8" ||
		!strings.HasPrefix(resp.Headers["Content-Security-Policy"], "default-src 'none'") ||
		!strings.HasPrefix(resp.Body, "<!DOCTYPE html>") || !strings.Contains(resp.Body, "アクセスレポート") {
		t.Fatalf("%d %v %.200s", resp.StatusCode, resp.Headers, resp.Body)
	}
	out, err := h.Invoke(context.Background(), payload)
	if err != nil || !strings.Contains(string(out), `"statusCode":200`) || !strings.Contains(string(out), `text/html`) {
		t.Fatalf("%v %.200s", err, out)
	}
}

// In a time zone half an hour off UTC, the hours are the local ones: the
// dashboard's hourly panel equals the hourly report's.
func TestDashboardHoursInAHalfHourZone(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	if _, err := gen.Parquet(context.Background(), testkit.Engine(t), gen.Options{Root: storage.Folder(data), Companies: []string{"1690"},
		Start: day("2025-04-01"), End: day("2025-04-03"), RowsPerDay: 500, Seed: 3, TimeZone: kolkata}, nil); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Data, cfg.TimeZone = data, kolkata
	h := newHandler(t, cfg)
	d, err := h.Dashboard(context.Background(), "1690", day("2025-04-01"), day("2025-04-03"))
	if err != nil {
		t.Fatal(err)
	}
	_, b := call(t, h, `{"report": "hourly", "company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03"}`)
	got, _ := json.Marshal(d.Hourly)
	var want []Hour
	for _, r := range b.Data {
		want = append(want, Hour{Hour: int64(r[0].(float64)), Hits: int64(r[1].(float64)), UniqueVisitors: int64(r[2].(float64))})
	}
	w, _ := json.Marshal(want)
	if string(got) != string(w) || len(want) != 24 {
		t.Errorf("hourly in Asia/Kolkata:\ndashboard %s\nreport    %s", got, w)
	}
}

// Hour is the hourly report's row.
type Hour = dashboard.Hour
