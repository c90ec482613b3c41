package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"lambduck/internal/compact"
	"lambduck/internal/layout"
	"lambduck/internal/storage"
	"lambduck/internal/words"
)

func newCompact() *cobra.Command {
	var (
		companies        []string
		all, asJSON      bool
		start, end, data string
		threshold        int
		targetRows       int64
		grace            time.Duration
		keepReplaced     bool
	)
	cmd := &cobra.Command{
		Use:   "compact (--company ID[,ID…] | --all) [flags]",
		Short: "Rewrite company-days of many small Parquet files into one file each",
		Long: `Rewrites every company-day that a report would read more than --threshold
files from into one Parquet file (several for a day over --target-rows; rows
grouped by source, as written), whatever
wrote the files (ingest, gen, or a copy), and removes the files it replaced once
no report can still be reading them (--grace).

A report that runs at the same time sees every row exactly once, before,
during and after; a compaction stopped at any point leaves data that reads
right, and the next run finishes the job. Ingesting a source again after its
day was compacted still replaces that source's rows. docs/operations.md says
when the function compacts by itself; docs/decisions.md how it stays exact.

The data root is --data, else LAMBDUCK_DATA (a folder or s3://bucket/prefix).`,
		Example: `  lambduck compact --company 1690 --start 2025-04-01 --end 2025-04-30
  lambduck compact --all --grace 0s          # no report is reading: remove replaced files now
  LAMBDUCK_DATA=s3://lake/data lambduck compact --all --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := loadEnv(cmd, slog.LevelWarn)
			if err != nil {
				return err
			}
			if all == (len(companies) > 0) {
				return fmt.Errorf("name the companies to compact with --company ID[,ID…], or --all for every company")
			}
			first, last := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().In(e.cfg.TimeZone)
			last = time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC)
			if start != "" {
				if first, err = layout.ParseDate(start); err != nil {
					return fmt.Errorf("--start: %w", err)
				}
			}
			if end != "" {
				if last, err = layout.ParseDate(end); err != nil {
					return fmt.Errorf("--end: %w", err)
				}
			}
			if last.Before(first) {
				return fmt.Errorf("--end %s is before --start %s", last.Format(layout.DateFormat), first.Format(layout.DateFormat))
			}
			if data == "" {
				data = e.cfg.Data
			}
			root, err := storage.Parse(data, e.s3())
			if err != nil {
				return fmt.Errorf("--data: %w", err)
			}
			if all {
				folders, err := root.Folders(cmd.Context(), "")
				if err != nil {
					return err
				}
				companies = layout.Companies(folders)
			}
			for _, c := range companies {
				if !layout.ValidCompanyID(c) {
					return fmt.Errorf("--company: %q must match %s", c, layout.CompanyIDRule)
				}
			}
			eng, err := e.engine()
			if err != nil {
				return err
			}
			defer eng.Close()
			o := e.cfg.Compaction(root, eng)
			if cmd.Flags().Changed("threshold") {
				o.Threshold = threshold
			}
			if cmd.Flags().Changed("target-rows") {
				if targetRows < 1 {
					return fmt.Errorf("--target-rows: %d is not a positive number of rows", targetRows)
				}
				o.TargetRows = targetRows
			}
			if cmd.Flags().Changed("keep-replaced") {
				o.KeepReplaced = keepReplaced
			}
			if cmd.Flags().Changed("grace") {
				o.Grace = grace
				if grace == 0 {
					o.Grace = -1
				}
			}
			var total compact.Summary
			began := time.Now()
			for _, c := range companies {
				bar := newCountProgress(1, "compacting "+c, "days")
				sum, err := compact.Run(cmd.Context(), o, c, first, last, func(done, days int) {
					bar.setTotal(int64(days))
					bar.set(int64(done))
				})
				bar.done()
				total.Days = append(total.Days, sum.Days...)
				total.Compacted += sum.Compacted
				total.Removed += sum.Removed
				if err != nil {
					return err
				}
			}
			total.DurationMS = time.Since(began).Milliseconds()
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(total)
			}
			printCompact(cmd.OutOrStdout(), total, len(companies), root.String())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&companies, "company", nil, "company ids, comma-separated")
	f.BoolVar(&all, "all", false, "every company under the data root")
	f.BoolVar(&keepReplaced, "keep-replaced", false, "never remove the files a compaction replaced, for an Athena table over the data root (default: LAMBDUCK_COMPACT_KEEP_REPLACED)")
	f.StringVar(&start, "start", "", "first day (YYYY-MM-DD) (default: the first there is)")
	f.StringVar(&end, "end", "", "last day (YYYY-MM-DD) (default: today in LAMBDUCK_TIMEZONE)")
	f.StringVar(&data, "data", "", "data root (default: LAMBDUCK_DATA, else .lambduck/demo/data)")
	f.IntVar(&threshold, "threshold", 0, fmt.Sprintf("compact a day a report reads more files than this from (default: LAMBDUCK_COMPACT_THRESHOLD, else %d)", compact.DefaultThreshold))
	f.Int64Var(&targetRows, "target-rows", 0, fmt.Sprintf("write a larger day as several files of about this many rows (default: LAMBDUCK_COMPACT_TARGET_ROWS, else %d)", compact.DefaultTargetRows))
	f.DurationVar(&grace, "grace", 0, fmt.Sprintf("remove replaced files this long after their compaction; 0s: at once (default: LAMBDUCK_COMPACT_GRACE, else %s)", compact.DefaultGrace))
	f.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

func printCompact(w io.Writer, sum compact.Summary, companies int, root string) {
	before, after := 0, 0
	var rows int64
	var days []string
	for _, d := range sum.Days {
		before += d.FilesBefore
		after += d.FilesAfter
		if d.ID != "" {
			rows += d.Rows
			days = append(days, d.Company+" "+d.Date+fmt.Sprintf(" (%d → %s)", d.FilesBefore, words.Plural(d.FilesAfter, "file")))
		}
	}
	for _, d := range days {
		fmt.Fprintf(w, "compacted %s\n", d)
	}
	fmt.Fprintf(w, "%s: %s of %s compacted (%s, %s rows); reports read %s instead of %s; %s removed; %.2f s\n",
		root, words.Plural(sum.Compacted, "day"), words.Plural(len(sum.Days), "day"), words.Plural(companies, "company"),
		fmt.Sprint(rows), words.Plural(after, "file"), fmt.Sprint(before), words.Plural(sum.Removed, "replaced file"), float64(sum.DurationMS)/1000)
}
