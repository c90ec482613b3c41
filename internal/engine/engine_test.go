package engine

import (
	"context"
	"os"
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
