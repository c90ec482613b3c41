package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"lambduck/internal/report"
)

func newReports() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reports",
		Short: "List the available reports with their parameters",
		Long: `Lists the built-in reports and those in LAMBDUCK_REPORTS, with each
parameter's type and default. company_id, start_date and end_date are
always available to a report that reads access_logs.`,
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
				Required bool   `json:"required"`
			}
			type entry struct {
				Name        string  `json:"name"`
				Description string  `json:"description"`
				NeedsData   bool    `json:"needs_company_and_dates"`
				Source      string  `json:"source"`
				Params      []param `json:"params"`
			}
			var list []entry
			for _, r := range catalog.All() {
				en := entry{Name: r.Name, Description: r.Description, NeedsData: r.NeedsData, Source: r.Source, Params: []param{}}
				for _, p := range r.Params {
					en.Params = append(en.Params, param{p.Name, string(p.Type), p.DefaultText(), p.Required})
				}
				list = append(list, en)
			}
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
					ps = append(ps, s)
				}
				rows = append(rows, []string{en.Name, strings.Join(ps, "; "), en.Description})
			}
			writeTable(out, []string{"report", "parameters", "description"}, rows)
			for _, f := range catalog.Shadowed {
				fmt.Fprintf(cmd.ErrOrStderr(), "note: %s was ignored: a built-in report has that name and wins\n", f)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}
