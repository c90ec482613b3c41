package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"lambduck/internal/gen"
	"lambduck/internal/handler"
)

// The demo dataset: three tenants over three months, so the seed's April
// request for company 1690 visibly reads 30 of its 276 files.
var demoData = gen.Options{
	Companies:  []string{"1690", "1691", "2001"},
	Start:      time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
	End:        time.Date(2025, 5, 31, 0, 0, 0, 0, time.UTC),
	RowsPerDay: 2000,
	Seed:       1,
}

// The seed article's event.json.
const demoEvent = `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30"}`

const demoMarker = ".lambduck-demo-complete"

func newDemo() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Make a sample dataset (once) and run the seed's example event on it",
		Long: `Generates a sample dataset under .lambduck/demo/data the first time (three
companies, March to May 2025, 2,000 requests a day each), then runs the seed
article's event — company 1690, 2025-04-01 to 2025-04-30 — through the same
handler the Lambda function runs, and prints the report as a table.

Needs nothing but this binary: no AWS account, Docker or network.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := loadEnv(slog.LevelWarn)
			if err != nil {
				return err
			}
			e.cfg.Data = filepath.Join(dir, "data")
			out := cmd.OutOrStdout()
			if _, err := os.Stat(filepath.Join(e.cfg.Data, demoMarker)); err != nil {
				fmt.Fprintf(out, "Making the demo dataset under %s (once)…\n", e.cfg.Data)
				eng, err := e.engine()
				if err != nil {
					return err
				}
				o := demoData
				o.Root, o.TimeZone = e.cfg.Data, e.cfg.TimeZone
				days := int64(o.End.Sub(o.Start).Hours()/24 + 1)
				bar := newProgress(days*int64(len(o.Companies)*o.RowsPerDay), "generating")
				sum, err := gen.Parquet(cmd.Context(), eng, o, bar.set)
				bar.done()
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(e.cfg.Data, demoMarker), nil, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(out, "%d rows in %d files.\n\n", sum.Rows, sum.Files)
			}
			h, err := e.handler()
			if err != nil {
				return err
			}
			defer h.Close()
			fmt.Fprintf(out, "Event: %s\n\n", demoEvent)
			resp := h.Handle(cmd.Context(), []byte(demoEvent))
			return printResponse(out, resp)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", filepath.Join(".lambduck", "demo"), "where the demo dataset lives")
	return cmd
}

// printResponse renders a handler response as a table, or its error.
func printResponse(w interface{ Write([]byte) (int, error) }, resp handler.Response) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(resp.Body)))
	dec.UseNumber()
	var body struct {
		Error    string   `json:"error"`
		Report   string   `json:"report"`
		Columns  []string `json:"columns"`
		Data     [][]any  `json:"data"`
		RowCount int64    `json:"row_count"`
		Location string   `json:"location"`
		Stats    struct {
			Files      int     `json:"files"`
			BytesRead  int64   `json:"bytes_read"`
			DurationMS float64 `json:"duration_ms"`
		} `json:"stats"`
	}
	if err := dec.Decode(&body); err != nil {
		return fmt.Errorf("reading the response body: %w", err)
	}
	if resp.StatusCode != 200 {
		fmt.Fprintf(w, "HTTP %d: %s\n", resp.StatusCode, body.Error)
		return exitCode(1)
	}
	if body.Location != "" {
		fmt.Fprintf(w, "%s: %d rows written to %s\n", body.Report, body.RowCount, body.Location)
	} else {
		rows := make([][]string, len(body.Data))
		for i, r := range body.Data {
			rows[i] = make([]string, len(r))
			for j, v := range r {
				rows[i][j] = cell(v)
			}
		}
		writeTable(w, body.Columns, rows)
	}
	fmt.Fprintf(w, "\n%s: %d row(s); read %d files (%.1f MB) in %.1f ms.\n",
		body.Report, body.RowCount, body.Stats.Files, float64(body.Stats.BytesRead)/1e6, body.Stats.DurationMS)
	fmt.Fprintln(w, "Next: `lambduck reports` lists every report; `lambduck invoke event.json` prints the raw Lambda response.")
	return nil
}
