package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lambduck/internal/compact"
	"lambduck/internal/engine"
	"lambduck/internal/storage"
	"lambduck/internal/store"
)

// liveRows reads back, as a report would select them (through the store,
// honouring compactions), every row of company 1690 over April 1–3.
func liveRows(t *testing.T, root string) []string {
	t.Helper()
	s, err := store.New(storage.Folder(root), store.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sel, err := s.Select(context.Background(), "1690", day("2025-04-01"), day("2025-04-03"))
	if err != nil {
		t.Fatal(err)
	}
	list, _ := engine.QuoteList(sel.Paths())
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT concat_ws('|', ts, client_ip, method, path, query, protocol, status, bytes, referrer, user_agent)
		FROM read_parquet(` + list + `, hive_partitioning = false)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Re-ingesting a source after its days were compacted replaces its rows
// inside a new compaction (never both, never neither), and a source that
// shrank leaves the days it no longer covers: the rows equal what the same
// sources give in a root that was never compacted.
func TestReingestIntoACompactedDay(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	genCombined(t, a, 1000, 1)
	genCombined(t, b, 500, 2)
	ingestFiles(t, root, Options{Company: "1690"}, a, b)
	want := liveRows(t, root)
	eng := newEngine(t)
	sum, err := compact.Run(context.Background(), compact.Options{Root: storage.Folder(root), Engine: eng, Scratch: t.TempDir(), Threshold: 1, TargetRows: 600},
		"1690", day("2025-04-01"), day("2025-04-03"), nil)
	if err != nil || sum.Compacted != 3 {
		t.Fatalf("%v %+v", err, sum)
	}
	if got := liveRows(t, root); !slices.Equal(got, want) || len(got) != 4500 {
		t.Fatalf("after compaction %d rows, want the same %d", len(got), len(want))
	}
	ingestFiles(t, root, Options{Company: "1690"}, a)
	if got := liveRows(t, root); !slices.Equal(got, want) {
		t.Fatalf("re-ingesting a compacted source: %d rows, want the same %d", len(got), len(want))
	}
	// a shrinks to its first day, with one line changed.
	first := linesOf(t, a, "01/Apr/2025")
	first[0] = strings.Replace(first[0], `" 200 `, `" 404 `, 1)
	writeLines(t, a, first)
	ingestFiles(t, root, Options{Company: "1690"}, a)
	fresh := t.TempDir()
	ingestFiles(t, fresh, Options{Company: "1690"}, a, b)
	want = liveRows(t, fresh)
	if got := liveRows(t, root); !slices.Equal(got, want) || len(got) != 1000+1500 {
		t.Fatalf("after re-ingesting a shrunk source: %d rows, want %d as in a root never compacted", len(got), len(want))
	}
	// Each day still reads one compacted file (and, on the days a no longer
	// covers, nothing of a).
	for _, d := range []string{"2025-04-02", "2025-04-03"} {
		entries, _ := os.ReadDir(filepath.Join(root, "company_id=1690", "date="+d))
		var compactions int
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".json") {
				compactions++
			}
		}
		if compactions < 2 {
			t.Errorf("%s: %d compactions, want the first and the one that dropped a (%v)", d, compactions, fmt.Sprint(len(entries)))
		}
	}
}
