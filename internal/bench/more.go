package bench

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"lambduck/internal/config"
	"lambduck/internal/engine"
	"lambduck/internal/gen"
	"lambduck/internal/handler"
	"lambduck/internal/rie"
	"lambduck/internal/s3server"
	"lambduck/internal/storage"
)

// Extra says where the tools for comparisons 4–8 are.
type Extra struct {
	RawLines  int    // #4: lines of the raw Combined log
	Rie       string // aws-lambda-rie
	Bootstrap string // the binary run as the function (this one)
	GoAccess  string // goaccess
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// linesPerRawDay is how many lines #4's log has a day.
const linesPerRawDay = 100000

// rawDays is how many whole days of linesPerRawDay #4's log has for
// --raw-lines (the nearest, at least one); the row is labelled with
// rawDays × linesPerRawDay, the lines it really read.
func rawDays(lines int) int { return max(1, (lines+linesPerRawDay/2)/linesPerRawDay) }

// bigRowsPerDay is #6's rows a day: ten times the other rows', so that the
// size flags scale it (at the default, 30 million rows: ≥ 4× DuckDB's
// memory limit at 512 MB).
func bigRowsPerDay(o Options) int { return 10 * o.RowsPerDay }

// rawToNumbers is #4: raw Combined log → access_summary numbers, ingest
// included, against goaccess on the same file. Both sides are processes:
// `lambduck ingest` then `lambduck invoke` (the function's binary, as a user
// runs it), so that each peak RSS is that program's alone.
func rawToNumbers(ctx context.Context, o Options, x Extra, eng *engine.Engine, logf func(string, ...any)) (Row, error) {
	// The log is whole days of 100,000 lines: --raw-lines rounds to them,
	// and the row says how many lines were read.
	days := rawDays(x.RawLines)
	row := Row{ID: 4, What: fmt.Sprintf("raw Combined log (%d lines) → access_summary numbers, ingest included", days*linesPerRawDay),
		Baseline: "goaccess on the same file, same numbers", Target: "≥ 10× faster, peak RSS ≤ 1 GB"}
	log := filepath.Join(o.Work, "raw", "access.log")
	logRoot := storage.Folder(filepath.Dir(log))
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	logf("4. writing a %d-line Combined log…", days*linesPerRawDay)
	if _, err := gen.Raw(ctx, eng, gen.RawOptions{Options: gen.Options{Companies: []string{"1690"}, Start: start,
		Root: logRoot, End: start.AddDate(0, 0, days-1), RowsPerDay: linesPerRawDay, Seed: 4, TimeZone: time.UTC}, Format: "combined", Key: filepath.Base(log)}, nil); err != nil {
		return row, err
	}
	event := filepath.Join(o.Work, "raw-event.json")
	if err := os.WriteFile(event, fmt.Appendf(nil, `{"company_id": "1690", "start_date": %q, "end_date": %q}`,
		start.Format(time.DateOnly), start.AddDate(0, 0, days-1).Format(time.DateOnly)), 0o644); err != nil {
		return row, err
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + o.Work, "LAMBDUCK_TIMEZONE=UTC",
		"LAMBDUCK_DATA=" + filepath.Join(o.Work, "raw-data"), "LAMBDUCK_SCRATCH=" + filepath.Join(o.Work, "raw-scratch")}
	logf("4. lambduck: ingest, then access_summary…")
	t0 := time.Now()
	_, ingestRSS, err := measured(ctx, env, x.Bootstrap, "ingest", "--company", "1690", "--format", "combined", log)
	if err != nil {
		return row, fmt.Errorf("#4 ingest: %w", err)
	}
	out, reportRSS, err := measured(ctx, env, x.Bootstrap, "invoke", event)
	ours := time.Since(t0)
	if err != nil {
		return row, fmt.Errorf("#4 report: %w", err)
	}
	var resp struct{ Body string }
	var body struct{ Data [][]int64 }
	if err := json.Unmarshal(out, &resp); err != nil {
		return row, fmt.Errorf("#4 report: %w: %.200s", err, out)
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || len(body.Data) != 1 || len(body.Data[0]) < 3 {
		return row, fmt.Errorf("#4 report: unexpected answer %.300s", resp.Body)
	}
	summary := body.Data[0]
	logf("4. goaccess…")
	report := filepath.Join(o.Work, "goaccess.json")
	t0 = time.Now()
	_, theirRSS, err := measured(ctx, []string{"PATH=/usr/bin:/bin", "TZ=UTC"}, x.GoAccess,
		"--log-format=COMBINED", "-q", "--http-method=no", "--http-protocol=no", "--no-progress", "-o", report, log)
	theirs := time.Since(t0)
	if err != nil {
		return row, fmt.Errorf("goaccess: %w", err)
	}
	var ga struct {
		General struct {
			Valid    float64 `json:"valid_requests"`
			Visitors float64 `json:"unique_visitors"`
			Bytes    float64 `json:"bandwidth"`
		} `json:"general"`
	}
	raw, _ := os.ReadFile(report)
	json.Unmarshal(raw, &ga)
	same := summary[0] == int64(ga.General.Valid) && summary[1] == int64(ga.General.Visitors) && summary[2] == int64(ga.General.Bytes)
	peak := max(ingestRSS, reportRSS)
	row.Subject, row.Base = Stat{ms(ours), ms(ours), ms(ours)}, Stat{ms(theirs), ms(theirs), ms(theirs)}
	row.Ratio = row.Base.MedianMS / row.Subject.MedianMS
	row.Met = row.Ratio >= 10 && same && peak <= 1<<30
	row.Note = fmt.Sprintf("one run each; numbers equal: %v (hits %.0f, visitors %.0f, bandwidth %.0f); peak RSS: ingest %.0f MB, report %.0f MB, goaccess %.0f MB",
		same, ga.General.Valid, ga.General.Visitors, ga.General.Bytes, float64(ingestRSS)/1e6, float64(reportRSS)/1e6, float64(theirRSS)/1e6)
	return row, nil
}

// measured runs a program with exactly env and returns its standard output
// and its peak resident set size in bytes: the highest VmHWM read from
// /proc while it runs (every 10 ms; the high-water mark only rises). Not
// the rusage of wait4: Go starts a child with vfork on the parent's memory,
// so Linux reports max(this process's peak, the child's) — every program
// measured after a large row showed this process's size.
func measured(ctx context.Context, env []string, name string, args ...string) ([]byte, int64, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	done := make(chan struct{})
	peak := make(chan int64)
	go func() {
		var kb int
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			kb = max(kb, rie.ProcKB(cmd.Process.Pid, "VmHWM"))
			select {
			case <-done:
				peak <- int64(kb) * 1024
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	rss := <-peak
	if err != nil {
		return stdout.Bytes(), 0, fmt.Errorf("%s: %v: %.500s", filepath.Base(name), err, stderr.String())
	}
	return stdout.Bytes(), rss, nil
}

// coldStart is #5: process start to the first answer of hello under rie.
func coldStart(o Options, x Extra, root string) (Row, error) {
	row := Row{ID: 5, What: "cold start under aws-lambda-rie: Init, and process start to the first answer of hello", Baseline: "—", Target: "Init ≤ 150 ms"}
	var inits, firsts []time.Duration
	for i := range o.Runs {
		t0 := time.Now()
		e, err := startEmulator(x.Rie, x.Bootstrap, o.Work, []string{"LAMBDUCK_DATA=" + root, "LAMBDUCK_SCRATCH=" + filepath.Join(o.Work, fmt.Sprintf("cold-%d", i))})
		if err != nil {
			return row, err
		}
		_, err = invoke(e, `{"report": "hello"}`)
		firsts = append(firsts, time.Since(t0))
		inits = append(inits, time.Duration(e.InitMS()*float64(time.Millisecond)))
		e.Stop()
		if err != nil {
			return row, err
		}
	}
	row.Subject = stat(inits)
	first := stat(firsts)
	row.Met = row.Subject.MedianMS <= 150
	row.Note = fmt.Sprintf("process start (emulator included) to the first hello answer: median %.1f ms (%.1f–%.1f)", first.MedianMS, first.MinMS, first.MaxMS)
	return row, nil
}

// memoryBound is #6: access_summary over data at least 4× DuckDB's memory
// limit in a 512 MB function.
func memoryBound(ctx context.Context, o Options, x Extra, eng *engine.Engine, logf func(string, ...any)) (Row, error) {
	row := Row{ID: 6, What: "access_summary over data ≥ 4× the memory limit, AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512", Baseline: "—", Target: "completes, peak RSS ≤ 512 MB"}
	root := filepath.Join(o.Work, "big")
	bigRoot := storage.Folder(root)
	// Ten times the month of the other rows (30 million rows at the default size).
	logf("6. generating %d rows…", 30*bigRowsPerDay(o))
	if _, err := gen.Parquet(ctx, eng, gen.Options{Root: bigRoot, Companies: []string{"1690"}, Start: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
		End: time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC), RowsPerDay: bigRowsPerDay(o), Seed: 6, TimeZone: time.UTC}, nil); err != nil {
		return row, err
	}
	db, _ := sql.Open("duckdb", "")
	var decoded int64
	db.QueryRowContext(ctx, `SELECT sum(total_uncompressed_size) FROM parquet_metadata('`+root+`/*/*/*.parquet')`).Scan(&decoded)
	db.Close()
	limitMB := engine.Settings{}.ForFunctionMemory(512).MemoryLimitMB
	// One invocation's memory is the point: no fan-out (the emulator names
	// the function, so it would invoke itself).
	e, err := startEmulator(x.Rie, x.Bootstrap, o.Work, []string{"LAMBDUCK_DATA=" + root, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"LAMBDUCK_SCRATCH=" + filepath.Join(o.Work, "big-scratch"), "LAMBDUCK_WORKERS=1"})
	if err != nil {
		return row, err
	}
	defer e.Stop()
	t0 := time.Now()
	_, err = invoke(e, event)
	took := time.Since(t0)
	peak := rie.ProcKB(e.FunctionPID(), "VmHWM")
	row.Subject = Stat{ms(took), ms(took), ms(took)}
	ratio := float64(decoded) / float64(limitMB<<20)
	row.Met = err == nil && peak <= 512*1024 && ratio >= 4
	row.Note = fmt.Sprintf("one run; data %.0f MB decoded (%.1f× DuckDB's %d MB limit); peak RSS %d MB", float64(decoded)/1e6, ratio, limitMB, peak/1024)
	if err != nil {
		row.Note += "; error: " + err.Error()
	}
	return row, nil
}

// parquetExport is #7: a 100,000-row result exported as Parquet to S3
// through the handler, against DuckDB's COPY of the same rows to a local file.
func parquetExport(ctx context.Context, o Options, srv *s3server.Server, root string) (Row, error) {
	row := Row{ID: 7, What: "a 100,000-row result exported as Parquet to S3 (handler, upload, presign)", Baseline: "DuckDB COPY of the same rows to a local file", Target: "≤ 1.5×"}
	const q = `SELECT i, 'row ' || i AS label, i * 1.5 AS v, DATE '2025-04-01' + (i % 30)::INTEGER AS d FROM range(100000) t(i)`
	reports := filepath.Join(o.Work, "reports")
	os.MkdirAll(reports, 0o755)
	os.WriteFile(filepath.Join(reports, "rows.sql"), []byte(q), 0o644)
	if err := srv.Client().CreateBucket(ctx, "results"); err != nil {
		return row, err
	}
	cfg, _ := config.FromEnv(os.Getenv, false)
	cfg.Data, cfg.Output, cfg.Reports, cfg.S3PathStyle, cfg.Scratch = root, "s3://results/exports/", reports, true, filepath.Join(o.Work, "export-handler")
	h, err := handler.New(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		return row, err
	}
	defer h.Close()
	export := func() error {
		_, err := answer(ctx, h, `{"report": "rows", "format": "parquet"}`)
		return err
	}
	db, _ := sql.Open("duckdb", "")
	defer db.Close()
	n := 0
	copyLocal := func() error {
		n++
		_, err := db.ExecContext(ctx, "COPY ("+q+") TO '"+filepath.Join(o.Work, fmt.Sprintf("copy-%d.parquet", n))+"' (FORMAT parquet, COMPRESSION zstd)")
		return err
	}
	// Both warm (the handler's instance and S3 connection, the baseline's
	// connection), then in turns.
	if err := export(); err != nil {
		return row, err
	}
	if err := copyLocal(); err != nil {
		return row, err
	}
	subject, base, err := alternate(o.Runs, export, copyLocal)
	if err != nil {
		return row, err
	}
	row.Subject, row.Base = stat(subject), stat(base)
	row.Ratio = row.Subject.MedianMS / row.Base.MedianMS
	row.Met = row.Ratio <= 1.5
	return row, nil
}

// warmInvocations is #8: 1,000 warm invocations of a small report under rie.
func warmInvocations(o Options, x Extra, root string) (Row, error) {
	row := Row{ID: 8, What: "1,000 warm invocations of a small report (status_codes, one day) under aws-lambda-rie", Baseline: "—", Target: "p50, p99; RSS after ≤ 1.1× RSS after the first 100"}
	e, err := startEmulator(x.Rie, x.Bootstrap, o.Work, []string{"LAMBDUCK_DATA=" + root, "LAMBDUCK_SCRATCH=" + filepath.Join(o.Work, "warm-scratch")})
	if err != nil {
		return row, err
	}
	defer e.Stop()
	// RSS "after the first 100" and "after 1,000" are medians of samples
	// taken every 10 requests over requests 100–200 and 900–1,000: one
	// sample can land while the spare instance is being made.
	var lat []time.Duration
	var early, late []int
	for i := range 1000 {
		t0 := time.Now()
		if _, err := invoke(e, `{"company_id": "1690", "start_date": "2025-04-07", "end_date": "2025-04-07", "report": "status_codes"}`); err != nil {
			return row, err
		}
		lat = append(lat, time.Since(t0))
		switch {
		case i >= 99 && i < 200 && i%10 == 9:
			early = append(early, rie.ProcKB(e.FunctionPID(), "VmRSS"))
		case i >= 899 && i%10 == 9:
			late = append(late, rie.ProcKB(e.FunctionPID(), "VmRSS"))
		}
	}
	sort.Ints(early)
	sort.Ints(late)
	rss100, rss1000 := early[len(early)/2], late[len(late)/2]
	sorted := append([]time.Duration(nil), lat...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	row.Subject = stat(lat)
	row.Ratio = float64(rss1000) / float64(rss100)
	row.Met = row.Ratio <= 1.1
	row.Note = fmt.Sprintf("p50 %.1f ms, p99 %.1f ms; median RSS over requests 100–200 %d MB, over 900–1,000 %d MB (ratio above)",
		ms(sorted[len(sorted)/2]), ms(sorted[len(sorted)*99/100]), rss100/1024, rss1000/1024)
	return row, nil
}
