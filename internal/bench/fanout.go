package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"lambduck/internal/engine"
	"lambduck/internal/gen"
	"lambduck/internal/rie"
	"lambduck/internal/s3server"
	"lambduck/internal/storage"
)

// Fan-out's sizes: one company, FanoutDays days at --rows-per-day, and
// FanoutWorkers worker functions (--fanout-days, --fanout-workers).
const (
	DefaultFanoutDays    = 180
	DefaultFanoutWorkers = 2
	// lambdaVCPU is the memory at which Lambda gives a function one vCPU.
	lambdaVCPU = "1769"
)

// fanOut is #11: access_summary over one company's FanoutDays days read
// from the S3 server, every function under aws-lambda-rie at 1,769 MB (one
// vCPU, one DuckDB thread): a coordinator fanning out over FanoutWorkers
// workers (reached through rie.Dispatcher with the Invoke API) against one
// invocation, cold (fresh functions, staging included) and warm, in turns.
// Also: a one-day request starts no worker, and the overhead of a 7-day
// range forced into 7 shards against the same range in one invocation.
func fanOut(ctx context.Context, o Options, srv *s3server.Server, eng *engine.Engine, logf func(string, ...any)) (Row, error) {
	days, workers := o.FanoutDays, o.FanoutWorkers
	row := Row{ID: 11, What: fmt.Sprintf("access_summary, one company, %d days from S3, fanned out over %d workers (1,769 MB each)", days, workers),
		Baseline: "one invocation (1,769 MB), in turns", Target: "speedup ≥ 1.7× warm, ≥ 1.3× cold; 1 day: no worker; 7 days in 7 shards: overhead ≤ 150 ms"}
	start := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, days-1)
	dir := filepath.Join(o.Work, "fanout")
	logf("11. generating %d days at %d rows a day…", days, o.RowsPerDay)
	sum, err := gen.Parquet(ctx, eng, gen.Options{Root: storage.Folder(dir), Companies: []string{"1700"}, Start: start, End: end,
		RowsPerDay: o.RowsPerDay, Seed: 11, TimeZone: time.UTC}, nil)
	if err != nil {
		return row, err
	}
	if err := srv.Client().UploadTree(ctx, dir, "lake", "fanout/"); err != nil {
		return row, err
	}
	os.RemoveAll(dir)
	env := append(srv.EnvList(), "LAMBDUCK_DATA=s3://lake/fanout/", "LAMBDUCK_OUTPUT=s3://lake/fanout-out/",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+lambdaVCPU, "AWS_LAMBDA_FUNCTION_NAME=lambduck")
	// Each function has a scratch folder of its own (its warm cache),
	// removed when it stops: cold runs stage the whole range each time.
	n := 0
	scratch := map[*rie.Emulator]string{}
	function := func(extra ...string) (*rie.Emulator, error) {
		n++
		dir := filepath.Join(o.Work, fmt.Sprintf("fanout-scratch-%d", n))
		e, err := startEmulator(o.Rie, o.Bootstrap, o.Work, append(append([]string{"LAMBDUCK_SCRATCH=" + dir}, env...), extra...))
		scratch[e] = dir
		return e, err
	}
	halt := func(e *rie.Emulator) {
		e.Stop()
		os.RemoveAll(scratch[e])
	}
	// A fleet is a coordinator and its workers, fresh.
	type fleet struct {
		coord *rie.Emulator
		pool  []*rie.Emulator
		disp  *rie.Dispatcher
	}
	stop := func(f *fleet) {
		if f == nil {
			return
		}
		f.disp.Close()
		for _, e := range append(f.pool, f.coord) {
			if e != nil {
				halt(e)
			}
		}
	}
	newFleet := func(workers int) (*fleet, error) {
		f := &fleet{}
		for range workers {
			w, err := function()
			if err != nil {
				return nil, err
			}
			f.pool = append(f.pool, w)
		}
		f.disp = rie.NewDispatcher(f.pool)
		c, err := function("AWS_ENDPOINT_URL_LAMBDA=" + f.disp.URL)
		if err != nil {
			stop(f)
			return nil, err
		}
		f.coord = c
		return f, nil
	}
	// ev is access_summary over from…to; w > 0 asks for w workers.
	ev := func(from, to time.Time, w int) string {
		workers := ""
		if w > 0 {
			workers = fmt.Sprintf(`, "workers": %d`, w)
		}
		return fmt.Sprintf(`{"company_id": "1700", "start_date": %q, "end_date": %q%s}`,
			from.Format(time.DateOnly), to.Format(time.DateOnly), workers)
	}
	whole := func(w int) string { return ev(start, end, w) }
	ask := func(e *rie.Emulator, event string, wantShards int) error {
		out, err := invoke(e, event)
		if err != nil {
			return err
		}
		var resp struct{ Body string }
		var body struct {
			Stats struct{ Shards int } `json:"stats"`
		}
		if json.Unmarshal([]byte(out), &resp) != nil || json.Unmarshal([]byte(resp.Body), &body) != nil || body.Stats.Shards != wantShards {
			return fmt.Errorf("#11: want %d shards: %.300s", wantShards, out)
		}
		return nil
	}

	logf("11. cold: fresh functions, one invocation against %d workers, %d runs in turns…", workers, o.Runs)
	var cold1, coldN []time.Duration
	for range o.Runs {
		single, err := function()
		if err != nil {
			return row, err
		}
		t0 := time.Now()
		err = ask(single, whole(1), 1)
		cold1 = append(cold1, time.Since(t0))
		halt(single)
		if err != nil {
			return row, err
		}
		f, err := newFleet(workers)
		if err != nil {
			return row, err
		}
		t0 = time.Now()
		err = ask(f.coord, whole(workers), workers)
		coldN = append(coldN, time.Since(t0))
		stop(f)
		if err != nil {
			return row, err
		}
	}

	logf("11. warm…")
	single, err := function()
	if err != nil {
		return row, err
	}
	defer halt(single)
	f, err := newFleet(workers)
	if err != nil {
		return row, err
	}
	defer stop(f)
	// Warm-up: every worker stages every shard's files once.
	for range workers {
		if err := ask(f.coord, whole(workers), workers); err != nil {
			return row, err
		}
	}
	if err := ask(single, whole(1), 1); err != nil {
		return row, err
	}
	warm1, warmN, err := alternate(o.Runs, func() error { return ask(single, whole(1), 1) },
		func() error { return ask(f.coord, whole(workers), workers) })
	if err != nil {
		return row, err
	}

	// A one-day request starts no worker (the default LAMBDUCK_FANOUT_BYTES).
	before := f.disp.Calls()
	if err := ask(f.coord, ev(end, end, 0), 1); err != nil {
		return row, err
	}
	oneDayCalls := f.disp.Calls() - before

	// Overhead: the last 7 days forced into 7 shards, on 7 workers (as
	// Lambda runs them: at once), against one invocation of the coordinator
	// itself, both warm; and the same 7 shards on the run's workers.
	week := end.AddDate(0, 0, -6)
	f7, err := newFleet(max(7, workers))
	if err != nil {
		return row, err
	}
	defer stop(f7)
	for _, w := range []int{1, 7, 7, 7} {
		if err := ask(f7.coord, ev(week, end, w), w); err != nil {
			return row, err
		}
		if err := ask(f.coord, ev(week, end, 7), 7); err != nil {
			return row, err
		}
	}
	one7, seven, err := alternate(o.Runs, func() error { return ask(f7.coord, ev(week, end, 1), 1) },
		func() error { return ask(f7.coord, ev(week, end, 7), 7) })
	if err != nil {
		return row, err
	}
	sevenOnFew, err := repeat(o.Runs, func() error { return ask(f.coord, ev(week, end, 7), 7) })
	if err != nil {
		return row, err
	}

	row.Subject, row.Base = stat(warmN), stat(warm1)
	row.Ratio = row.Subject.MedianMS / row.Base.MedianMS
	c1, cN, o1, o7, oFew := stat(cold1), stat(coldN), stat(one7), stat(seven), stat(sevenOnFew)
	warmSpeedup, coldSpeedup := row.Base.MedianMS/row.Subject.MedianMS, c1.MedianMS/cN.MedianMS
	overhead := o7.MedianMS - o1.MedianMS
	row.Met = warmSpeedup >= 1.7 && coldSpeedup >= 1.3 && oneDayCalls == 0 && overhead <= 150
	row.Note = fmt.Sprintf("%d rows, %.1f MB; warm speedup %.2f× (%.0f vs %.0f ms); cold speedup %.2f× (%.0f vs %.0f ms, Init included); "+
		"1-day request: %d worker invocations; 7 days in 7 shards on 7 workers %.0f ms vs one invocation %.0f ms: overhead %.0f ms "+
		"(on %d workers: %.0f ms)",
		sum.Rows, float64(sum.Bytes)/1e6, warmSpeedup, row.Subject.MedianMS, row.Base.MedianMS, coldSpeedup, cN.MedianMS, c1.MedianMS,
		oneDayCalls, o7.MedianMS, o1.MedianMS, overhead, workers, oFew.MedianMS)
	return row, nil
}
