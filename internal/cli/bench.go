package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"lambduck/internal/bench"
)

func newBench() *cobra.Command {
	var (
		o       bench.Options
		jsonOut string
		keep    bool
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure lambduck against baselines run in the same process (prints a table, writes JSON)",
		Long: `Builds its own data with gen, starts its own S3 server (versitygw, from
LAMBDUCK_VERSITYGW or .tools/bin/versitygw, which make test installs), runs each
comparison --runs times and prints median, min and max with the ratio to a
baseline measured in the same run:

  1. warm access_summary over one company-month through the full handler,
     against the same SQL run directly by duckdb-go;
  2. cold S3 staging against a plain parallel GET of the same objects;
  3. warm access_summary from S3 against #1.

docs/performance.md keeps the latest table.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.VersityGW == "" {
				o.VersityGW = os.Getenv("LAMBDUCK_VERSITYGW")
			}
			if o.VersityGW == "" {
				if p, err := filepath.Abs(filepath.Join(".tools", "bin", "versitygw")); err == nil {
					if _, err := os.Stat(p); err == nil {
						o.VersityGW = p
					}
				}
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
			if jsonOut != "" {
				b, _ := json.MarshalIndent(res, "", "  ")
				return os.WriteFile(jsonOut, b, 0o644)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.RowsPerDay, "rows-per-day", 100000, "rows per day of the one company-month (100,000 ≈ 3 million rows)")
	f.IntVar(&o.Runs, "runs", 5, "repetitions of each measurement")
	f.StringVar(&o.VersityGW, "versitygw", "", "path of versitygw (default: LAMBDUCK_VERSITYGW, else .tools/bin/versitygw)")
	f.StringVar(&jsonOut, "json", "", "also write the result as JSON to this file")
	f.BoolVar(&keep, "keep", false, "keep the generated data and server folder")
	return cmd
}
