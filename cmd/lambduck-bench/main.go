// Command lambduck-bench measures lambduck against baselines run in the same
// process (docs/performance.md keeps the latest table). It is its own
// binary so that the Lambda function links none of its harness: the S3
// test server's launcher and the aws-lambda-rie driver.
//
//	go run ./cmd/lambduck-bench --help
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"lambduck/internal/bench"
)

func main() {
	cmd := newBench()
	cmd.SilenceUsage = true
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "lambduck-bench:", err)
		os.Exit(1)
	}
}

// errTargetsMissed is the exit status 1 of a full-size run that missed a
// target (the table says which).
var errTargetsMissed = errors.New("a target was missed (the table above says which)")

func newBench() *cobra.Command {
	var (
		o       bench.Options
		jsonOut string
		keep    bool
	)
	cmd := &cobra.Command{
		Use:   "lambduck-bench",
		Short: "Measure lambduck against baselines run in the same process (prints a table, writes JSON)",
		Long: `Builds its own data with gen, starts its own S3 server (versitygw, from
LAMBDUCK_VERSITYGW or .tools/bin/versitygw, which make test installs), runs each
comparison --runs times (after a warm-up; subject and baseline in turns) and
prints median, min and max with the ratio to a baseline measured in the same run:

  1. warm access_summary over one company-month through the full handler,
     against the same SQL run directly by duckdb-go;
  2. cold S3 staging against a plain parallel GET of the same objects into memory;
  3. warm access_summary from S3 against #1;
  4. raw Combined log → access_summary numbers, ingest included, against goaccess;
  5. cold start under aws-lambda-rie (Init, and start to the first answer);
  6. access_summary over data ≥ 4× the memory limit at 512 MB: peak RSS;
  7. a 100,000-row Parquet export to S3 against DuckDB COPY to a local file;
  8. 1,000 warm invocations under aws-lambda-rie: p50, p99, RSS drift;
  9. cold access_summary from S3 over 96 files a day, before and after
     compaction, against one file a day;
 10. the dashboard against access_summary, warm;
 11. fan-out: access_summary over --fanout-days days of one company from S3,
     a coordinator and --fanout-workers workers under aws-lambda-rie at
     1,769 MB (one vCPU), against one invocation, cold and warm.

Targets are judged at the default sizes (--rows-per-day 100000,
--raw-lines 5000000, --fanout-days 180, --fanout-workers 2); another run
prints its figures as "not judged".
The exit status is 1 when a judged target was missed.

docs/performance.md keeps the latest table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			o.VersityGW = tool(o.VersityGW, "LAMBDUCK_VERSITYGW", "versitygw")
			o.Rie = tool(o.Rie, "LAMBDUCK_RIE", "aws-lambda-rie")
			if o.GoAccess == "" {
				o.GoAccess, _ = exec.LookPath("goaccess")
			}
			if o.Bootstrap == "" {
				o.Bootstrap = os.Getenv("LAMBDUCK_BOOTSTRAP")
			}
			if o.Bootstrap == "" && o.Rie != "" {
				return fmt.Errorf("--bootstrap: name the lambduck binary to run under aws-lambda-rie (make build, or make bootstrap), or set LAMBDUCK_BOOTSTRAP")
			}
			if o.Bootstrap != "" {
				// The emulator and #4's processes run in other folders.
				abs, err := filepath.Abs(o.Bootstrap)
				if err != nil {
					return err
				}
				o.Bootstrap = abs
			}
			work, err := os.MkdirTemp("", "lambduck-bench-")
			if err != nil {
				return err
			}
			if !keep {
				defer os.RemoveAll(work)
			}
			o.Work, o.Log = work, cmd.ErrOrStderr()
			res, err := bench.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), res.Table())
			defer func() {
				if missed := res.Missed(); len(missed) > 0 && err == nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "targets missed: %v\n", missed)
					err = errTargetsMissed
				}
			}()
			if jsonOut != "" {
				b, _ := json.MarshalIndent(res, "", "  ")
				return os.WriteFile(jsonOut, b, 0o644)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.RowsPerDay, "rows-per-day", bench.DefaultRowsPerDay, "rows per day of the one company-month (100,000 ≈ 3 million rows)")
	f.IntVar(&o.Runs, "runs", 5, "repetitions of each measurement")
	f.StringVar(&o.VersityGW, "versitygw", "", "path of versitygw (default: LAMBDUCK_VERSITYGW, else .tools/bin/versitygw)")
	f.StringVar(&o.Rie, "rie", "", "path of aws-lambda-rie (default: LAMBDUCK_RIE, else .tools/bin/aws-lambda-rie)")
	f.StringVar(&o.Bootstrap, "bootstrap", "", "the lambduck binary: run as ingest and invoke (#4) and under aws-lambda-rie (#5, #6, #8; default: LAMBDUCK_BOOTSTRAP)")
	f.StringVar(&o.GoAccess, "goaccess", "", "path of goaccess (default: found on PATH; #4 is skipped without it)")
	f.IntVar(&o.RawLines, "raw-lines", bench.DefaultRawLines, "lines of the raw Combined log of #4, rounded to whole days of 100,000 (0 skips it)")
	f.IntVar(&o.FanoutDays, "fanout-days", bench.DefaultFanoutDays, "days of #11's company, at --rows-per-day (0 skips #11)")
	f.IntVar(&o.FanoutWorkers, "fanout-workers", bench.DefaultFanoutWorkers, "#11's worker functions (on a bigger machine, more)")
	f.StringVar(&jsonOut, "json", "", "also write the result as JSON to this file")
	f.BoolVar(&keep, "keep", false, "keep the generated data and server folder")
	return cmd
}

// tool finds a helper: the flag, else the variable, else .tools/bin/<name>.
func tool(flag, variable, name string) string {
	if flag != "" {
		return flag
	}
	if v := os.Getenv(variable); v != "" {
		return v
	}
	if p, err := filepath.Abs(filepath.Join(".tools", "bin", name)); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
