package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"lambduck/internal/bucket"
	"lambduck/internal/engine"
	"lambduck/internal/gen"
	"lambduck/internal/rie"
	"lambduck/internal/storage"
)

// A scheduled job under the emulators: a coordinator and three workers,
// data and outputs in Versity Gateway. 50 companies with data in April and 3
// without; the job of 2025-05-01T00:05Z for last month's dashboard (html)
// and access_summary (csv).
func TestEmulatorScheduledJob(t *testing.T) {
	if rieBin == "" {
		t.Skip("LAMBDUCK_RIE is not set")
	}
	data := filepath.Join(t.TempDir(), "data")
	eng, err := engine.New(engine.Settings{Scratch: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var with, without []string
	for i := range 50 {
		with = append(with, fmt.Sprintf("c%02d", i))
	}
	without = []string{"x1", "x2", "x3"}
	for _, o := range []gen.Options{
		{Companies: with, Start: date("2025-04-01"), End: date("2025-04-30"), RowsPerDay: 20},
		{Companies: without, Start: date("2025-03-01"), End: date("2025-03-31"), RowsPerDay: 20},
	} {
		o.Root, o.Seed, o.TimeZone = storage.Folder(data), 5, time.UTC
		if _, err := gen.Parquet(context.Background(), eng, o, nil); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Dir(data), 0o755)
	r := startFanOutOn(t, 3, data)
	job := `{"job": {"period": "previous_month", "reports": ["dashboard", "access_summary"], "formats": ["html", "csv"],
		"companies": ["*"], "at": "2025-05-01T00:05:00Z"}}`
	type summary struct {
		Label     string   `json:"label"`
		Companies int      `json:"companies"`
		Invoked   int      `json:"invoked"`
		Written   int      `json:"files_written"`
		Skipped   int      `json:"files_skipped"`
		Failed    []any    `json:"failed"`
		NoData    []string `json:"no_data"`
	}
	runJob := func() (summary, string) {
		t.Helper()
		raw, err := r.coord.Invoke(job)
		if err != nil {
			t.Fatal(err)
		}
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		var s summary
		if json.Unmarshal(raw, &resp) == nil && resp.StatusCode == 200 {
			json.Unmarshal([]byte(resp.Body), &s)
		}
		return s, string(raw)
	}
	objects := func() map[string]string {
		objs, _, err := r.srv.Client().List(context.Background(), "lake", "out/scheduled/", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, o := range objs {
			m[strings.TrimPrefix(o.Key, "out/scheduled/2025-04/")] = o.ETag
		}
		return m
	}

	began := time.Now()
	sum, raw := runJob()
	t.Logf("first run: 50 companies × 2 files on 3 workers in %v", time.Since(began))
	if sum.Label != "2025-04" || sum.Companies != 50 || sum.Written != 100 || sum.Invoked != 50 || len(sum.Failed) != 0 {
		t.Fatalf("first run: %+v\n%.2000s", sum, raw)
	}
	first := objects()
	var keys []string
	for k := range first {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) != 102 || keys[0] != "company_id=c00/access_summary.csv" || keys[101] != "index.json" || first["company_id=x1/dashboard.html"] != "" {
		t.Fatalf("%d objects: %v … %v", len(keys), keys[:3], keys[len(keys)-3:])
	}
	// Each company's numbers are the direct request's: the CSV's row, and
	// the dashboard's hits and visitors cards.
	download := func(key string) []byte {
		t.Helper()
		dst := filepath.Join(t.TempDir(), "f")
		if err := r.srv.Client().Download(context.Background(), bucket.Object{Bucket: "lake", Key: "out/scheduled/2025-04/" + key}, dst); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(dst)
		return b
	}
	card := regexp.MustCompile(`data-figure="(hits|unique_visitors)"><div class="k">[^<]*</div><div class="v" title="([0-9,]+)"`)
	for _, c := range []string{"c00", "c05", "c11", "c17", "c23", "c29", "c36", "c42", "c49"} {
		rows, err := csv.NewReader(bytes.NewReader(download("company_id=" + c + "/access_summary.csv"))).ReadAll()
		direct := r.ask(t, `{"company_id": "`+c+`", "start_date": "2025-04-01", "end_date": "2025-04-30", "workers": 1}`)
		if err != nil || len(rows) != 2 || "[["+strings.Join(rows[1], ",")+"]]" != direct.data {
			t.Errorf("%s: csv %v, direct %s", c, rows, direct.data)
			continue
		}
		var figures []string
		for _, m := range card.FindAllStringSubmatch(string(download("company_id="+c+"/dashboard.html")), -1) {
			figures = append(figures, strings.ReplaceAll(m[2], ",", ""))
		}
		if fmt.Sprint(figures) != fmt.Sprint(rows[1][:2]) {
			t.Errorf("%s: the dashboard's hits and visitors %v, access_summary's %v", c, figures, rows[1][:2])
		}
	}

	// Again: nothing invoked, nothing downloaded, nothing written.
	calls := r.disp.Calls()
	sum, raw = runJob()
	if sum.Written != 0 || sum.Skipped != 100 || sum.Invoked != 0 || r.disp.Calls() != calls {
		t.Errorf("second run: %+v (%d invocations)\n%.500s", sum, r.disp.Calls()-calls, raw)
	}
	if again := objects(); fmt.Sprint(again) != fmt.Sprint(first) {
		t.Error("the second run changed objects")
	}

	// A worker killed while it writes c07's outputs: c07 is listed as failed,
	// the function fails (the scheduler retries), nothing half-written; the
	// rerun completes c07 and only it.
	for _, k := range []string{"dashboard.html", "access_summary.csv"} {
		if err := r.srv.Client().Delete(context.Background(), "lake", "out/scheduled/2025-04/company_id=c07/"+k); err != nil {
			t.Fatal(err)
		}
	}
	r.disp.OnCall = func(n int64, em *rie.Emulator) {
		go func() {
			time.Sleep(10 * time.Millisecond) // the worker is listing and reading c07's data
			em.Stop()
		}()
	}
	_, raw = runJob()
	r.disp.OnCall = nil
	if !strings.Contains(raw, "errorMessage") || !strings.Contains(raw, "1 of 50 companies failed (c07)") {
		t.Errorf("a worker killed: %.1000s", raw)
	}
	if _, ok := objects()["company_id=c07/dashboard.html"]; ok {
		if _, ok := objects()["company_id=c07/access_summary.csv"]; !ok {
			t.Log("the dashboard was written before the kill; the csv was not")
		}
	}
	calls = r.disp.Calls()
	sum, raw = runJob()
	if len(sum.Failed) != 0 || sum.Invoked != 1 || r.disp.Calls()-calls != 1 || sum.Skipped+sum.Written != 100 {
		t.Errorf("the rerun: %+v\n%.500s", sum, raw)
	}
	final := objects()
	if len(final) != 102 {
		t.Errorf("%d objects after the rerun, want 102", len(final))
	}
	for k, etag := range first {
		if !strings.HasPrefix(k, "company_id=c07/") && !strings.HasPrefix(k, "index.") && final[k] != etag {
			t.Errorf("%s was written again", k)
		}
	}
}
