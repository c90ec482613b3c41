package cli

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lambduck/internal/gen"
	"lambduck/internal/storage"
	"lambduck/internal/words"
)

func newGen() *cobra.Command {
	var (
		out        string
		companies  []string
		start, end string
		rowsPerDay int
		seed       int64
		raw        string
		offset     string
		appendTo   bool
		force      bool
	)
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Write a synthetic access-log dataset (Parquet layout) for demos, tests and benchmarks",
		Long: `Writes company_id=<id>/date=<YYYY-MM-DD>/gen-<seed>.parquet under the data root,
one file per company and day, with realistic paths, status codes, visitors,
user agents and referrers. The rows depend only on the flags: the same seed
gives the same files.

A data root that already holds a dataset (any company_id=… folder) is left
alone unless --append says to add to it (files of the same seed are replaced,
other files stay): generating into the demo's folder by accident would
change the demo's numbers. A raw log that exists is replaced only with
--force.

The partition date follows LAMBDUCK_TIMEZONE, as ingested data does.

With --raw FORMAT it writes the same traffic as one raw log file instead
(Combined, ALB, CloudFront or JSON lines), with the awkward parts real logs
have: IPv6 clients, escaped quotes in user agents, '-' for bytes and referrer,
query strings, very long URLs, percent-encoded and raw UTF-8 paths.`,
		Example: `  lambduck gen --out /tmp/data --companies 1690 --start 2025-04-01 --end 2025-04-30 --rows-per-day 100000
  LAMBDUCK_TIMEZONE=Asia/Tokyo lambduck gen --out /tmp/tokyo
  lambduck gen --raw combined --companies 1690 --rows-per-day 50000 --out /tmp/access.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := loadEnv(cmd, slog.LevelWarn)
			if err != nil {
				return err
			}
			if out == "" {
				out = e.cfg.Data
			}
			from, to, err := dateRange(start, end)
			if err != nil {
				return err
			}
			eng, err := e.engine()
			if err != nil {
				return err
			}
			defer eng.Close()
			opts := gen.Options{Companies: companies, Start: from, End: to, RowsPerDay: rowsPerDay, Seed: seed, TimeZone: e.cfg.TimeZone}
			total := int64(len(companies)) * int64(to.Sub(from).Hours()/24+1) * int64(rowsPerDay)
			bar := newProgress(total, "generating")
			began := time.Now()
			var sum gen.Summary
			if raw != "" {
				if !slices.Contains(gen.RawFormats, raw) {
					return fmt.Errorf("--raw: %q is not one of %s", raw, strings.Join(gen.RawFormats, ", "))
				}
				if !cmd.Flags().Changed("out") {
					return fmt.Errorf("--raw writes one file: name it with --out (e.g. --out access.log or access.log.gz)")
				}
				ro := gen.RawOptions{Options: opts, Format: raw}
				if ro.Root, ro.Key, err = storage.ParseFile(out, e.s3()); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
				if !force {
					if objs, _, err := ro.Root.List(cmd.Context(), ro.Key, "", nil); err != nil {
						return fmt.Errorf("--out: %w", err)
					} else if slices.ContainsFunc(objs, func(o storage.Object) bool { return o.Key == ro.Key }) {
						return fmt.Errorf("--out: %s exists; --force replaces it", out)
					}
				}
				if offset != "" {
					t, err := time.Parse("-0700", offset)
					if err != nil {
						return fmt.Errorf("--offset: %q is not a UTC offset such as +0900", offset)
					}
					ro.Offset = t.Location()
				}
				sum, err = gen.Raw(cmd.Context(), eng, ro, bar.set)
			} else {
				if opts.Root, err = storage.Parse(out, e.s3()); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
				if !appendTo {
					if err := refuseExistingDataset(cmd, opts.Root); err != nil {
						return err
					}
				}
				sum, err = gen.Parquet(cmd.Context(), eng, opts, bar.set)
			}
			bar.done()
			if err != nil {
				return err
			}
			took := time.Since(began)
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s in %s (%.1f MB) under %s in %s (%.0f rows/s)\n",
				words.Plural(sum.Rows, "row"), words.Plural(sum.Files, "file"), float64(sum.Bytes)/1e6, out, took.Round(time.Millisecond), float64(sum.Rows)/took.Seconds())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "data root to write, a folder or s3://bucket/prefix (default: LAMBDUCK_DATA, else .lambduck/demo/data)")
	f.StringSliceVar(&companies, "companies", []string{"1690", "1691", "2001"}, "company ids, comma-separated")
	f.StringVar(&start, "start", "2025-04-01", "first day (YYYY-MM-DD)")
	f.StringVar(&end, "end", "2025-04-30", "last day (YYYY-MM-DD)")
	f.IntVar(&rowsPerDay, "rows-per-day", 10000, "rows per company and day")
	f.Int64Var(&seed, "seed", 1, "seed: the same seed gives the same rows")
	f.StringVar(&raw, "raw", "", "write a raw log instead of Parquet: combined, alb, cloudfront or jsonl (--out names the file; .gz compresses)")
	f.BoolVar(&appendTo, "append", false, "write into a data root that already holds a dataset (the same seed's files are replaced)")
	f.BoolVar(&force, "force", false, "with --raw: replace the log file if it exists")
	f.StringVar(&offset, "offset", "", "UTC offset written in Combined timestamps, e.g. +0900 (default: LAMBDUCK_TIMEZONE's)")
	return cmd
}

// refuseExistingDataset is gen's guard: a root that holds any company's
// folder is a dataset, and gen adds to one only with --append.
func refuseExistingDataset(cmd *cobra.Command, root *storage.Root) error {
	folders, err := root.Folders(cmd.Context(), "")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	n := 0
	for _, f := range folders {
		if strings.HasPrefix(f, "company_id=") {
			n++
		}
	}
	if n > 0 {
		return fmt.Errorf("--out: %s already holds a dataset (%s); --append adds to it, or name another --out",
			root, words.Plural(n, "company"))
	}
	return nil
}
