package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lambduck/internal/engine"
	"lambduck/internal/gen"
	"lambduck/internal/storage"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// cliBinary builds the binary once for tests that run it as a command.
func cliBinary(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		// Under work, which TestMain removes: nothing stays in the system's temp folder.
		dir, err := os.MkdirTemp(work, "lambduck-cli-")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "lambduck")
		out, err := exec.Command("go", "build", "-o", cliPath, ".").CombinedOutput()
		if err != nil {
			cliErr = err
			t.Log(string(out))
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

// An ingest killed (SIGKILL) at 20 random points and then run again leaves
// exactly what one clean ingest leaves, row for row, and no partial file.
func TestIngestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	bin := cliBinary(t)
	dir := t.TempDir()
	eng, err := engine.New(engine.Settings{Scratch: filepath.Join(dir, "gen-scratch")})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	log := filepath.Join(dir, "company_id=1690", "access.log")
	_, err = gen.Raw(context.Background(), eng, gen.RawOptions{
		Options: gen.Options{Root: storage.Folder(filepath.Dir(log)), Companies: []string{"1690"}, Start: date("2025-04-01"), End: date("2025-04-10"),
			RowsPerDay: 30000, Seed: 5, TimeZone: time.UTC}, Format: "combined", Key: filepath.Base(log)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ingest := func(root string) *exec.Cmd {
		cmd := exec.Command(bin, "ingest", "--out", root, log)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LAMBDUCK_SCRATCH=" + filepath.Join(dir, "scratch")}
		return cmd
	}
	ref := filepath.Join(dir, "reference")
	began := time.Now()
	if out, err := ingest(ref).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	clean := time.Since(began)

	root := filepath.Join(dir, "data")
	rng := rand.New(rand.NewPCG(7, 7))
	killedMidway := 0
	for i := range 20 {
		cmd := ingest(root)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		at := time.Duration(rng.Int64N(int64(clean * 11 / 10)))
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(at):
			cmd.Process.Signal(syscall.SIGKILL)
			if err := <-done; err != nil {
				killedMidway++
			}
		}
		_ = i
	}
	if out, err := ingest(root).CombinedOutput(); err != nil {
		t.Fatalf("the run after the kills: %v\n%s", err, out)
	}
	t.Logf("clean ingest %v; %d of 20 runs killed midway", clean, killedMidway)
	if killedMidway < 10 {
		t.Errorf("only %d runs were killed midway: the test did not test", killedMidway)
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rel := func(r string) string {
		return "(SELECT * FROM read_parquet('" + r + "/*/*/*.parquet', hive_partitioning = true))"
	}
	var extra, missing, n int64
	db.QueryRow("SELECT count(*) FROM (SELECT * FROM " + rel(root) + " EXCEPT ALL SELECT * FROM " + rel(ref) + ")").Scan(&extra)
	db.QueryRow("SELECT count(*) FROM (SELECT * FROM " + rel(ref) + " EXCEPT ALL SELECT * FROM " + rel(root) + ")").Scan(&missing)
	db.QueryRow("SELECT count(*) FROM " + rel(root)).Scan(&n)
	if extra != 0 || missing != 0 || n != 300000 {
		t.Errorf("after kills: %d rows, %d extra, %d missing (want 300000, 0, 0)", n, extra, missing)
	}
	records := 0
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if strings.Contains(p, string(filepath.Separator)+"_sources"+string(filepath.Separator)) && strings.HasSuffix(d.Name(), ".json") {
			// the source's record: whole, or not there
			b, err := os.ReadFile(p)
			if err != nil || !json.Valid(b) {
				t.Errorf("a partial record of the source: %s: %v %q", p, err, b)
			}
			records++
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") || !strings.HasSuffix(d.Name(), ".parquet") {
			t.Errorf("partial file in the data root: %s", p)
		}
		return nil
	})
	if records != 2 {
		t.Errorf("%d records of the one source, want 2 (by id, by fingerprint)", records)
	}
}
