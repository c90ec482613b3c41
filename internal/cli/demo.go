package cli

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lambduck/internal/gen"
	"lambduck/internal/handler"
	"lambduck/internal/request"
	"lambduck/internal/storage"
	"lambduck/internal/words"
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
			e, err := loadEnv(cmd, slog.LevelWarn)
			if err != nil {
				return err
			}
			e.cfg.Data = filepath.Join(dir, "data")
			out := cmd.OutOrStdout()
			if _, err := os.Stat(filepath.Join(e.cfg.Data, demoMarker)); err != nil {
				fmt.Fprintf(out, "Making the demo dataset under %s (once)…\n", e.cfg.Data)
				sum, err := makeDemoData(cmd, e)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%s in %s.\n\n", words.Plural(sum.Rows, "row"), words.Plural(sum.Files, "file"))
			}
			h, err := e.handler()
			if err != nil {
				return err
			}
			defer h.Close()
			fmt.Fprintf(out, "Event: %s\n\n", demoEvent)
			req, err := request.Decode([]byte(demoEvent), e.cfg.MaxEvent)
			if err != nil {
				return err
			}
			res, err := h.Answer(cmd.Context(), req)
			if err != nil {
				fmt.Fprintf(out, "HTTP %d: %v\n", handler.Status(err), err)
				return exitCode(1)
			}
			printResult(out, res)
			d, err := h.Dashboard(cmd.Context(), req.CompanyID, req.StartDate, req.EndDate)
			if err != nil {
				return err
			}
			page, err := filepath.Abs(filepath.Join(dir, "dashboard.html"))
			if err != nil {
				return err
			}
			if _, err := writePage(d, "en", e.cfg.Scratch, page); err != nil {
				return err
			}
			fmt.Fprintf(out, "\nThe dashboard of the same month: %s\n", page)
			self := selfCommand()
			fmt.Fprintf(out, "Next: `%s reports` lists every report; `%s event top_paths | %s invoke -` runs one; `%s serve` answers curl and a browser.\n",
				self, self, self, self)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", filepath.Join(".lambduck", "demo"), "where the demo dataset lives")
	return cmd
}

func makeDemoData(cmd *cobra.Command, e env) (gen.Summary, error) {
	eng, err := e.engine()
	if err != nil {
		return gen.Summary{}, err
	}
	defer eng.Close()
	o := demoData
	o.Root = storage.Folder(e.cfg.Data)
	o.TimeZone = e.cfg.TimeZone
	days := int64(o.End.Sub(o.Start).Hours()/24 + 1)
	bar := newProgress(days*int64(len(o.Companies)*o.RowsPerDay), "generating")
	sum, err := gen.Parquet(cmd.Context(), eng, o, bar.set)
	bar.done()
	if err != nil {
		return sum, err
	}
	return sum, os.WriteFile(filepath.Join(e.cfg.Data, demoMarker), nil, 0o644)
}

// selfCommand is how the user runs this binary: "go run ./cmd/lambduck"
// when it was built by go run (into Go's temporary build folder), else
// "lambduck".
func selfCommand() string {
	if exe, err := os.Executable(); err == nil && strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "go run ./cmd/lambduck"
	}
	return "lambduck"
}
