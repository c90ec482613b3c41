// Package gen makes synthetic access-log datasets, deterministically from a
// seed: the same options give the same rows, byte for byte, on every run.
// DuckDB generates and writes the rows (hash() of seed, company, day and row
// number stands in for a random source), one Parquet file per company-day,
// in the layout of package store.
package gen

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"lambduck/internal/compact"
	"lambduck/internal/engine"
	"lambduck/internal/layout"
	"lambduck/internal/storage"
)

// Options say what to generate.
type Options struct {
	Root       *storage.Root // the data root
	Companies  []string      // tenant ids
	Start, End time.Time
	RowsPerDay int
	Seed       int64
	TimeZone   *time.Location // the partition date is the calendar date here
}

// Summary is what was written.
type Summary struct {
	Files int
	Rows  int64
	Bytes int64
}

// FileName is the name of a generated file inside its partition: fixed per
// seed, so generating again replaces rather than adds.
func FileName(seed int64) string { return fmt.Sprintf("gen-%d.parquet", seed) }

// Parquet writes the dataset, one company-day per job, with one DuckDB
// instance per core (a single COPY of one small file does not keep two
// cores busy). progress, when not nil, is told the rows written so far.
func Parquet(ctx context.Context, eng *engine.Engine, o Options, progress func(rows int64)) (Summary, error) {
	if err := o.check(); err != nil {
		return Summary{}, err
	}
	type job struct {
		company string
		day     time.Time
	}
	jobs := make(chan job)
	var (
		mu  sync.Mutex
		sum Summary
	)
	g, ctx := errgroup.WithContext(ctx)
	for range max(1, min(runtime.GOMAXPROCS(0), 8)) {
		g.Go(func() error {
			tool, err := eng.OpenTool(ctx)
			if err != nil {
				return err
			}
			defer tool.Close()
			for j := range jobs {
				size, err := o.writeDay(ctx, eng, tool, j.company, j.day)
				if err != nil {
					return err
				}
				mu.Lock()
				sum.Files++
				sum.Rows += int64(o.RowsPerDay)
				sum.Bytes += size
				if progress != nil {
					progress(sum.Rows)
				}
				mu.Unlock()
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(jobs)
		for _, company := range o.Companies {
			for _, day := range layout.Days(o.Start, o.End) {
				select {
				case jobs <- job{company, day}:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		return nil
	})
	err := g.Wait()
	return sum, err
}

func (o Options) check() error {
	switch {
	case o.Root == nil:
		return fmt.Errorf("gen: no data root")
	case len(o.Companies) == 0:
		return fmt.Errorf("gen: no company")
	case o.End.Before(o.Start):
		return fmt.Errorf("gen: end %s is before start %s", o.End.Format(layout.DateFormat), o.Start.Format(layout.DateFormat))
	case o.RowsPerDay < 1:
		return fmt.Errorf("gen: rows per day must be at least 1")
	case o.TimeZone == nil:
		return fmt.Errorf("gen: no time zone")
	}
	for _, c := range o.Companies {
		if !layout.ValidCompanyID(c) {
			return fmt.Errorf("gen: company id %q must match %s", c, layout.CompanyIDRule)
		}
	}
	return nil
}

// writeDay writes one company-day into the tool's scratch folder, then
// puts it into the data root whole (a rename into a folder, an upload to S3,
// or into a new compaction of the day).
func (o Options) writeDay(ctx context.Context, eng *engine.Engine, tool *engine.Tool, company string, day time.Time) (int64, error) {
	tmp := filepath.Join(tool.Dir(), company+"-"+day.Format(layout.DateFormat)+".parquet")
	// The day's first and last instant in the report time zone (23 or 25 hours on DST days).
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, o.TimeZone)
	to := from.AddDate(0, 0, 1)
	_, err := tool.Conn().ExecContext(ctx, "COPY ("+daySQL+") TO "+engine.Quote(tmp)+" (FORMAT parquet, COMPRESSION zstd)",
		sql.Named("seed", o.Seed),
		sql.Named("company", company),
		sql.Named("day", day.Format(layout.DateFormat)),
		sql.Named("n", o.RowsPerDay),
		sql.Named("from_us", from.UnixMicro()),
		sql.Named("step_us", max(to.Sub(from).Microseconds()/int64(o.RowsPerDay), 1)),
		sql.Named("pool", max(o.RowsPerDay/4, 20)),
	)
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("gen: company %s day %s: %w", company, day.Format(layout.DateFormat), err)
	}
	info, err := os.Stat(tmp)
	if err != nil {
		return 0, fmt.Errorf("gen: %w", err)
	}
	// Through package compact: a compacted day gets the new rows in place
	// of the old inside its compaction.
	co := compact.Options{Root: o.Root, Engine: eng, Scratch: tool.Dir()}
	if err := co.Put(ctx, company, day, FileName(o.Seed), tmp); err != nil {
		return 0, fmt.Errorf("gen: %w", err)
	}
	return info.Size(), nil
}
