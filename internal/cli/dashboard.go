package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"lambduck/internal/atomicfile"
	"lambduck/internal/dashboard"
	"lambduck/internal/layout"
)

func newDashboard() *cobra.Command {
	var (
		company, start, end, out, lang string
		asJSON                         bool
	)
	cmd := &cobra.Command{
		Use:   "dashboard --company ID --start DATE --end DATE [flags]",
		Short: "Write a company's dashboard for a date range as one self-contained HTML page",
		Long: `Computes the dashboard of one company over a date range — summary cards with
the change against the previous period of the same length, hits per day (the
previous period drawn behind), hits by hour and by day of week × hour, status
codes, methods and protocols, top paths, 404 paths, referring sites, pages vs
static files, browsers, operating systems and crawlers (countries and networks
with LAMBDUCK_GEOIP_DB), and your reports marked "-- dashboard: <title>" — by
adding up per-day summaries (the first dashboard over a day makes its summary and
keeps it under the data root's company_id=<id>/_summaries/ when the day is not
small), and writes it as one HTML file that opens anywhere: styles and charts
inline, no script, nothing fetched (a Content-Security-Policy forbids it).

With --json it prints the same figures as one JSON document instead, with the
single reports' column names (hits, unique_visitors, bandwidth, path, …).
The data root is LAMBDUCK_DATA; docs/reports.md describes the panels.`,
		Example: `  lambduck dashboard --company 1690 --start 2025-04-01 --end 2025-04-30
  lambduck dashboard --company 1690 --start 2025-04-01 --end 2025-04-30 --lang ja -o april.html
  lambduck dashboard --company 1690 --start 2025-04-01 --end 2025-04-07 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !layout.ValidCompanyID(company) {
				return fmt.Errorf("--company: %q must match %s", company, layout.CompanyIDRule)
			}
			from, to, err := dateRange(start, end)
			if err != nil {
				return err
			}
			if !slices.Contains(dashboard.Langs, lang) {
				return fmt.Errorf("--lang: %q is not one of %s", lang, strings.Join(dashboard.Langs, ", "))
			}
			e, h, err := openHandler(cmd, slog.LevelWarn)
			if err != nil {
				return err
			}
			defer h.Close()
			d, err := h.Dashboard(cmd.Context(), company, from, to)
			if err != nil {
				return err
			}
			if d.NoData {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: no data found for company_id %s from %s to %s\n", company, d.StartDate, d.EndDate)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(d)
			}
			if out == "" {
				out = fmt.Sprintf("dashboard-%s-%s_%s.html", company, start, end)
			}
			size, err := writePage(d, lang, e.cfg.Scratch, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d bytes): %d hits, %d unique visitors over %s – %s\n",
				out, size, d.Summary.Hits, d.Summary.UniqueVisitors, start, end)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&company, "company", "", "company id")
	f.StringVar(&start, "start", "", "first day (YYYY-MM-DD)")
	f.StringVar(&end, "end", "", "last day (YYYY-MM-DD)")
	f.StringVarP(&out, "output", "o", "", "file to write (default: dashboard-<company>-<start>_<end>.html)")
	f.StringVar(&lang, "lang", "en", "language of the labels, numbers and dates: en or ja")
	f.BoolVar(&asJSON, "json", false, "print the figures as JSON instead of writing the page")
	return cmd
}

// writePage writes d's page to path, whole or not at all (through a file in
// scratch), and returns its size.
func writePage(d *dashboard.Data, lang, scratch, path string) (int, error) {
	tmp, size, err := dashboard.WriteTemp(d, lang, scratch)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp)
	return size, atomicfile.Move(tmp, path)
}
