// Package testkit holds what several packages' tests share: an answer to
// access_summary computed without any lambduck code, what package engine
// leaves on disk, and an engine for a test. Only tests import it.
package testkit

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the independent query's own DuckDB

	"lambduck/internal/engine"
)

// AccessSummary computes access_summary's six figures (hits, unique
// visitors, bandwidth, distinct paths, 404s, 5xx) for company over
// from…to (YYYY-MM-DD) straight from the files under the data root folder,
// with a plain DuckDB and SQL written apart from the report's.
func AccessSummary(root, company, from, to string) ([6]int64, error) {
	var v [6]int64
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return v, err
	}
	defer db.Close()
	err = db.QueryRow(fmt.Sprintf(`
		SELECT count(*),
		       count(DISTINCT (client_ip, date, user_agent)) FILTER (WHERE status < 400 OR status >= 500),
		       sum(bytes), count(DISTINCT path),
		       count(*) FILTER (WHERE status = 404), count(*) FILTER (WHERE status >= 500)
		FROM read_parquet('%s/company_id=%s/*/*.parquet', hive_partitioning = true, hive_types = {'date': DATE})
		WHERE date BETWEEN DATE '%s' AND DATE '%s'`, root, company, from, to)).
		Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5])
	return v, err
}

// Leftovers lists what requests left under a scratch folder: every entry
// except the idle instance's folder (req-*, holding only an empty spill
// folder). Tests use it to show that nothing of a request stays on disk.
func Leftovers(scratch string) []string {
	entries, _ := os.ReadDir(scratch)
	var out []string
	idle := 0
	for _, en := range entries {
		if en.IsDir() && strings.HasPrefix(en.Name(), "req-") && idle == 0 {
			inside, _ := os.ReadDir(filepath.Join(scratch, en.Name()))
			spill, _ := os.ReadDir(filepath.Join(scratch, en.Name(), "spill"))
			if len(inside) == 1 && inside[0].Name() == "spill" && len(spill) == 0 {
				idle++
				continue
			}
		}
		out = append(out, en.Name())
	}
	return out
}

// Engine is an engine with its scratch in the test's temporary folder,
// closed when the test ends.
func Engine(t testing.TB) *engine.Engine {
	t.Helper()
	eng, err := engine.New(engine.Settings{Scratch: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// Attacks are report statements that try to read what a request must not:
// another company's file (other, under the data root), a glob over every
// company, the machine's files, the scratch folder beside the data root.
// Every one must fail, whichever face runs it (a user report, lambduck sql).
func Attacks(data, other, otherCompany string) map[string]string {
	return map[string]string{
		"steal_file":    "SELECT count(*) AS n, max(client_ip) AS ip FROM read_parquet('" + other + "')",
		"steal_glob":    "SELECT count(*) AS n FROM read_parquet('" + data + "/company_id=" + otherCompany + "/*/*.parquet')",
		"steal_union":   "SELECT count(*) AS n FROM (SELECT client_ip FROM access_logs UNION ALL SELECT client_ip FROM '" + other + "')",
		"list_files":    "SELECT file FROM glob('" + data + "/*/*/*')",
		"read_passwd":   "SELECT * FROM read_csv('/etc/passwd')",
		"read_text":     "SELECT content FROM read_text('" + other + "')",
		"steal_scratch": "SELECT * FROM read_parquet('" + data + "/../scratch/**/*.parquet')",
	}
}
