package gen

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"lambduck/internal/engine"
	"lambduck/internal/storage"
)

func generate(t *testing.T, root string, tz *time.Location, seed int64) Summary {
	t.Helper()
	eng, err := engine.New(engine.Settings{Scratch: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Parquet(context.Background(), eng, Options{
		Root: storage.Folder(root), Companies: []string{"1690", "1691"},
		Start: time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
		RowsPerDay: 3000, Seed: seed, TimeZone: tz,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func query(t *testing.T, q string, dest ...any) {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(q).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	sum := generate(t, a, time.UTC, 1)
	generate(t, b, time.UTC, 1)
	generate(t, c, time.UTC, 2)
	if sum.Files != 6 || sum.Rows != 18000 {
		t.Errorf("summary %+v", sum)
	}
	var diffAB, diffAC int64
	glob := func(dir string) string { return "read_parquet('" + dir + "/*/*/*.parquet', hive_partitioning = true)" }
	query(t, "SELECT count(*) FROM (SELECT * FROM "+glob(a)+" EXCEPT ALL SELECT * FROM "+glob(b)+")", &diffAB)
	query(t, "SELECT count(*) FROM (SELECT * FROM "+glob(a)+" EXCEPT ALL SELECT * FROM "+glob(c)+")", &diffAC)
	if diffAB != 0 {
		t.Errorf("the same seed gave %d different rows", diffAB)
	}
	if diffAC < 17000 {
		t.Errorf("another seed gave only %d different rows", diffAC)
	}
	// Generating again replaces: still one file per partition.
	generate(t, a, time.UTC, 1)
	files, err := filepath.Glob(filepath.Join(a, "*", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 6 {
		t.Errorf("%d files after a second run, want 6", len(files))
	}
}

func TestRealisticAndPartitionedByReportTimeZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	generate(t, root, tokyo, 1)
	var wrongDay, ipv6, notFound, serverErr, withQuery, noReferrer, notModifiedWithBytes, visitors, rows int64
	query(t, `SELECT
		count(*) FILTER (WHERE strftime(timezone('Asia/Tokyo', ts), '%Y-%m-%d') <> date::VARCHAR),
		count(*) FILTER (WHERE client_ip LIKE '%:%'),
		count(*) FILTER (WHERE status = 404),
		count(*) FILTER (WHERE status >= 500),
		count(*) FILTER (WHERE query IS NOT NULL),
		count(*) FILTER (WHERE referrer IS NULL),
		count(*) FILTER (WHERE status = 304 AND bytes <> 0),
		count(DISTINCT (client_ip, user_agent)),
		count(*)
		FROM read_parquet('`+root+`/*/*/*.parquet', hive_partitioning = true, hive_types = {'date': DATE})`,
		&wrongDay, &ipv6, &notFound, &serverErr, &withQuery, &noReferrer, &notModifiedWithBytes, &visitors, &rows)
	if wrongDay != 0 {
		t.Errorf("%d rows whose Tokyo date differs from their partition", wrongDay)
	}
	share := func(n int64) float64 { return float64(n) / float64(rows) }
	if share(ipv6) < 0.02 || share(notFound) < 0.04 || share(serverErr) < 0.01 || share(withQuery) < 0.1 || share(noReferrer) < 0.3 {
		t.Errorf("mix: ipv6 %.3f, 404 %.3f, 5xx %.3f, query %.3f, no referrer %.3f", share(ipv6), share(notFound), share(serverErr), share(withQuery), share(noReferrer))
	}
	if notModifiedWithBytes != 0 {
		t.Errorf("%d 304 responses with a body", notModifiedWithBytes)
	}
	if visitors < 100 || visitors > rows/2 {
		t.Errorf("%d visitors for %d rows: visitors should come back", visitors, rows)
	}
}
