package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"lambduck/internal/bucket"
	"lambduck/internal/compact"
	"lambduck/internal/config"
	"lambduck/internal/engine"
	"lambduck/internal/handler"
	"lambduck/internal/s3server"
	"lambduck/internal/storage"
)

// slotsPerDay: the small-files layout writes a day as 96 files, one per
// quarter hour (an ALB writes one every 5 minutes per node).
const slotsPerDay = 96

// smallFiles is #9: the company-month of #1 written as 96 files a day, a
// cold access_summary from S3 before compaction, the compaction, and cold
// after, against the same month written one file a day (#2's objects),
// cold, in turns.
func smallFiles(ctx context.Context, o Options, srv *s3server.Server, root string, eng *engine.Engine, logf func(string, ...any)) (Row, error) {
	row := Row{ID: 9, What: fmt.Sprintf("cold access_summary from S3, the company-month as %d files a day, after compaction", slotsPerDay),
		Baseline: "the same month as one file a day, cold, in turns", Target: "≤ 1.2×; compacting the month ≤ 3 s"}
	logf("9. writing the month as %d files a day…", slotsPerDay)
	small := filepath.Join(o.Work, "small")
	days, err := filepath.Glob(filepath.Join(root, "company_id=1690", "date=*"))
	if err != nil || len(days) == 0 {
		return row, fmt.Errorf("#9: no days under %s: %v", root, err)
	}
	tool, err := eng.OpenTool(ctx)
	if err != nil {
		return row, err
	}
	for _, day := range days {
		out := filepath.Join(small, "company_id=1690", filepath.Base(day))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			tool.Close()
			return row, err
		}
		if _, err := tool.Conn().ExecContext(ctx, `COPY (SELECT * EXCLUDE (company_id, date), hour(ts) * 4 + minute(ts) // 15 AS slot
			FROM read_parquet(`+engine.Quote(filepath.Join(day, "*.parquet"))+`, hive_partitioning = true))
			TO `+engine.Quote(out)+` (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (slot), FILENAME_PATTERN 'part_{i}')`); err != nil {
			tool.Close()
			return row, err
		}
		slots, _ := filepath.Glob(filepath.Join(out, "slot=*", "part_0.parquet"))
		for _, f := range slots {
			if err := os.Rename(f, filepath.Join(out, filepath.Base(filepath.Dir(f))+".parquet")); err != nil {
				tool.Close()
				return row, err
			}
			os.Remove(filepath.Dir(f))
		}
	}
	tool.Close()
	client := srv.Client()
	if err := client.UploadTree(ctx, small, "lake", "small/"); err != nil {
		return row, err
	}
	smallRoot, err := storage.Parse("s3://lake/small/", bucket.Ready(client))
	if err != nil {
		return row, err
	}
	count := func(prefix string) (int, error) {
		objs, _, err := client.List(ctx, "lake", prefix, "", nil)
		return len(objs), err
	}
	before, err := count("small/company_id=1690/")
	if err != nil {
		return row, err
	}

	// A cold report: a new handler (an empty cache) for every run; its
	// making is not timed.
	cfg, _ := config.FromEnv(os.Getenv, false)
	cfg.S3PathStyle = true
	n := 0
	type cold struct {
		ms          float64
		list, files int
		summary     []any
	}
	coldReport := func(data string, into *[]cold) func() error {
		return func() error {
			n++
			c := cfg
			c.Data, c.Scratch = data, filepath.Join(o.Work, fmt.Sprintf("cold-%d", n))
			h, err := handler.New(c, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			if err != nil {
				return err
			}
			defer h.Close()
			t0 := time.Now()
			r, err := answer(ctx, h, event)
			if err != nil {
				return err
			}
			*into = append(*into, cold{ms: ms(time.Since(t0)), list: *r.Stats.ListRequests, files: r.Stats.Files, summary: r.Rows[0]})
			return nil
		}
	}
	var smallBefore, dailyBefore, smallAfter, dailyAfter []cold
	logf("9. cold reports before compaction…")
	if _, _, err := alternate(o.Runs, coldReport("s3://lake/small/", &smallBefore), coldReport("s3://lake/data/", &dailyBefore)); err != nil {
		return row, err
	}
	logf("9. compacting the month…")
	co := compact.Options{Root: smallRoot, Engine: eng, Scratch: filepath.Join(o.Work, "compact")}
	if err := os.MkdirAll(co.Scratch, 0o755); err != nil {
		return row, err
	}
	t0 := time.Now()
	sum, err := compact.Run(ctx, co, "1690", time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC), nil)
	compactMS := ms(time.Since(t0))
	if err != nil {
		return row, err
	}
	// The replaced files go after the grace period; here, at once, timed apart.
	co.Now = func() time.Time { return time.Now().Add(compact.DefaultGrace + time.Minute) }
	t0 = time.Now()
	cleaned, err := compact.Run(ctx, co, "1690", time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC), nil)
	removeMS := ms(time.Since(t0))
	if err != nil {
		return row, err
	}
	after, err := count("small/company_id=1690/")
	if err != nil {
		return row, err
	}
	logf("9. cold reports after compaction…")
	if _, _, err := alternate(o.Runs, coldReport("s3://lake/small/", &smallAfter), coldReport("s3://lake/data/", &dailyAfter)); err != nil {
		return row, err
	}
	for _, runs := range [][]cold{smallBefore, smallAfter, dailyAfter} {
		for _, c := range runs {
			if !slices.Equal(c.summary, dailyBefore[0].summary) {
				return row, fmt.Errorf("#9: numbers differ between layouts: %v against %v", c.summary, dailyBefore[0].summary)
			}
		}
	}
	times := func(cs []cold) Stat {
		ds := make([]time.Duration, len(cs))
		for i, c := range cs {
			ds[i] = time.Duration(c.ms * float64(time.Millisecond))
		}
		return stat(ds)
	}
	row.Subject, row.Base = times(smallAfter), times(dailyAfter)
	row.Ratio = row.Subject.MedianMS / row.Base.MedianMS
	row.Met = row.Ratio <= 1.2 && compactMS <= 3000
	sb, db := times(smallBefore), times(dailyBefore)
	spliced := 0
	for _, d := range sum.Days {
		if d.Rewrite == "splice" {
			spliced++
		}
	}
	row.Note = fmt.Sprintf("before compaction: %.0f ms cold (%d LIST, %d GET) against %.0f ms one file a day (%d LIST, %d GET), %.2f×; "+
		"compaction of %d days (%d spliced) %.0f ms (%d objects → %d once the %d replaced are removed, %.0f ms later on); after: %d LIST, %d GET; numbers equal",
		sb.MedianMS, smallBefore[0].list, smallBefore[0].files, db.MedianMS, dailyBefore[0].list, dailyBefore[0].files, sb.MedianMS/db.MedianMS,
		sum.Compacted, spliced, compactMS, before, after, cleaned.Removed, removeMS, smallAfter[0].list, smallAfter[0].files)
	return row, nil
}
