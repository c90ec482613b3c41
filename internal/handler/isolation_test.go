package handler

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lambduck/internal/report"
	"lambduck/internal/s3test"
)

// plantSecret writes a row only company B has, so that any leak is visible.
func plantSecret(t *testing.T, root string) (file, secret string) {
	t.Helper()
	secret = fmt.Sprintf("/secret-of-1691-%d", os.Getpid())
	file = filepath.Join(root, "company_id=1691", "date=2025-04-02", "secret.parquet")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`COPY (SELECT TIMESTAMPTZ '2025-04-02 10:00:00+00' AS ts, '203.0.113.99' AS client_ip, 'GET' AS method,
		'` + secret + `' AS path, NULL::VARCHAR AS query, 'HTTP/1.1' AS protocol, 200::SMALLINT AS status, 1::BIGINT AS bytes,
		NULL::VARCHAR AS referrer, 'B-SECRET-AGENT' AS user_agent, NULL::VARCHAR AS host, NULL::DOUBLE AS request_time_ms,
		'test' AS source) TO '` + file + `' (FORMAT parquet)`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(file) })
	return file, secret
}

// Attempts to read company B (1691) while asking as company A (1690).
func TestIsolationUnderAttack(t *testing.T) {
	srv := s3test.Start(t, "lake")
	bFile, secret := plantSecret(t, dataset)
	uploadDataset(t, srv.Client())
	cfg := s3Config(t, srv)
	cfg.Output = t.TempDir()
	cacheB := filepath.Join(cfg.Scratch, "cache", "lake", "data", "company_id=1691", "date=2025-04-02", "secret.parquet")

	reports := t.TempDir()
	attacks := map[string]string{
		"read_parquet_b":  "SELECT * FROM read_parquet('" + bFile + "')",
		"parquet_glob_b":  "SELECT * FROM read_parquet('" + dataset + "/company_id=1691/**/*.parquet')",
		"read_csv_b":      "SELECT * FROM read_csv('" + bFile + "')",
		"read_text_b":     "SELECT content FROM read_text('" + bFile + "')",
		"read_blob_b":     "SELECT content FROM read_blob('" + bFile + "')",
		"glob_b":          "SELECT file FROM glob('" + dataset + "/company_id=1691/*/*')",
		"warm_cache_b":    "SELECT * FROM read_parquet('" + cacheB + "')",
		"cache_glob":      "SELECT * FROM read_parquet('" + filepath.Join(cfg.Scratch, "cache") + "/**/*.parquet')",
		"union_view_b":    "SELECT path FROM access_logs UNION ALL SELECT path FROM '" + bFile + "'",
		"scratch_listing": "SELECT file FROM glob('" + cfg.Scratch + "/**')",
		"param_sql": `-- param: q string default x
SELECT count(*) AS n, max(path) AS p FROM access_logs WHERE path = $q`,
	}
	for name, text := range attacks {
		if err := os.WriteFile(filepath.Join(reports, name+".sql"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Reports = reports
	var logs bytes.Buffer
	h, err := New(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// B asks first, so B's objects sit in the warm cache.
	if r := h.Handle(context.Background(), []byte(`{"company_id": "1691", "start_date": "2025-04-01", "end_date": "2025-04-03", "report": "top_paths", "params": {"limit": 1000}}`)); r.StatusCode != 200 || !strings.Contains(r.Body, secret) {
		t.Fatalf("B's own request should see B's data: %d", r.StatusCode)
	}
	if _, err := os.Stat(cacheB); err != nil {
		t.Fatalf("B's object is not in the warm cache: %v", err)
	}
	logs.Reset()

	asA := func(report, params string) string {
		return fmt.Sprintf(`{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "report": %q, "params": %s}`, report, params)
	}
	cases := []struct {
		name, event string
		status      int
	}{
		{"company path", `{"company_id": "1690/../1691", "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 400},
		{"company dots", `{"company_id": "..", "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 400},
		{"company encoded slash", `{"company_id": "1690%2F..%2F1691", "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 400},
		{"company look-alike", `{"company_id": "１６９１", "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 400},
		{"company NUL", `{"company_id": "1691\u0000", "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 400},
		{"company SQL", `{"company_id": "1690' OR company_id = '1691", "start_date": "2025-04-01", "end_date": "2025-04-03"}`, 400},
		{"SQL in a string param", asA("param_sql", `{"q": "x' OR '1'='1"}`), 200},
		{"SQL union in a string param", asA("param_sql", `{"q": "' UNION SELECT path FROM read_parquet('`+bFile+`') --"}`), 200},
		{"SQL in a string param, export", `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-03", "report": "param_sql", "format": "csv", "params": {"q": "x' OR '1'='1"}}`, 200},
		{"SQL in a date", `{"company_id": "1690", "start_date": "2025-04-01' OR '1'='1", "end_date": "2025-04-03"}`, 400},
	}
	for name := range attacks {
		if name != "param_sql" {
			cases = append(cases, struct {
				name, event string
				status      int
			}{name, asA(name, "{}"), 500})
			cases = append(cases, struct {
				name, event string
				status      int
			}{name + " as csv", strings.Replace(asA(name, "{}"), `"params"`, `"format": "csv", "params"`, 1), 500})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logs.Reset()
			r := h.Handle(context.Background(), []byte(c.event))
			if r.StatusCode != c.status {
				t.Errorf("status %d, want %d: %.300s", r.StatusCode, c.status, r.Body)
			}
			for where, text := range map[string]string{"response": r.Body, "log": logs.String()} {
				if strings.Contains(text, secret) || strings.Contains(text, "B-SECRET-AGENT") {
					t.Errorf("B's data in the %s: %.500s", where, text)
				}
			}
		})
	}
	// No exported file holds B's data either.
	filepath.WalkDir(cfg.Output, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secret)) {
				t.Errorf("B's data in the export %s", p)
			}
		}
		return nil
	})
}

// A report that is not one SELECT — COPY, ATTACH, INSTALL, LOAD, SET,
// PRAGMA, a second statement — keeps the deployment from starting.
func TestNonSelectReportsRefusedAtLoad(t *testing.T) {
	for name, text := range map[string]string{
		"copy_out": "COPY (SELECT * FROM access_logs) TO '/tmp/stolen.csv'",
		"attach":   "ATTACH '/tmp/other.duckdb' AS o",
		"install":  "INSTALL httpfs",
		"load":     "LOAD httpfs",
		"set":      "SET enable_external_access = true",
		"pragma":   "PRAGMA version",
		"two":      "SELECT 1; SET lock_configuration = false",
		"call":     "CALL duckdb_settings()",
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name+".sql"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := report.Load(dir, nil); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: loaded (%v)", name, err)
		}
	}
}
