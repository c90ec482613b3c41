package handler

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lambduck/internal/bucket"
	"lambduck/internal/config"
	"lambduck/internal/s3test"
	"lambduck/internal/testkit"
)

// uploadDataset copies the package's dataset to s3://lake/data/.
func uploadDataset(t *testing.T, c *bucket.Client) {
	t.Helper()
	if err := c.UploadTree(context.Background(), dataset, "lake", "data/"); err != nil {
		t.Fatal(err)
	}
}

func s3Config(t *testing.T, srv *s3test.Server) config.Config {
	t.Helper()
	s3test.Env(t, srv)
	cfg := testConfig(t)
	cfg.Data, cfg.S3PathStyle = "s3://lake/data/", true
	return cfg
}

// comparable drops what differs between two runs of the same request.
func comparable(t *testing.T, raw string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "request_id")
	st := m["stats"].(map[string]any)
	for _, k := range []string{"duration_ms", "bytes_downloaded", "list_requests"} {
		delete(st, k)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type s3Stats struct {
	Files           int    `json:"files"`
	BytesRead       int64  `json:"bytes_read"`
	BytesDownloaded *int64 `json:"bytes_downloaded"`
	ListRequests    *int   `json:"list_requests"`
}

func statsOf(t *testing.T, body string) s3Stats {
	var b struct {
		Stats s3Stats `json:"stats"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	if b.Stats.BytesDownloaded == nil {
		t.Fatalf("no bytes_downloaded in %s", body)
	}
	return b.Stats
}

func TestS3SameAnswersAsFolderAndWarmCache(t *testing.T) {
	srv := s3test.Start(t, "lake")
	uploadDataset(t, srv.Client())
	local := newHandler(t, testConfig(t))
	remote := newHandler(t, s3Config(t, srv))

	for _, ev := range []string{
		seedEvent,
		`{"company_id": "1690", "start_date": "2025-03-28", "end_date": "2025-04-05", "report": "access_daily"}`,
		`{"company_id": "1691", "start_date": "2025-04-02", "end_date": "2025-04-02", "report": "top_paths", "params": {"limit": 5}}`,
		`{"company_id": "9999", "start_date": "2025-04-01", "end_date": "2025-04-30"}`,
	} {
		want := local.Handle(context.Background(), []byte(ev))
		got := remote.Handle(context.Background(), []byte(ev))
		if got.StatusCode != 200 || comparable(t, got.Body) != comparable(t, want.Body) {
			t.Errorf("%s:\n folder %.400s\n s3     %.400s", ev, want.Body, got.Body)
		}
	}
	// The seed event was staged above: asked again, nothing is downloaded.
	again := statsOf(t, remote.Handle(context.Background(), []byte(seedEvent)).Body)
	if *again.BytesDownloaded != 0 || again.Files != 3 {
		t.Errorf("warm request: %+v", again)
	}
	// A 9-day range lists the company prefix once (start-after), not per day.
	wide := statsOf(t, remote.Handle(context.Background(), []byte(`{"company_id": "1690", "start_date": "2025-03-28", "end_date": "2025-04-05"}`)).Body)
	if *wide.ListRequests != 1 || wide.Files != 9 {
		t.Errorf("wide range: %+v", wide)
	}
	// An object overwritten in S3 is fetched again, and the answer follows it.
	other := filepath.Join(dataset, "company_id=1691", "date=2025-04-01", "gen-7.parquet")
	if err := srv.Client().Upload(context.Background(), "lake", "data/company_id=1690/date=2025-04-02/gen-7.parquet", other); err != nil {
		t.Fatal(err)
	}
	changed := remote.Handle(context.Background(), []byte(seedEvent))
	st := statsOf(t, changed.Body)
	info, err := os.Stat(other)
	if err != nil {
		t.Fatal(err)
	}
	if *st.BytesDownloaded != info.Size() {
		t.Errorf("after an overwrite: downloaded %d, want the new object's %d bytes", *st.BytesDownloaded, info.Size())
	}
	if comparable(t, changed.Body) == comparable(t, local.Handle(context.Background(), []byte(seedEvent)).Body) {
		t.Error("the answer did not change with the object")
	}
}

func TestS3ExportsAndPresignedURLs(t *testing.T) {
	srv := s3test.Start(t, "lake", "results")
	uploadDataset(t, srv.Client())
	reports := t.TempDir()
	if err := os.WriteFile(filepath.Join(reports, "rows.sql"), []byte("-- param: n integer default 50000\nSELECT i, 'row ' || i AS label FROM range($n) t(i)"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := s3Config(t, srv)
	cfg.Output, cfg.Reports = "s3://results/exports/", reports
	var logs bytes.Buffer
	h, err := New(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// The presigned URL is a bearer token: the caller gets it, the log never does.
		if strings.Contains(logs.String(), "X-Amz-Signature") || strings.Contains(logs.String(), s3test.SecretKey) {
			t.Errorf("a signature or secret in the log: %.500s", logs.String())
		}
	}()

	var b struct {
		Location string `json:"location"`
		URL      string `json:"url"`
		RowCount int64  `json:"row_count"`
		Data     any    `json:"data"`
	}
	resp := h.Handle(context.Background(), []byte(`{"report": "rows", "format": "csv"}`))
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(b.Location, "s3://results/exports/rows/_/") || b.RowCount != 50000 || b.Data != nil {
		t.Fatalf("%d %.300s", resp.StatusCode, resp.Body)
	}
	got, err := http.Get(b.URL) // plain HTTP, no credentials: the presigned URL carries them
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(got.Body).ReadAll()
	got.Body.Close()
	if err != nil || len(records) != 50001 || records[50000][1] != "row 49999" {
		t.Errorf("downloaded CSV: %v, %d records", err, len(records))
	}

	// Just over the inline limit: exported automatically as JSON.
	cfg.InlineBytes = 200_000
	h, err = New(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	resp = h.Handle(context.Background(), []byte(`{"report": "rows", "params": {"n": 40000}}`))
	b.URL, b.Data = "", nil
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || b.URL == "" || b.Data != nil || b.RowCount != 40000 {
		t.Fatalf("spill: %d %.300s", resp.StatusCode, resp.Body)
	}
	got, err = http.Get(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(got.Body)
	if err != nil {
		t.Fatal(err)
	}
	got.Body.Close()
	var rows []map[string]any
	if err := json.Unmarshal(raw, &rows); err != nil || len(rows) != 40000 {
		t.Errorf("spilled JSON: %v, %d rows", err, len(rows))
	}
}

// Faults: each a clear error in the log, a 500 (or 400) to the caller, the
// process serving the next request, and nothing half-written in scratch.
func TestS3Faults(t *testing.T) {
	srv := s3test.Start(t, "lake")
	c := srv.Client()
	uploadDataset(t, c)
	if err := c.Upload(context.Background(), "lake", "data/company_id=bad/date=2025-04-01/broken.parquet", filepath.Join("handler.go")); err != nil {
		t.Fatal(err)
	}
	cfg := s3Config(t, srv)
	var logs bytes.Buffer
	h, err := New(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ok := func() {
		t.Helper()
		if r := h.Handle(context.Background(), []byte(seedEvent)); r.StatusCode != 200 {
			t.Errorf("the next request: %d %s", r.StatusCode, r.Body)
		}
	}
	expect := func(name, event string, status int, logWants string) {
		t.Helper()
		logs.Reset()
		r := h.Handle(context.Background(), []byte(event))
		if r.StatusCode != status || !strings.Contains(logs.String(), logWants) {
			t.Errorf("%s: %d %s; log: %s", name, r.StatusCode, r.Body, logs.String())
		}
		if strings.Contains(r.Body, "Signature") || strings.Contains(r.Body, s3test.SecretKey) {
			t.Errorf("%s: the body leaks details: %s", name, r.Body)
		}
		left, err := filepath.Glob(filepath.Join(cfg.Scratch, "cache", "*", "*", "*", "*", ".download-*"))
		if err != nil {
			t.Fatal(err)
		}
		var reqs []string // besides the kept instance of the last successful request
		for _, name := range testkit.Leftovers(cfg.Scratch) {
			if strings.HasPrefix(name, "req-") {
				reqs = append(reqs, name)
			}
		}
		if len(left)+len(reqs) > 0 {
			t.Errorf("%s: left in scratch: %v %v", name, left, reqs)
		}
	}
	expect("corrupt Parquet", `{"company_id": "bad", "start_date": "2025-04-01", "end_date": "2025-04-01"}`, 500, "broken.parquet")
	ok()
	// Server down: connection refused; then back up.
	srv.Stop()
	expect("server stopped", `{"company_id": "1691", "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 500, "s3: listing")
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	ok()

	// Too large for the staging budget: refused before any download.
	small := cfg
	small.CacheBytes = 1000
	small.Scratch = t.TempDir()
	hs := newHandler(t, small)
	r := hs.Handle(context.Background(), []byte(seedEvent))
	if r.StatusCode != 400 || !strings.Contains(r.Body, "LAMBDUCK_CACHE_BYTES") || !strings.Contains(r.Body, "1000-byte") {
		t.Errorf("too large: %d %s", r.StatusCode, r.Body)
	}

	// A bucket that does not exist.
	missing := cfg
	missing.Data, missing.Scratch = "s3://nope/data/", t.TempDir()
	var mlogs bytes.Buffer
	hm, err := New(missing, slog.New(slog.NewJSONHandler(&mlogs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if r := hm.Handle(context.Background(), []byte(seedEvent)); r.StatusCode != 500 || !strings.Contains(mlogs.String(), "NoSuchBucket") {
		t.Errorf("missing bucket: %d %s %s", r.StatusCode, r.Body, mlogs.String())
	}
	if r := hm.Handle(context.Background(), []byte(`{"report": "hello"}`)); r.StatusCode != 200 {
		t.Errorf("hello after a missing bucket: %d", r.StatusCode)
	}

	// Wrong credentials.
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
	wrong := cfg
	wrong.Scratch = t.TempDir()
	var wlogs bytes.Buffer
	hw, err := New(wrong, slog.New(slog.NewJSONHandler(&wlogs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if r := hw.Handle(context.Background(), []byte(seedEvent)); r.StatusCode != 500 || !strings.Contains(wlogs.String(), "SignatureDoesNotMatch") || strings.Contains(wlogs.String(), "wrong-secret") {
		t.Errorf("wrong credentials: %d %s %s", r.StatusCode, r.Body, wlogs.String())
	}
}
