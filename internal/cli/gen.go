package cli

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lambduck/internal/gen"
	"lambduck/internal/report"
)

func newGen() *cobra.Command {
	var (
		out        string
		companies  []string
		start, end string
		rowsPerDay int
		seed       int64
	)
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Write a synthetic access-log dataset (Parquet layout) for demos, tests and benchmarks",
		Long: `Writes company_id=<id>/date=<YYYY-MM-DD>/gen-<seed>.parquet under the data root,
one file per company and day, with realistic paths, status codes, visitors,
user agents and referrers. The rows depend only on the flags: the same seed
gives the same files, and generating again replaces them.

The partition date follows LAMBDUCK_TIMEZONE, as ingested data does.`,
		Example: `  lambduck gen --out /tmp/data --companies 1690 --start 2025-04-01 --end 2025-04-30 --rows-per-day 100000
  LAMBDUCK_TIMEZONE=Asia/Tokyo lambduck gen --out /tmp/tokyo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := loadEnv(slog.LevelWarn)
			if err != nil {
				return err
			}
			if out == "" {
				out = e.cfg.Data
			}
			if strings.HasPrefix(out, "s3://") {
				return fmt.Errorf("--out: s3:// destinations are not supported by this build yet; write to a folder")
			}
			from, err := report.ParseDate(start)
			if err != nil {
				return fmt.Errorf("--start: %w", err)
			}
			to, err := report.ParseDate(end)
			if err != nil {
				return fmt.Errorf("--end: %w", err)
			}
			eng, err := e.engine()
			if err != nil {
				return err
			}
			opts := gen.Options{Root: out, Companies: companies, Start: from, End: to, RowsPerDay: rowsPerDay, Seed: seed, TimeZone: e.cfg.TimeZone}
			total := int64(len(companies)) * int64(to.Sub(from).Hours()/24+1) * int64(rowsPerDay)
			bar := newProgress(total, "generating")
			began := time.Now()
			sum, err := gen.Parquet(cmd.Context(), eng, opts, bar.set)
			bar.done()
			if err != nil {
				return err
			}
			took := time.Since(began)
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d rows in %d files (%.1f MB) under %s in %s (%.0f rows/s)\n",
				sum.Rows, sum.Files, float64(sum.Bytes)/1e6, out, took.Round(time.Millisecond), float64(sum.Rows)/took.Seconds())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "data root to write (default: LAMBDUCK_DATA, else .lambduck/demo/data)")
	f.StringSliceVar(&companies, "companies", []string{"1690", "1691", "2001"}, "company ids, comma-separated")
	f.StringVar(&start, "start", "2025-04-01", "first day (YYYY-MM-DD)")
	f.StringVar(&end, "end", "2025-04-30", "last day (YYYY-MM-DD)")
	f.IntVar(&rowsPerDay, "rows-per-day", 10000, "rows per company and day")
	f.Int64Var(&seed, "seed", 1, "seed: the same seed gives the same rows")
	return cmd
}
