package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"lambduck/internal/handler"
)

func newInvoke() *cobra.Command {
	var pretty bool
	cmd := &cobra.Command{
		Use:   "invoke [FILE|-]",
		Short: "Run the Lambda handler in-process on an event and print its response",
		Long: `Reads an event (a JSON file, or standard input when FILE is - or absent),
runs the same handler the Lambda function runs, and prints exactly the JSON
the function would return: {"statusCode": …, "headers": …, "body": "…"} for a
report request; for an S3 notification (or an SQS batch of them) the objects
are ingested into the data root and the ingest summary (or the SQS
partial-batch response) is printed.

The exit status is 0 for a 2xx response and 1 otherwise; the response is
printed either way. Logs go to standard error as JSON lines.`,
		Example: `  echo '{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-30"}' | lambduck invoke
  lambduck invoke event.json
  lambduck invoke --pretty event.json | jq -r .body | jq .`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = os.Stdin
			if len(args) == 1 && args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			payload, err := io.ReadAll(in)
			if err != nil {
				return fmt.Errorf("reading the event: %w", err)
			}
			e, err := loadEnv(slog.LevelInfo)
			if err != nil {
				return err
			}
			h, err := e.handler()
			if err != nil {
				return err
			}
			defer h.Close()
			answer, err := h.Serve(cmd.Context(), payload)
			if err != nil {
				return fmt.Errorf("the function returned an error (Lambda would retry the event): %w", err)
			}
			out, err := json.Marshal(answer)
			if err != nil {
				return err
			}
			if pretty {
				var buf bytes.Buffer
				if json.Indent(&buf, out, "", "  ") == nil {
					out = buf.Bytes()
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(out))
			if resp, ok := answer.(handler.Response); ok && resp.StatusCode >= 300 {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&pretty, "pretty", false, "indent the response (the body stays a JSON string, as Lambda returns it)")
	return cmd
}
