package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// With a 64 MB memory limit, sorting 3 million strings only completes by
// spilling, and the locked instance may spill only to the request's scratch
// folder: this passes only if that folder is set up and allowed.
func TestSpillsToScratchUnderMemoryLimit(t *testing.T) {
	scratch := t.TempDir()
	e, err := New(Settings{Scratch: scratch, MemoryLimitMB: 64, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.Open(context.Background(), Job{ID: "spill", SQL: `SELECT count(*) AS n FROM (SELECT md5(i::VARCHAR) AS s, i FROM range(3000000) t(i) ORDER BY s)`})
	if err != nil {
		t.Fatal(err)
	}
	if row := firstRow(t, s); len(row) != 1 || row[0] != int64(3000000) {
		t.Fatalf("row %v", row)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(scratch); len(left) != 0 {
		t.Errorf("scratch not empty after Close: %v", left)
	}
}

func TestLockedInstanceRefusesOtherFilesAndSettings(t *testing.T) {
	e, err := New(Settings{Scratch: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM glob('/*')",
		"SELECT current_setting('lock_configuration') AS x FROM (SELECT 1) WHERE setseed(0.5) IS NULL AND false UNION ALL SELECT * FROM read_text('/etc/hostname')",
	} {
		s, err := e.Open(context.Background(), Job{ID: "x", SQL: q})
		if err != nil {
			t.Fatal(err)
		}
		err = queryErr(s)
		s.Close()
		if err == nil || !strings.Contains(err.Error(), "Permission Error") {
			t.Errorf("%s: got %v, want a Permission Error", q, err)
		}
	}
}

// Every instance is configured for one request: no extension loading, no
// file-data cache that nothing would ever read again (filling it copies every
// byte the query reads), and the configuration locked.
func TestInstanceSettings(t *testing.T) {
	e, err := New(Settings{Scratch: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"enable_external_file_cache":   "false",
		"autoload_known_extensions":    "false",
		"autoinstall_known_extensions": "false",
		"enable_external_access":       "false",
		"lock_configuration":           "true",
	}
	for name, v := range want {
		s, err := e.Open(context.Background(), Job{ID: "settings", SQL: "SELECT current_setting('" + name + "')::VARCHAR AS v"})
		if err != nil {
			t.Fatal(err)
		}
		row := firstRow(t, s)
		s.Close()
		if len(row) != 1 || row[0] != v {
			t.Errorf("%s = %v, want %s", name, row, v)
		}
	}
}

// A job's share gives its instance that part of the engine's threads and
// memory, and an idle instance is not reused for a job with another share.
func TestJobShare(t *testing.T) {
	ctx := context.Background()
	e, err := New(Settings{Scratch: t.TempDir(), Threads: 2, MemoryLimitMB: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, c := range []struct {
		share           int
		threads, memory string
	}{{0, "2", "953.6 MiB"}, {2, "1", "476.8 MiB"}, {0, "2", "953.6 MiB"}, {4, "1", "238.4 MiB"}} {
		s, err := e.Open(ctx, Job{ID: "share", Share: c.share,
			SQL: "SELECT current_setting('threads')::VARCHAR AS t, current_setting('memory_limit')::VARCHAR AS m"})
		if err != nil {
			t.Fatal(err)
		}
		row := firstRow(t, s)
		if err := s.Release(); err != nil {
			t.Fatal(err)
		}
		if row[0] != c.threads || row[1] != c.memory {
			t.Errorf("share %d: threads %v, memory_limit %v; want %s, %s", c.share, row[0], row[1], c.threads, c.memory)
		}
	}
}

// Then runs another statement in the same instance, still locked to the
// job's files: a file outside them is refused.
func TestThenStaysLocked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := New(Settings{Scratch: filepath.Join(dir, "scratch")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	tool, err := e.OpenTool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for f, n := range map[string]int{a: 3, b: 5} {
		if _, err := tool.Conn().ExecContext(ctx, fmt.Sprintf("COPY (SELECT range AS x FROM range(%d)) TO %s (FORMAT parquet)", n, Quote(f))); err != nil {
			t.Fatal(err)
		}
	}
	tool.Close()
	s, err := e.Open(ctx, Job{ID: "then", SQL: "SELECT 1 AS one", Files: []string{a}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if row := firstRow(t, s); row[0] != int32(1) {
		t.Errorf("first statement: %v", row)
	}
	s.Then("SELECT count(*) AS n FROM read_parquet("+Quote(a)+") WHERE x >= $min", map[string]any{"min": 1})
	if row := firstRow(t, s); row[0] != int64(2) {
		t.Errorf("then, over the job's file: %v, want 2", row)
	}
	s.Then("SELECT count(*) AS n FROM read_parquet("+Quote(b)+")", nil)
	if err := queryErr(s); err == nil || !strings.Contains(err.Error(), "Permission Error") {
		t.Errorf("then, over another file: %v, want a Permission Error", err)
	}
}

// An idle instance is reused only for the same tenant and exactly the same
// files: a file rewritten in place (new size or modification time) gets a
// fresh instance, which reads the new contents.
func TestReuseFollowsFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := New(Settings{Scratch: filepath.Join(dir, "scratch")})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "company_id=7", "date=2025-04-01", "a.parquet")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(n int) {
		tool, err := e.OpenTool(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tool.Close()
		if _, err := tool.Conn().ExecContext(ctx, fmt.Sprintf("COPY (SELECT range AS bytes FROM range(%d)) TO %s (FORMAT parquet)", n, Quote(file))); err != nil {
			t.Fatal(err)
		}
	}
	count := func(tenant string) (int64, bool) {
		s, err := e.Open(ctx, Job{ID: "r", Tenant: tenant, SQL: "SELECT count(*) AS n FROM access_logs", Files: []string{file}, DefineView: true})
		if err != nil {
			t.Fatal(err)
		}
		row := firstRow(t, s)
		if err := s.Release(); err != nil {
			t.Fatal(err)
		}
		return row[0].(int64), s.Reused
	}
	write(10)
	for i, want := range []struct {
		tenant string
		write  int
		n      int64
		reused bool
	}{
		{"7", 0, 10, false},
		{"7", 0, 10, true},
		{"8", 0, 10, false}, // another tenant never shares an instance
		{"7", 0, 10, false},
		{"7", 0, 10, true},
		{"7", 25, 25, false}, // rewritten in place
		{"7", 0, 25, true},
	} {
		if want.write > 0 {
			write(want.write)
		}
		if n, reused := count(want.tenant); n != want.n || reused != want.reused {
			t.Errorf("step %d: %d rows, reused %v; want %d, %v", i, n, reused, want.n, want.reused)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "scratch")); len(left) != 0 {
		t.Errorf("scratch holds %v after Shutdown", left)
	}
}

// Close releases everything the engine opened — the kept instance, the
// spare made in the background, and the tools — and leaves scratch empty.
func TestCloseLeavesNoInstance(t *testing.T) {
	ctx := context.Background()
	before := LiveInstances()
	scratch := t.TempDir()
	e, err := New(Settings{Scratch: scratch})
	if err != nil {
		t.Fatal(err)
	}
	tool, err := e.OpenTool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if LiveInstances() != before+1 {
		t.Errorf("a tool: %d live instances, want %d", LiveInstances(), before+1)
	}
	if err := tool.Close(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		s, err := e.Open(ctx, Job{ID: "x", SQL: "SELECT 1 AS one"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Release(); err != nil {
			t.Fatal(err)
		}
	}
	if LiveInstances() <= before {
		t.Errorf("no instance kept after a released session")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if n := LiveInstances(); n != before {
		t.Errorf("%d instances still open after Close (were %d)", n, before)
	}
	if left, _ := os.ReadDir(scratch); len(left) != 0 {
		t.Errorf("scratch holds %v after Close", left)
	}
}

// A cancelled query is recognised by duckdb-go's typed error, not by its text.
func TestInterruptIsTyped(t *testing.T) {
	e, err := New(Settings{Scratch: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	s, err := e.Open(ctx, Job{ID: "slow", SQL: "SELECT count(*) AS n FROM range(1000000000000) a"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Query(ctx)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	// duckdb-go joins the context's error to DuckDB's.
	if !IsInterrupt(err) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if !IsInterrupt(fmt.Errorf("running: %w", &duckdb.Error{Type: duckdb.ErrorTypeInterrupt, Msg: "Interrupted!"})) {
		t.Error("a wrapped *duckdb.Error of type interrupt is an interrupt")
	}
	if IsInterrupt(errors.New("INTERRUPT Error: not from DuckDB")) {
		t.Error("a text that merely mentions INTERRUPT is not an interrupt")
	}
}

// firstRow runs the session's query and returns its first row.
// queryErr runs the session's statement to the end and returns its error.
func queryErr(s *Session) error {
	rows, err := s.Query(context.Background())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

func firstRow(t *testing.T, s *Session) []any {
	t.Helper()
	rows, err := s.Query(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("no row: %v", rows.Err())
	}
	return rows.Row()
}

// ExportParquetByDate writes one folder per day, the column kept in the
// files, inside the locked instance's own folder.
func TestExportParquetByDate(t *testing.T) {
	e, err := New(Settings{Scratch: t.TempDir(), Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s, err := e.Open(context.Background(), Job{ID: "by", Tenant: "1690",
		SQL: "SELECT (DATE '2025-04-01' + (i % 3)::INTEGER) AS date, i FROM range(30000) t(i)"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir, rows, err := s.ExportParquetByDate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rows != 30000 {
		t.Errorf("%d rows, want 30000", rows)
	}
	for _, d := range []string{"2025-04-01", "2025-04-02", "2025-04-03"} {
		files, _ := filepath.Glob(filepath.Join(dir, "date="+d, "*.parquet"))
		if len(files) != 1 {
			t.Fatalf("%s: %d files", d, len(files))
		}
		var n int64
		var day string
		tool, err := e.OpenTool(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		err = tool.Conn().QueryRowContext(context.Background(), "SELECT count(*), any_value(date)::VARCHAR FROM read_parquet("+Quote(files[0])+")").Scan(&n, &day)
		tool.Close()
		if err != nil || n != 10000 || day != d {
			t.Errorf("%s: %d rows of %s (%v)", d, n, day, err)
		}
	}
}
