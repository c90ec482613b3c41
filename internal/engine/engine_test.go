package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	rows, err := s.Query(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	row := rows.Next()
	if err := rows.Err(); err != nil || len(row) != 1 || row[0] != int64(3000000) {
		t.Fatalf("row %v, err %v", row, err)
	}
	rows.Close()
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
		rows, err := s.Query(context.Background())
		if err == nil {
			for rows.Next() != nil {
			}
			err = rows.Err()
			rows.Close()
		}
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
		rows, err := s.Query(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		row := rows.Next()
		rows.Close()
		s.Close()
		if len(row) != 1 || row[0] != v {
			t.Errorf("%s = %v, want %s", name, row, v)
		}
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
	os.MkdirAll(filepath.Dir(file), 0o755)
	write := func(n int) {
		tool, err := e.OpenTool(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tool.Close()
		if _, err := tool.Conn.ExecContext(ctx, fmt.Sprintf("COPY (SELECT range AS bytes FROM range(%d)) TO %s (FORMAT parquet)", n, Quote(file))); err != nil {
			t.Fatal(err)
		}
	}
	count := func(tenant string) (int64, bool) {
		s, err := e.Open(ctx, Job{ID: "r", Tenant: tenant, SQL: "SELECT count(*) AS n FROM access_logs", Files: []string{file}, DefineView: true})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.Query(ctx)
		if err != nil {
			t.Fatal(err)
		}
		row := rows.Next()
		rows.Close()
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
	if err := e.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "scratch")); len(left) != 0 {
		t.Errorf("scratch holds %v after Shutdown", left)
	}
}
