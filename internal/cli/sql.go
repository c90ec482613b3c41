package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"lambduck/internal/handler"
	"lambduck/internal/request"
)

func newSQL() *cobra.Command {
	var company, start, end, format string
	cmd := &cobra.Command{
		Use:   "sql --company ID --start DATE --end DATE [flags] [STATEMENT|-]",
		Short: "Run an ad-hoc SELECT over one company's data and date range, locked as a report is",
		Long: `Runs one SELECT (or WITH … SELECT) statement over the view access_logs —
one company's files in the date range, nothing else — in the same locked
DuckDB instance a report gets: reading any other file (another company's,
/etc/passwd, a glob) fails, as it does for a report. $company_id,
$start_date and $end_date are bound; the statement comes from the argument
or, with - or none, from standard input.

The answer prints as a table on a terminal and as JSON elsewhere;
--format table|json|csv|ndjson chooses. A statement that fails exits 1 with
the status the function would answer (400 for a refused statement, 500 for
DuckDB's errors).`,
		Example: `  lambduck sql --company 1690 --start 2025-04-01 --end 2025-04-30 'SELECT status, count(*) AS hits FROM access_logs GROUP BY ALL ORDER BY 2 DESC'
  echo 'SELECT user_agent, count(*) AS n FROM access_logs GROUP BY 1 ORDER BY 2 DESC LIMIT 5' | lambduck sql --company 1690 --start 2025-04-01 --end 2025-04-30 --format csv`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mode := format
			if mode == "" {
				mode = "json"
				if isTerminal(cmd.OutOrStdout()) {
					mode = "table"
				}
			}
			if !slices.Contains([]string{"table", "json", "csv", "ndjson"}, mode) {
				return fmt.Errorf("--format: %q is not one of table, json, csv, ndjson", mode)
			}
			statement := ""
			if len(args) == 1 && args[0] != "-" {
				statement = args[0]
			} else {
				b, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return fmt.Errorf("reading the statement: %w", err)
				}
				statement = string(b)
			}
			if strings.TrimSpace(statement) == "" {
				return fmt.Errorf("no statement: give one as the argument or on standard input")
			}
			// The company and range are checked as an event's are.
			event, _ := json.Marshal(map[string]string{"company_id": company, "start_date": start, "end_date": end})
			e, h, err := openHandler(cmd, slog.LevelWarn)
			if err != nil {
				return err
			}
			defer h.Close()
			req, err := request.Decode(event, e.cfg.MaxEvent)
			if err != nil {
				return flagError(err)
			}
			res, err := h.AnswerSQL(cmd.Context(), req, statement)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "HTTP %d: %v\n", handler.Status(err), err)
				return exitCode(1)
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			return printAnswer(cmd.OutOrStdout(), res, mode)
		},
	}
	f := cmd.Flags()
	f.StringVar(&company, "company", "", "company_id (required)")
	f.StringVar(&start, "start", "", "first day, YYYY-MM-DD (required)")
	f.StringVar(&end, "end", "", "last day, YYYY-MM-DD (required)")
	f.StringVar(&format, "format", "", "table, json, csv or ndjson (default: table on a terminal, json elsewhere)")
	return cmd
}

// flagError names the flag of an event field's error (--company for
// company_id, --period for a job's period, …).
func flagError(err error) error {
	var re *request.Error
	if !errors.As(err, &re) {
		return err
	}
	flag := map[string]string{"company_id": "--company", "start_date": "--start", "end_date": "--end",
		"job.period": "--period", "job.reports": "--reports", "job.formats": "--formats", "job.companies": "--companies",
		"job.at": "--at"}[re.Field]
	if name, ok := strings.CutPrefix(re.Field, "job.params."); ok {
		flag = "--param " + name
	}
	if flag == "" {
		return err
	}
	return fmt.Errorf("%s: %s", flag, re.Msg)
}
