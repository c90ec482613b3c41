package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lambduck/internal/engine"
	"lambduck/internal/gen"
	"lambduck/internal/storage"
)

// A 512 MB function answers access_summary over ten million rows — far
// more than its memory once decoded — by spilling, within 512 MB of RSS.
// With a spill budget too small for the query, the request fails cleanly
// (500, nothing left in scratch) and the next one is served.
func TestEmulatorMemoryAndSpillPressure(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	if rieBin == "" {
		t.Skip("LAMBDUCK_RIE is not set")
	}
	big := filepath.Join(work, "big")
	eng, err := engine.New(engine.Settings{Scratch: filepath.Join(work, "gen-scratch")})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	sum, err := gen.Parquet(context.Background(), eng, gen.Options{Root: storage.Folder(big), Companies: []string{"1690"},
		Start: date("2025-04-01"), End: date("2025-04-30"), RowsPerDay: 350000, Seed: 8, TimeZone: time.UTC}, nil)
	if err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(big, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			if err := os.Chmod(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})
	savedRoot := dataRoot
	dataRoot = big
	want := independentSummary(t, "1690", "2025-04-01", "2025-04-30")
	dataRoot = savedRoot

	e := startEmulator(t, map[string]string{"LAMBDUCK_DATA": big, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_LAMBDA_FUNCTION_TIMEOUT": "120"})
	r := e.post(t, seedEvent)
	if r.StatusCode != 200 || asInts(r.body.Data[0]) != want {
		t.Fatalf("512 MB over %d rows (%.0f MB of Parquet): %d %.300s, want %s", sum.Rows, float64(sum.Bytes)/1e6, r.StatusCode, r.Body, want)
	}
	pid := processOf(t, e)
	peak := procKB(t, pid, "VmHWM")
	t.Logf("%d rows, %.0f MB of Parquet; peak RSS %d MB with AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512", sum.Rows, float64(sum.Bytes)/1e6, peak/1024)
	if peak > 512*1024 {
		t.Errorf("peak RSS %d kB is over the function's 512 MB", peak)
	}

	tight := startEmulator(t, map[string]string{"LAMBDUCK_DATA": big, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "LAMBDUCK_SPILL_BYTES": "1000000"})
	r = tight.post(t, seedEvent)
	if r.StatusCode != 500 {
		t.Errorf("spill budget of 1 MB: %d %.300s", r.StatusCode, r.Body)
	}
	if !strings.Contains(tight.Output(), "max_temp_directory_size") {
		t.Errorf("the log does not say the spill budget was exceeded")
	}
	if left, _ := os.ReadDir(tight.scratch); len(left) != 0 {
		t.Errorf("scratch holds %d entries after the failed request", len(left))
	}
	if r := tight.post(t, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-01"}`); r.StatusCode != 200 {
		t.Errorf("the next, smaller request: %d %.300s", r.StatusCode, r.Body)
	}
}
