package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"lambduck/internal/ingest"
	"lambduck/internal/layout"
	"lambduck/internal/storage"
	"lambduck/internal/words"
)

func newSources() *cobra.Command {
	var (
		company, remove, out string
		asJSON               bool
	)
	cmd := &cobra.Command{
		Use:   "sources --company ID [flags]",
		Short: "List what was ingested for a company, source by source, and remove one",
		Long: `Lists the sources whose rows a company's data holds: each source's id (the
stem of its files' names), what it was (a path, s3://bucket/key, or
standard input's content hash), its format, rows, the days the data holds
rows of it on, and when it was ingested. Sources that ingest kept no record
of (gen's files, or ingests from before records were kept) are listed by
their id alone. Two sources whose bytes look the same (the same size, first
and last MiB) are marked: the same log ingested twice under two names (a
file, then standard input) counts its rows twice.

--remove SOURCE deletes exactly that source's rows from every day — plain
files, and inside compacted days by a new compaction without them, so that
a report running meanwhile sees all of them or none — and its record.
SOURCE is the id or the recorded name.`,
		Example: `  lambduck sources --company 1690
  lambduck sources --company 1690 --remove ingest-6e19776d6cdb27e5`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !layout.ValidCompanyID(company) {
				return fmt.Errorf("--company: %q must match %s", company, layout.CompanyIDRule)
			}
			e, err := loadEnv(cmd, slog.LevelWarn)
			if err != nil {
				return err
			}
			if out == "" {
				out = e.cfg.Data
			}
			root, err := storage.Parse(out, e.s3())
			if err != nil {
				return fmt.Errorf("--data: %w", err)
			}
			if err := root.MustExist(); err != nil {
				return fmt.Errorf("--data: %w", err)
			}
			list, err := ingest.Sources(cmd.Context(), root, company)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if remove != "" {
				id := ""
				for _, s := range list {
					if s.ID == remove || (s.Recorded && s.Identity == remove) {
						id = s.ID
					}
				}
				if id == "" {
					return fmt.Errorf("--remove: company %s has no source %q (`lambduck sources --company %s` lists them)", company, remove, company)
				}
				eng, err := e.engine()
				if err != nil {
					return err
				}
				defer eng.Close()
				days, err := ingest.RemoveSource(cmd.Context(), e.cfg.Compaction(root, eng), root, company, id)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "removed %s from %s of company %s\n", id, words.Plural(len(days), "day"), company)
				return nil
			}
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			rows := [][]string{}
			for _, s := range list {
				name, format, rows1, when := "(no record)", "", "", ""
				if s.Recorded {
					name, format, rows1, when = s.Identity, s.Format, fmt.Sprint(s.Rows), s.IngestedAt.Format("2006-01-02 15:04")
				}
				days := ""
				if n := len(s.DataDays); n > 0 {
					days = s.DataDays[0]
					if n > 1 {
						days += " … " + s.DataDays[n-1] + " (" + words.Plural(n, "day") + ")"
					}
				}
				if len(s.SameAs) > 0 {
					name += "  [same bytes as " + strings.Join(s.SameAs, ", ") + "]"
				}
				rows = append(rows, []string{s.ID, format, rows1, days, when, name})
			}
			if len(rows) == 0 {
				fmt.Fprintf(w, "company %s has no data in %s\n", company, root)
				return nil
			}
			writeTable(w, []string{"id", "format", "rows", "days", "ingested (UTC)", "source"}, rows)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&company, "company", "", "company id (required)")
	f.StringVar(&remove, "remove", "", "delete this source's rows (its id or recorded name) and its record")
	f.StringVar(&out, "data", "", "data root (default: LAMBDUCK_DATA, else .lambduck/demo/data)")
	f.BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}
