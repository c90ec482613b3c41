package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lambduck/internal/handler"
	"lambduck/internal/schedule"
)

func newJob() *cobra.Command {
	var (
		period, at    string
		reports       []string
		formats       []string
		companies     []string
		params        []string
		force, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "job --period PERIOD --reports R,… --formats F,… [flags]",
		Short: "Run a scheduled job: every company's reports for the last day, week or month",
		Long: `Runs the job a schedule sends the function ({"job": …}): the period
(previous_day, previous_week, previous_month, month_to_date) is computed from
--at — the schedule's time, default now — in LAMBDUCK_TIMEZONE, so a run
repeated for the same time covers the same days and writes the same files.

Each company with data in the period (--companies, or every company under the
data root) gets each report in each of --formats it is written in (the
dashboard as html or json; other reports as csv, parquet, ndjson or json),
under LAMBDUCK_OUTPUT/scheduled/<label>/company_id=<id>/<report>.<format>,
then an index (index.json, index.html) under scheduled/<label>/. Outputs that
exist are skipped unless --force; a rerun does only what is missing.

Companies run here one after another, or, when LAMBDUCK_FUNCTION names a
function, as one invocation each (LAMBDUCK_WORKERS at once). The exit status
is 1 when a company failed (the summary lists it), 2 for a configuration
error.`,
		Example: `  lambduck job --period previous_month --at 2025-05-01T00:05:00Z --reports dashboard --formats html
  lambduck job --period previous_day --reports access_summary,top_paths --formats csv --companies 1690,1691
  lambduck job --period previous_week --reports top_paths --formats parquet --param limit=100 --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if at == "" {
				at = time.Now().UTC().Format(time.RFC3339)
			}
			if len(companies) == 0 {
				companies = []string{schedule.AllCompanies}
			}
			p := map[string]any{}
			for _, kv := range params {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("--param: %q is not name=value", kv)
				}
				p[k] = v
			}
			ev, err := json.Marshal(map[string]any{"job": map[string]any{"period": period, "reports": reports, "formats": formats,
				"companies": companies, "params": p, "at": at, "force": force}})
			if err != nil {
				return err
			}
			job, err := schedule.Decode(ev)
			if err != nil {
				return flagError(err)
			}
			_, h, err := openHandler(cmd, slog.LevelWarn)
			if err != nil {
				return err
			}
			defer h.Close()
			bar := newCountProgress(1, "job "+job.Period, "companies")
			sum, err := h.AnswerJob(cmd.Context(), job, func(done, total int) {
				bar.setTotal(int64(total))
				bar.set(int64(done))
			})
			bar.done()
			var failed *handler.JobFailedError
			if err != nil && !errors.As(err, &failed) {
				return flagError(err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(sum); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "%s (%s to %s): %d companies with data; %d files written, %d already there; index %s\n",
					sum.Label, sum.StartDate, sum.EndDate, sum.Companies, sum.Written, sum.Skipped, sum.Index)
				if len(sum.NoData) > 0 {
					fmt.Fprintf(out, "no data in the period: %s\n", strings.Join(sum.NoData, ", "))
				}
				for _, f := range sum.Failed {
					fmt.Fprintf(out, "FAILED %s: %s\n", f.CompanyID, f.Error)
				}
			}
			if failed != nil {
				return exitCode(1)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&period, "period", "", "previous_day, previous_week, previous_month or month_to_date")
	f.StringVar(&at, "at", "", "the schedule's time, RFC 3339 (default: now)")
	f.StringSliceVar(&reports, "reports", nil, "reports, comma-separated (dashboard included)")
	f.StringSliceVar(&formats, "formats", nil, "formats, comma-separated: html, json, csv, parquet, ndjson")
	f.StringSliceVar(&companies, "companies", nil, "company ids, comma-separated (default: every company with data in the period)")
	f.StringArrayVar(&params, "param", nil, "a report parameter, name=value (repeatable)")
	f.BoolVar(&force, "force", false, "write every output again, also those that exist")
	f.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}
