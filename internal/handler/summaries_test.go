package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lambduck/internal/engine"
	"lambduck/internal/gen"
	"lambduck/internal/s3test"
	"lambduck/internal/storage"
)

// The dashboard's day summaries: made once per day and set of files,
// stored (for days that are not small), read after that; a day whose files change is summarized again
// (its old summary removed), as is every day when the time zone changes;
// a data root the function cannot write still gets the right dashboard.
func TestDashboardDaySummaries(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := filepath.Join(dir, "data")
	eng, err := engine.New(engine.Settings{Scratch: filepath.Join(dir, "gen")})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	write := func(from, to string, rows int, seed int64) {
		t.Helper()
		if _, err := gen.Parquet(ctx, eng, gen.Options{Root: storage.Folder(root), Companies: []string{"1690"},
			Start: day(from), End: day(to), RowsPerDay: rows, Seed: seed, TimeZone: time.UTC}, nil); err != nil {
			t.Fatal(err)
		}
	}
	write("2025-04-01", "2025-04-08", 500, 1)

	var logs bytes.Buffer
	cfg := testConfig(t)
	cfg.Data = root
	h, err := New(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	stored := func() []string {
		t.Helper()
		found, err := filepath.Glob(filepath.Join(root, "company_id=1690", "_summaries", "date=*", "*.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		return found
	}
	// The range 04-05…04-08 and its previous period 04-01…04-04.
	view := func(h *Handler, wantMade, wantRead int) string {
		t.Helper()
		d, st, _, err := h.dashboard(ctx, "1690", day("2025-04-05"), day("2025-04-08"))
		if err != nil {
			t.Fatal(err)
		}
		if st.SummariesMade != wantMade || st.SummariesRead != wantRead {
			t.Errorf("summaries made %d, read %d; want %d, %d", st.SummariesMade, st.SummariesRead, wantMade, wantRead)
		}
		b, _ := json.Marshal(d)
		return string(b)
	}
	summaryHits := func(doc string) float64 {
		var d struct {
			Summary struct {
				Hits float64 `json:"hits"`
			} `json:"summary"`
		}
		json.Unmarshal([]byte(doc), &d)
		return d.Summary.Hits
	}

	// Days this small are summarized at each view, nothing stored.
	small := view(h, 8, 0)
	if n := len(stored()); n != 0 {
		t.Fatalf("%d summaries stored for days under %d bytes", n, minStoredSummaryBytes)
	}
	if again := view(h, 8, 0); again != small {
		t.Errorf("small days, again:\n%s\nfirst:\n%s", again, small)
	}
	h.summaryMinBytes = 0 // stored however small the day

	first := view(h, 8, 0)
	if first != small {
		t.Errorf("stored:\n%s\nnot stored:\n%s", first, small)
	}
	if n := len(stored()); n != 8 {
		t.Fatalf("%d summaries stored, want one per day (8)", n)
	}
	if again := view(h, 0, 8); again != first {
		t.Errorf("read from the stored summaries:\n%s\nmade from the data:\n%s", again, first)
	}
	// Another dashboard replaces the summaries while this one is about to
	// read them: it reads what it listed.
	h.afterSummaryHold = func() {
		if err := os.RemoveAll(filepath.Join(root, "company_id=1690", "_summaries")); err != nil {
			t.Fatal(err)
		}
	}
	if got := view(h, 0, 8); got != first {
		t.Errorf("summaries removed before the query:\n%s\nwant\n%s", got, first)
	}
	h.afterSummaryHold = nil
	if again := view(h, 8, 0); again != first {
		t.Errorf("made again after the removal:\n%s\nwant\n%s", again, first)
	}
	if summaryHits(first) != 4*500 {
		t.Errorf("hits %v, want %d", summaryHits(first), 4*500)
	}

	// A new source on 04-06: that day only is summarized again, its old
	// summary removed; the figures are the data's.
	write("2025-04-06", "2025-04-06", 300, 2)
	changed := view(h, 1, 7)
	if n := len(stored()); n != 8 {
		t.Errorf("%d summaries stored after one day changed, want 8", n)
	}
	if summaryHits(changed) != 4*500+300 {
		t.Errorf("hits %v after the new source, want %d", summaryHits(changed), 4*500+300)
	}
	_, b := call(t, h, `{"report": "access_summary", "company_id": "1690", "start_date": "2025-04-05", "end_date": "2025-04-08"}`)
	var d struct {
		Summary map[string]float64 `json:"summary"`
	}
	json.Unmarshal([]byte(changed), &d)
	for i, c := range b.Columns {
		if d.Summary[c] != b.Data[0][i].(float64) {
			t.Errorf("%s: dashboard %v, access_summary %v", c, d.Summary[c], b.Data[0][i])
		}
	}
	if err := os.RemoveAll(filepath.Join(root, "company_id=1690", "_summaries")); err != nil {
		t.Fatal(err)
	}
	if fresh := view(h, 8, 0); fresh != changed {
		t.Errorf("all made again:\n%s\none day made again:\n%s", fresh, changed)
	}

	// Another time zone: other local hours, so every day again.
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	kcfg := cfg
	kcfg.TimeZone = kolkata
	kcfg.Scratch = t.TempDir()
	hk := newHandler(t, kcfg)
	defer hk.Close()
	hk.summaryMinBytes = 0
	view(hk, 8, 0)
	if n := len(stored()); n != 8 {
		t.Errorf("%d summaries stored after the zone changed, want 8 (the older ones removed)", n)
	}
	hk.Close()

	// Nowhere to store them (here: a file where their folder would be):
	// made, used, a warning logged, the same dashboard.
	if err := os.RemoveAll(filepath.Join(root, "company_id=1690", "_summaries")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "company_id=1690", "_summaries"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	logs.Reset()
	if got := view(h, 8, 0); got != changed {
		t.Errorf("with nowhere to store the summaries:\n%s\nwant\n%s", got, changed)
	}
	if !strings.Contains(logs.String(), "day summaries not stored") {
		t.Errorf("no warning logged: %s", logs.String())
	}
	if got := view(h, 8, 0); got != changed {
		t.Errorf("again with nowhere to store them:\n%s", got)
	}
}

// The same with an S3 data root (Versity Gateway): the summaries are
// objects under the company's _summaries/, read back on the next dashboard,
// and an object replaced in S3 (another ETag) makes its day's summary again,
// the old object removed; the documents equal the folder's.
func TestS3DashboardDaySummaries(t *testing.T) {
	srv := s3test.Start(t, "lake")
	uploadDataset(t, srv.Client())
	remote := newHandler(t, s3Config(t, srv))
	defer remote.Close()
	remote.summaryMinBytes = 0
	local := newHandler(t, testConfig(t)) // the package's days are small: nothing stored there
	defer local.Close()
	ctx := context.Background()
	view := func(h *Handler, wantMade, wantRead int) string {
		t.Helper()
		d, st, _, err := h.dashboard(ctx, "1690", day("2025-04-02"), day("2025-04-05"))
		if err != nil {
			t.Fatal(err)
		}
		if wantMade >= 0 && (st.SummariesMade != wantMade || st.SummariesRead != wantRead) {
			t.Errorf("summaries made %d, read %d; want %d, %d", st.SummariesMade, st.SummariesRead, wantMade, wantRead)
		}
		b, _ := json.Marshal(d)
		return string(b)
	}
	objects := func() []string {
		t.Helper()
		return s3test.Keys(t, srv, "lake", "data/company_id=1690/_summaries/")
	}
	first := view(remote, 8, 0)
	if keys := objects(); len(keys) != 8 {
		t.Fatalf("%d summary objects, want 8: %v", len(keys), keys)
	}
	if want := view(local, -1, 0); first != want {
		t.Errorf("s3:\n%s\nfolder:\n%s", first, want)
	}
	if again := view(remote, 0, 8); again != first {
		t.Errorf("read back:\n%s\nmade:\n%s", again, first)
	}
	// 04-03's file replaced by other bytes (1691's day): another ETag.
	other := filepath.Join(dataset, "company_id=1691", "date=2025-04-03", "gen-7.parquet")
	if err := srv.Client().Upload(ctx, "lake", "data/company_id=1690/date=2025-04-03/gen-7.parquet", other); err != nil {
		t.Fatal(err)
	}
	changed := view(remote, 1, 7)
	if keys := objects(); len(keys) != 8 {
		t.Errorf("%d summary objects after one day changed, want 8: %v", len(keys), keys)
	}
	if changed == first {
		t.Error("the dashboard did not follow the replaced object")
	}
}
