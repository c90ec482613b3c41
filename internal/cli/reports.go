package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"lambduck/internal/dashboard"
	"lambduck/internal/report"
	"lambduck/internal/request"
)

func newReports() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reports",
		Short: "List the available reports with their parameters",
		Long: `Lists the built-in reports and those in LAMBDUCK_REPORTS, with each
parameter's type, default and bounds, which report an event without
"report" runs, and what the columns mean where their names do not say it
all (a report file's "-- column: <name>: <meaning>" lines). company_id,
start_date and end_date are always available to a report that reads
access_logs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := loadEnv(cmd, slog.LevelWarn)
			if err != nil {
				return err
			}
			catalog, err := report.Load(e.cfg.Reports, e.log)
			if err != nil {
				return err
			}
			type param struct {
				Name     string `json:"name"`
				Type     string `json:"type"`
				Default  string `json:"default,omitempty"`
				Bounds   string `json:"bounds,omitempty"`
				Required bool   `json:"required"`
			}
			type column struct {
				Name    string `json:"name"`
				Meaning string `json:"meaning"`
			}
			type entry struct {
				Name        string   `json:"name"`
				Description string   `json:"description"`
				Default     bool     `json:"default"`
				NeedsData   bool     `json:"needs_company_and_dates"`
				Source      string   `json:"source"`
				Params      []param  `json:"params"`
				Columns     []column `json:"columns,omitempty"`
				// Merge is the report's -- merge: declaration; "" when it
				// is never split over invocations.
				Merge string `json:"merge,omitempty"`
			}
			var list []entry
			for _, r := range catalog.All() {
				en := entry{Name: r.Name, Description: r.Description, Default: r.Name == request.DefaultReport,
					NeedsData: r.NeedsData, Source: r.Source, Params: []param{}}
				for _, p := range r.Params {
					en.Params = append(en.Params, param{p.Name, string(p.Type), p.DefaultText(), p.Bounds(), p.Required})
				}
				for _, c := range r.Columns {
					en.Columns = append(en.Columns, column{c.Name, c.Meaning})
				}
				if r.Merge != nil {
					en.Merge = r.Merge.String()
				}
				list = append(list, en)
			}
			// The dashboard is a report of its own making (package dashboard), not a file.
			list = append(list, entry{Name: dashboard.Name, Description: "Every panel of a company and range, with the previous period: json, or html (a page)",
				NeedsData: true, Source: "builtin", Params: []param{{Name: "lang", Type: "string", Default: "en", Bounds: "en or ja"}}})
			slices.SortFunc(list, func(a, b entry) int { return strings.Compare(a.Name, b.Name) })
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			rows := [][]string{}
			for _, en := range list {
				var ps []string
				if en.NeedsData {
					ps = append(ps, "company_id, start_date, end_date")
				}
				for _, p := range en.Params {
					s := p.Name + " " + p.Type
					if p.Required {
						s += " (required)"
					} else {
						s += "=" + p.Default
					}
					if p.Bounds != "" {
						s += " (" + p.Bounds + ")"
					}
					ps = append(ps, s)
				}
				name := en.Name
				if en.Default {
					name += " (default)"
				}
				rows = append(rows, []string{name, strings.Join(ps, "; "), en.Description})
			}
			writeTable(out, []string{"report", "parameters", "description"}, rows)
			// What the columns mean, where their names do not say it all.
			var meanings [][]string
			for _, en := range list {
				for _, c := range en.Columns {
					meanings = append(meanings, []string{en.Name, c.Name, c.Meaning})
				}
			}
			if len(meanings) > 0 {
				fmt.Fprintln(out)
				writeTable(out, []string{"report", "column", "meaning"}, meanings)
			}
			var splits []string
			for _, en := range list {
				if en.Merge != "" {
					splits = append(splits, en.Name)
				}
			}
			fmt.Fprintf(out, "\nAn event without \"report\" runs %s. `lambduck event REPORT` prints a ready event.\n", request.DefaultReport)
			fmt.Fprintf(out, "Large requests fan out over invocations for the reports that declare a merge: %s.\n", strings.Join(splits, ", "))
			for _, f := range catalog.Shadowed {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %s was ignored: a built-in report has that name and wins\n", f)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}
