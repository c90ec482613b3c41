package handler

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"lambduck/internal/testkit"
)

// A request for the same company and exactly the same files as the request
// before it runs in that request's DuckDB instance; any other request gets a
// fresh one, and a request that failed leaves no instance to reuse. A reused
// instance keeps its lock: it still cannot open another company's file.
func TestInstanceReuse(t *testing.T) {
	other, err := filepath.Glob(filepath.Join(dataset, "company_id=1691", "date=2025-04-02", "*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(other) == 0 {
		t.Fatal("no file of company 1691")
	}
	reports := t.TempDir()
	if err := os.WriteFile(filepath.Join(reports, "boom.sql"), []byte("SELECT error('boom') AS x FROM access_logs"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(reports, "peek.sql"), []byte(fmt.Sprintf("SELECT count(*) AS n FROM read_parquet('%s')", other[0])), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Reports = reports
	h := newHandler(t, cfg)

	ev := func(company, report string) string {
		return fmt.Sprintf(`{"company_id": %q, "start_date": "2025-04-01", "end_date": "2025-04-03", "report": %q}`, company, report)
	}
	var first [][]any
	steps := []struct {
		event  string
		status int
		reused bool
	}{
		{ev("1690", "access_summary"), 200, false},
		{ev("1690", "access_summary"), 200, true},
		{ev("1690", "status_codes"), 200, true}, // same files, another report
		{ev("1691", "access_summary"), 200, false},
		{ev("1690", "access_summary"), 200, false},
		{ev("1690", "peek"), 500, true}, // reused, still locked: Permission Error
		{ev("1690", "access_summary"), 200, false},
		{ev("1690", "boom"), 500, true},
		{ev("1690", "access_summary"), 200, false},
		{`{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-04", "report": "access_summary"}`, 200, false},
	}
	for i, s := range steps {
		status, b := call(t, h, s.event)
		if status != s.status {
			t.Fatalf("step %d %s: status %d (%s), want %d", i, s.event, status, b.Error, s.status)
		}
		if status != 200 {
			continue
		}
		var st struct {
			Reused *bool `json:"instance_reused"`
		}
		if err := json.Unmarshal(b.Stats, &st); err != nil {
			t.Fatal(err)
		}
		if st.Reused == nil || *st.Reused != s.reused {
			t.Errorf("step %d %s: instance_reused %v, want %v", i, s.event, st.Reused, s.reused)
		}
		// The same request gives the same numbers, reused or not; any other
		// access_summary request (another company or range) other numbers.
		if b.Report == "access_summary" {
			if first == nil {
				first = b.Data
			} else if same := s.event == ev("1690", "access_summary"); same != reflect.DeepEqual(b.Data, first) {
				t.Errorf("step %d %s: data %v, first request's %v", i, s.event, b.Data, first)
			}
		}
	}
	if left := testkit.Leftovers(cfg.Scratch); len(left) != 0 {
		t.Errorf("scratch holds %v", left)
	}
}
