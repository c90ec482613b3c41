package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"lambduck/internal/ingest"
	"lambduck/internal/storage"
	"lambduck/internal/words"
)

func newIngest() *cobra.Command {
	var (
		format, company, out  string
		logFormat, dateFormat string
		timeFormat, nginx     string
		asJSON                bool
	)
	cmd := &cobra.Command{
		Use:   "ingest [flags] SOURCE…",
		Short: "Turn raw access logs into the partitioned Parquet layout",
		Long: `Reads raw access logs — NCSA Combined and Common (nginx/Apache) and their
virtual-host forms, AWS ALB and Classic ELB, CloudFront standard logs, S3 server
access logs, Google Cloud Storage usage logs, W3C (IIS), Squid, Caddy's JSON log,
JSON lines, or your own layout (--log-format in GoAccess's language, --nginx-format
as in nginx.conf); plain or gzip — from files, folders (recursively), s3://bucket/key or s3://bucket/prefix,
or - (standard input), and writes company_id=<id>/date=<YYYY-MM-DD>/ingest-….parquet
under the data root (--out, else LAMBDUCK_DATA; a folder or s3://bucket/prefix).
docs/ingest.md says how each format is read and where GoAccess reads it otherwise.

The format is detected from each file's first lines unless --format names it.
The company is --company, else the company_id=<id> segment of the file's path.
The partition date is the request's calendar date in LAMBDUCK_TIMEZONE.

Ingesting the same source again replaces what it wrote before. A line that
does not parse is counted and reported with its line number, never fatal; a
file that is not a log at all is rejected whole and nothing of it is written.
The exit status is 1 when any source was rejected.`,
		Example: `  lambduck ingest --company 1690 /var/log/nginx/access.log.1 /var/log/nginx/access.log.2.gz
  lambduck ingest logs/company_id=1690/          # company from the path
  zcat access.log.gz | lambduck ingest --company 1690 --format combined -
  lambduck ingest --out s3://lake/data s3://lake/raw/company_id=1690/2025/04/
  lambduck ingest --company 1690 --nginx-format "$(grep -A2 'log_format main' /etc/nginx/nginx.conf)" access.log
  LAMBDUCK_TIMEZONE=Asia/Tokyo lambduck ingest --json --company 1690 access.log`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := loadEnv(cmd, slog.LevelWarn)
			if err != nil {
				return err
			}
			if out == "" {
				out = e.cfg.Data
			}
			if format != "" {
				f, ok := ingest.FormatName(format)
				if !ok {
					return fmt.Errorf("--format: %q is not one of %s", format, strings.Join(ingest.Formats, ", "))
				}
				format = f
			}
			custom, err := ingest.CustomFormat(logFormat, dateFormat, timeFormat, nginx)
			if err != nil {
				return err
			}
			if custom != nil && format != "" {
				return fmt.Errorf("--format and a custom layout (--log-format, --nginx-format) were both given; name one")
			}
			s3 := e.s3()
			root, err := storage.Parse(out, s3)
			if err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			sources, err := ingest.Expand(cmd.Context(), args, cmd.InOrStdin(), e.cfg.Scratch, s3)
			if err != nil {
				return err
			}
			defer ingest.RemoveTemporary(sources)
			var total int64
			for _, s := range sources {
				total += s.Size
			}
			eng, err := e.engine()
			if err != nil {
				return err
			}
			defer eng.Close()
			bar := newBytesProgress(total, "ingesting")
			sum, err := ingest.Run(cmd.Context(), eng, sources, ingest.Options{Root: root, Company: company, Format: format, LogFormat: custom, TimeZone: e.cfg.TimeZone}, bar.set)
			bar.done()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if err := enc.Encode(sum); err != nil {
					return err
				}
			} else {
				printIngest(w, sum, out)
			}
			if sum.FailedSources > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "combined, common, vcombined, vcommon, alb (or awsalb), awselb, cloudfront, w3c, awss3, cloudstorage, squid, caddy or jsonl (default: detected per file)")
	f.StringVar(&logFormat, "log-format", "", "a custom layout in GoAccess's log-format language, e.g. '%h %^[%d:%t %^] \"%r\" %s %b \"%R\" \"%u\"'")
	f.StringVar(&dateFormat, "date-format", "", "with --log-format: how %d (or %x) is written, as GoAccess's --date-format (e.g. %d/%b/%Y; %s for Unix seconds)")
	f.StringVar(&timeFormat, "time-format", "", "with --log-format: how %t is written, as GoAccess's --time-format (e.g. %H:%M:%S)")
	f.StringVar(&nginx, "nginx-format", "", "the log_format directive as it stands in nginx.conf ('$remote_addr - $remote_user [$time_local] \"$request\" …')")
	f.StringVar(&company, "company", "", "company id for every source (default: the company_id=<id> path segment)")
	f.StringVar(&out, "out", "", "data root to write (default: LAMBDUCK_DATA, else .lambduck/demo/data)")
	f.BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

func printIngest(w interface{ Write([]byte) (int, error) }, sum ingest.Summary, out string) {
	for _, s := range sum.Sources {
		if s.Error != "" {
			fmt.Fprintf(w, "REJECTED %s\n", s.Error)
			continue
		}
		fmt.Fprintf(w, "%s (%s, company %s): %s read, %s written, %d rejected, %s\n",
			s.Source, s.Format, s.Company, words.Plural(s.LinesRead, "line"), words.Plural(s.RowsWritten, "row"), s.LinesRejected, words.Plural(len(s.Days), "day"))
		for _, r := range s.FirstRejected {
			fmt.Fprintf(w, "  rejected line %d: %.160q\n", r.Line, r.Text)
		}
		for _, other := range s.SameBytesAs {
			fmt.Fprintf(w, "  warning: the same bytes were ingested before as %s: their rows now count twice; `lambduck sources --company %s --remove %s` removes one\n",
				other, s.Company, other)
		}
	}
	secs := float64(sum.DurationMS) / 1000
	fmt.Fprintf(w, "total: %s read, %s written, %d rejected, %s failed; %.1f MB in %.2f s (%.0f lines/s, %.1f MB/s) into %s\n",
		words.Plural(sum.LinesRead, "line"), words.Plural(sum.RowsWritten, "row"), sum.LinesRejected, words.Plural(sum.FailedSources, "source"), float64(sum.Bytes)/1e6, secs,
		float64(sum.LinesRead)/max(secs, 0.001), float64(sum.Bytes)/1e6/max(secs, 0.001), out)
}
