// Package bench measures lambduck against baselines run on the same
// machine in the same run (these machines are shared and noisy, so every
// figure is a ratio, with absolute times beside it). It makes its own data
// with gen and starts its own S3 server.
package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"lambduck/internal/bucket"
	"lambduck/internal/config"
	"lambduck/internal/engine"
	"lambduck/internal/gen"
	"lambduck/internal/handler"
	"lambduck/internal/layout"
	"lambduck/internal/report"
	"lambduck/internal/request"
	"lambduck/internal/s3server"
	"lambduck/internal/storage"
	"lambduck/internal/store"
)

// Options size the run.
type Options struct {
	RowsPerDay int    // one company, April 2025 (30 days)
	Runs       int    // repetitions of each measurement
	VersityGW  string // path of versitygw
	Work       string // scratch folder for data, server and caches
	// #11: days of the fanned-out company and worker functions.
	FanoutDays, FanoutWorkers int
	Log                       io.Writer
	Extra
}

// Stat is one measured series.
type Stat struct {
	MedianMS float64 `json:"median_ms"`
	MinMS    float64 `json:"min_ms"`
	MaxMS    float64 `json:"max_ms"`
}

// Row is one comparison.
type Row struct {
	ID       int     `json:"id"`
	What     string  `json:"what"`
	Baseline string  `json:"baseline"`
	Subject  Stat    `json:"subject"`
	Base     Stat    `json:"base"`
	Ratio    float64 `json:"ratio"`
	Target   string  `json:"target"`
	Met      bool    `json:"met"`
	// Judged: the run was at the size the target is set for (the default
	// sizes); a smaller run prints its figures but does not judge them.
	Judged bool   `json:"judged"`
	Note   string `json:"note,omitempty"`
}

// Result is the whole run.
type Result struct {
	Machine string `json:"machine"`
	Rows    []Row  `json:"rows"`
	Data    string `json:"data"`
}

func stat(ds []time.Duration) Stat {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return Stat{MedianMS: ms(ds[len(ds)/2]), MinMS: ms(ds[0]), MaxMS: ms(ds[len(ds)-1])}
}

// alternate times a and b n times each, in turns (a, b, a, b, …), so that
// the machine's drift over the run falls on both alike.
func alternate(n int, a, b func() error) (ta, tb []time.Duration, err error) {
	for range n {
		for _, x := range []struct {
			f   func() error
			out *[]time.Duration
		}{{a, &ta}, {b, &tb}} {
			t0 := time.Now()
			if err := x.f(); err != nil {
				return nil, nil, err
			}
			*x.out = append(*x.out, time.Since(t0))
		}
	}
	return ta, tb, nil
}

func repeat(n int, f func() error) ([]time.Duration, error) {
	var out []time.Duration
	for range n {
		t0 := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}

const event = `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30"}`

// answer is one request through the handler's typed core and the encoding
// every face does: what a caller waits for.
func answer(ctx context.Context, h *handler.Handler, event string) (*handler.Result, error) {
	req, err := request.Decode([]byte(event), 1<<20)
	if err != nil {
		return nil, err
	}
	res, err := h.Answer(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("handler: %d %w", handler.Status(err), err)
	}
	if _, err := json.Marshal(res); err != nil {
		return nil, err
	}
	return res, nil
}

// Run performs every comparison (the command's --help lists them).
func Run(ctx context.Context, o Options) (Result, error) {
	logf := func(f string, a ...any) { fmt.Fprintf(o.Log, f+"\n", a...) }
	res := Result{Machine: machine()}
	root := filepath.Join(o.Work, "data")
	dataRoot := storage.Folder(root)
	eng, err := engine.New(engine.Settings{Scratch: filepath.Join(o.Work, "scratch")})
	if err != nil {
		return res, err
	}
	defer eng.Close()
	logf("generating one company-month at %d rows a day…", o.RowsPerDay)
	sum, err := gen.Parquet(ctx, eng, gen.Options{Root: dataRoot, Companies: []string{"1690"},
		Start: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC),
		RowsPerDay: o.RowsPerDay, Seed: 1, TimeZone: time.UTC}, nil)
	if err != nil {
		return res, err
	}
	res.Data = fmt.Sprintf("%d rows, %d files, %.1f MB of Parquet", sum.Rows, sum.Files, float64(sum.Bytes)/1e6)
	logf("%s", res.Data)

	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	cfg, _ := config.FromEnv(func(string) string { return "" }, false)
	cfg.Data, cfg.Scratch = root, filepath.Join(o.Work, "handler")
	h, err := handler.New(cfg, quiet)
	if err != nil {
		return res, err
	}
	defer h.Close()
	call := func(h *handler.Handler) (*handler.Result, error) { return answer(ctx, h, event) }

	// 1. warm handler vs the same SQL straight through duckdb-go.
	logf("1. access_summary through the handler vs DuckDB directly…")
	direct, err := directSummary(ctx, root)
	if err != nil {
		return res, err
	}
	// Both warm: the page cache, the process, the baseline's connection and
	// the handler's instance.
	if err := direct(); err != nil {
		return res, err
	}
	if _, err := call(h); err != nil {
		return res, err
	}
	directTimes, handlerTimes, err := alternate(o.Runs, direct, func() error { _, err := call(h); return err })
	if err != nil {
		return res, err
	}
	r1 := Row{ID: 1, What: "warm access_summary, one company-month, full handler", Baseline: "the same SQL via duckdb-go, no handler",
		Subject: stat(handlerTimes), Base: stat(directTimes), Target: "≤ 1.10×"}
	r1.Ratio = r1.Subject.MedianMS / r1.Base.MedianMS
	r1.Met = r1.Ratio <= 1.10
	res.Rows = append(res.Rows, r1)

	// 2 and 3: S3.
	if o.VersityGW == "" {
		return res, fmt.Errorf("no versitygw: set LAMBDUCK_VERSITYGW or run make test once (it installs .tools/bin/versitygw)")
	}
	srv, err := s3server.Launch(o.VersityGW, filepath.Join(o.Work, "s3"), "lake")
	if err != nil {
		return res, err
	}
	defer srv.Stop()
	client := srv.Client()
	var objs []bucket.Object
	if err := client.UploadTree(ctx, root, "lake", "data/"); err != nil {
		return res, err
	}
	objs, _, err = client.List(ctx, "lake", "data/company_id=1690/", "", nil)
	if err != nil {
		return res, err
	}
	var total int64
	for _, ob := range objs {
		total += ob.Size
	}
	const concurrency = 8
	raw := s3.NewFromConfig(srv.Config(s3server.AccessKey, s3server.SecretKey), func(o *s3.Options) { o.UsePathStyle = true })
	logf("2. cold staging of %d objects (%.1f MB) vs a plain parallel GET to memory…", len(objs), float64(total)/1e6)
	// The baseline keeps every object's bytes in memory (a new buffer of the
	// object's size, as a program that works on them in memory would); the
	// same GETs read and thrown away are printed beside it.
	getToMemory := func(keep bool) func() error {
		return func() error {
			g, gctx := errgroup.WithContext(ctx)
			g.SetLimit(concurrency)
			for _, ob := range objs {
				g.Go(func() error {
					out, err := raw.GetObject(gctx, &s3.GetObjectInput{Bucket: aws.String("lake"), Key: aws.String(ob.Key)})
					if err != nil {
						return err
					}
					defer out.Body.Close()
					if !keep {
						_, err = io.Copy(io.Discard, out.Body)
						return err
					}
					_, err = io.ReadFull(out.Body, make([]byte, ob.Size))
					return err
				})
			}
			return g.Wait()
		}
	}
	getTimes, err := repeat(o.Runs, getToMemory(true))
	if err != nil {
		return res, err
	}
	discardTimes, err := repeat(o.Runs, getToMemory(false))
	if err != nil {
		return res, err
	}
	// A second baseline: the same GETs written to new files, as staging must
	// (DuckDB reads files), so what the disk costs is told apart from what
	// lambduck adds.
	fileRun := 0
	getFileTimes, err := repeat(o.Runs, func() error {
		dir := filepath.Join(o.Work, fmt.Sprintf("get-%d", fileRun))
		fileRun++
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(concurrency)
		for i, ob := range objs {
			g.Go(func() error {
				out, err := raw.GetObject(gctx, &s3.GetObjectInput{Bucket: aws.String("lake"), Key: aws.String(ob.Key)})
				if err != nil {
					return err
				}
				defer out.Body.Close()
				f, err := os.Create(filepath.Join(dir, fmt.Sprint(i)))
				if err != nil {
					return err
				}
				_, err = io.Copy(f, out.Body)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				return err
			})
		}
		return g.Wait()
	})
	if err != nil {
		return res, err
	}
	from, to := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC)
	// Each run stages into its own empty cache, made before the clock starts
	// (a process makes its cache once, at start-up).
	lake, err := storage.Parse("s3://lake/data/", bucket.Ready(client))
	if err != nil {
		return res, err
	}
	stores := make([]*store.Store, o.Runs)
	for i := range stores {
		if stores[i], err = store.New(lake, store.Options{CacheDir: filepath.Join(o.Work, fmt.Sprintf("cache-%d", i)),
			CacheBytes: 1 << 40, Concurrency: concurrency}); err != nil {
			return res, err
		}
		defer stores[i].Close()
	}
	run := 0
	stageTimes, err := repeat(o.Runs, func() error {
		s := stores[run]
		run++
		sel, err := s.Select(ctx, "1690", from, to)
		if err == nil && sel.Downloaded != total {
			err = fmt.Errorf("staged %d bytes, want %d", sel.Downloaded, total)
		}
		return err
	})
	if err != nil {
		return res, err
	}
	r2 := Row{ID: 2, What: "cold S3 staging (list + parallel download to the cache)", Baseline: "plain parallel GET of the same objects to memory",
		Subject: stat(stageTimes), Base: stat(getTimes), Target: "≥ 0.8× the GET throughput"}
	r2.Ratio = r2.Base.MedianMS / r2.Subject.MedianMS // throughput ratio
	r2.Met = r2.Ratio >= 0.8
	toFiles := stat(getFileTimes)
	discard := stat(discardTimes)
	r2.Note = fmt.Sprintf("staging %.0f MB/s, GET to memory %.0f MB/s, GET to new files %.0f MB/s (staging = %.2f× the GET to files), GET read and discarded %.0f MB/s (staging = %.2f× that)",
		float64(total)/1e3/r2.Subject.MedianMS, float64(total)/1e3/r2.Base.MedianMS, float64(total)/1e3/toFiles.MedianMS,
		toFiles.MedianMS/r2.Subject.MedianMS, float64(total)/1e3/discard.MedianMS, discard.MedianMS/r2.Subject.MedianMS)
	res.Rows = append(res.Rows, r2)

	logf("3. warm access_summary from S3…")
	for _, kv := range srv.EnvList() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	os.Unsetenv("AWS_CA_BUNDLE")
	scfg := cfg
	scfg.Data, scfg.S3PathStyle, scfg.Scratch = "s3://lake/data/", true, filepath.Join(o.Work, "s3handler")
	hs, err := handler.New(scfg, quiet)
	if err != nil {
		return res, err
	}
	defer hs.Close()
	cold := time.Now()
	if _, err := call(hs); err != nil {
		return res, err
	}
	coldMS := float64(time.Since(cold).Microseconds()) / 1000
	var downloaded float64
	// In turns with #1's handler on the folder, measured again here.
	warmTimes, folderTimes, err := alternate(o.Runs, func() error {
		r, err := call(hs)
		if err == nil {
			downloaded += float64(*r.Stats.BytesDownloaded)
		}
		return err
	}, func() error { _, err := call(h); return err })
	if err != nil {
		return res, err
	}
	r3 := Row{ID: 3, What: "warm access_summary from S3 (full handler)", Baseline: "#1: the same from a folder, in turns",
		Subject: stat(warmTimes), Base: stat(folderTimes), Target: "0 bytes downloaded; ≤ 1.10× #1"}
	r3.Ratio = r3.Subject.MedianMS / r3.Base.MedianMS
	r3.Met = downloaded == 0 && r3.Ratio <= 1.10
	r3.Note = fmt.Sprintf("%.0f bytes downloaded over the warm runs; the cold request took %.0f ms", downloaded, coldMS)
	res.Rows = append(res.Rows, r3)

	// After the S3 rows: its first views write and remove files, and #2's
	// staging is sensitive to a file system's recent deletions
	// (docs/performance.md).
	logf("10. dashboard vs access_summary, warm…")
	r10, err := dashboardRow(ctx, o, h, root)
	if err != nil {
		return res, err
	}
	res.Rows = append(res.Rows, r10)

	switch {
	case o.RawLines == 0:
	case o.GoAccess == "":
		logf("no goaccess: comparison 4 skipped")
	case o.Bootstrap == "":
		logf("no lambduck binary (--bootstrap): comparison 4 skipped")
	default:
		row, err := rawToNumbers(ctx, o, o.Extra, eng, logf)
		if err != nil {
			return res, err
		}
		res.Rows = append(res.Rows, row)
	}
	if o.Rie == "" {
		logf("no aws-lambda-rie: comparisons 5, 6 and 8 skipped")
	} else {
		logf("5. cold starts…")
		row, err := coldStart(o, o.Extra, root)
		if err != nil {
			return res, err
		}
		res.Rows = append(res.Rows, row)
		if row, err = memoryBound(ctx, o, o.Extra, eng, logf); err != nil {
			return res, err
		}
		res.Rows = append(res.Rows, row)
	}
	logf("7. Parquet export to S3…")
	row, err := parquetExport(ctx, o, srv, root)
	if err != nil {
		return res, err
	}
	res.Rows = append(res.Rows, row)
	if row, err = smallFiles(ctx, o, srv, root, eng, logf); err != nil {
		return res, err
	}
	res.Rows = append(res.Rows, row)
	if o.Rie != "" {
		logf("8. 1,000 warm invocations…")
		if row, err = warmInvocations(o, o.Extra, root); err != nil {
			return res, err
		}
		res.Rows = append(res.Rows, row)
		if o.FanoutDays > 0 {
			if row, err = fanOut(ctx, o, srv, eng, logf); err != nil {
				return res, err
			}
			res.Rows = append(res.Rows, row)
		}
	}
	sort.Slice(res.Rows, func(i, j int) bool { return res.Rows[i].ID < res.Rows[j].ID })
	for i := range res.Rows {
		res.Rows[i].Judged = o.RowsPerDay >= DefaultRowsPerDay
		switch res.Rows[i].ID {
		case 4:
			res.Rows[i].Judged = o.RawLines >= DefaultRawLines
		case 11:
			// The targets are for 2 workers on this 2-core machine.
			res.Rows[i].Judged = res.Rows[i].Judged && o.FanoutDays >= DefaultFanoutDays && o.FanoutWorkers == DefaultFanoutWorkers
		}
	}
	return res, nil
}

// The sizes the targets are set for: a run at least this large judges them.
const (
	DefaultRowsPerDay = 100000  // one company-month of 3 million rows
	DefaultRawLines   = 5000000 // #4's raw log
)

// Missed are the judged rows whose target was not met.
func (r Result) Missed() []int {
	var ids []int
	for _, x := range r.Rows {
		if x.Judged && !x.Met {
			ids = append(ids, x.ID)
		}
	}
	return ids
}

// directSummary is comparison 1's baseline: one warm duckdb-go connection,
// the view over the same files, the built-in access_summary SQL.
func directSummary(ctx context.Context, root string) (func() error, error) {
	cat, err := report.Load("", nil)
	if err != nil {
		return nil, err
	}
	rep, _ := cat.Lookup("access_summary")
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	files, _ := filepath.Glob(filepath.Join(root, "company_id=1690", "date=2025-04-*", "*.parquet"))
	list := "['" + strings.Join(files, "', '") + "']"
	if _, err := db.ExecContext(ctx, "CREATE VIEW access_logs AS SELECT * FROM read_parquet("+list+
		", hive_partitioning = true, hive_types = "+layout.HiveTypes()+")"); err != nil {
		return nil, err
	}
	return func() error {
		rows, err := db.QueryContext(ctx, rep.SQL)
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		return rows.Close()
	}, nil
}

func machine() string {
	host, _ := os.Hostname()
	b, _ := os.ReadFile("/proc/cpuinfo")
	model := ""
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			model = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
			break
		}
	}
	return fmt.Sprintf("%s, %s", host, model)
}

// Table renders the result as Markdown.
func (r Result) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Data: %s. Machine: %s.\n\n", r.Data, r.Machine)
	b.WriteString("| # | what | baseline (same run) | subject median (min–max) ms | baseline median (min–max) ms | ratio | target | met |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, x := range r.Rows {
		met := "yes"
		switch {
		case !x.Judged:
			met = "not judged (smaller run)"
		case !x.Met:
			met = "**no**"
		}
		base, ratio := "—", "—"
		if x.Base.MedianMS > 0 {
			base = fmt.Sprintf("%.1f (%.1f–%.1f)", x.Base.MedianMS, x.Base.MinMS, x.Base.MaxMS)
		}
		if x.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f×", x.Ratio)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %.1f (%.1f–%.1f) | %s | %s | %s | %s |\n", x.ID, x.What, x.Baseline,
			x.Subject.MedianMS, x.Subject.MinMS, x.Subject.MaxMS, base, ratio, x.Target, met)
		if x.Note != "" {
			fmt.Fprintf(&b, "|   | %s |  |  |  |  |  |  |\n", x.Note)
		}
	}
	return b.String()
}
