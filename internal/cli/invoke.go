package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"lambduck/internal/handler"
	"lambduck/internal/request"
	"lambduck/internal/schedule"
)

// outputs are the ways invoke prints an answer.
var outputs = []string{"table", "json", "csv", "ndjson", "raw"}

func newInvoke() *cobra.Command {
	var (
		pretty, raw bool
		format      string
	)
	cmd := &cobra.Command{
		Use:   "invoke [FILE|-]",
		Short: "Run the Lambda handler in-process on an event and print its answer",
		Long: `Reads an event (a JSON file, or standard input when FILE is - or absent),
runs the same handler the Lambda function runs, and prints the answer.

On a terminal the answer is a table, bandwidth in binary units, and the
read files and time under it; warnings go to standard error. Elsewhere (a
pipe, a file) it prints exactly the JSON the function would return —
{"statusCode": …, "headers": …, "body": "…"} — so scripts keep working.
--format chooses: table, json (the body, indented), csv or ndjson (the rows),
raw (the Lambda response; --raw is the same). --pretty indents the raw
response and the JSON inside its body.

For an S3 notification (or an SQS batch of them) the objects are ingested
into the data root and the ingest summary (or the SQS partial-batch
response) is printed as JSON; a scheduled job ({"job": …}, see lambduck job)
prints its summary as JSON.

The exit status is 0 for a 2xx answer, 1 for any other answer and when an
S3 event's object was rejected (not a log, no company); the answer is
printed either way. 2 is a configuration error (the message names the
setting).`,
		Example: `  echo '{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-30"}' | lambduck invoke
  lambduck event top_paths | lambduck invoke --format table -
  lambduck invoke --format csv event.json > paths.csv
  lambduck invoke --raw --pretty event.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mode := format
			if raw {
				if format != "" && format != "raw" {
					return fmt.Errorf("--raw and --format %s: name one", format)
				}
				mode = "raw"
			}
			if mode == "" {
				mode = "raw"
				if isTerminal(cmd.OutOrStdout()) {
					mode = "table"
				}
			}
			if !slices.Contains(outputs, mode) {
				return fmt.Errorf("--format: %q is not one of %s", mode, strings.Join(outputs, ", "))
			}
			var in io.Reader = cmd.InOrStdin()
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
			// A person reading a table is told of warnings and errors; a
			// script reading the raw response gets the function's log.
			level := slog.LevelInfo
			if mode == "table" {
				level = slog.LevelWarn
			}
			e, h, err := openHandler(cmd, level)
			if err != nil {
				return err
			}
			defer h.Close()
			switch kind := request.Kind(payload); {
			case mode == "raw" || kind == request.KindS3 || kind == request.KindSQS || schedule.Is(payload):
				return printRaw(cmd, h, payload, pretty || mode != "raw")
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			req, err := request.Decode(payload, e.cfg.MaxEvent)
			if err == nil {
				var res *handler.Result
				if res, err = h.Answer(cmd.Context(), req); err == nil {
					for _, w := range res.Warnings {
						fmt.Fprintln(errOut, "warning:", w)
					}
					return printAnswer(out, res, mode)
				}
			}
			fmt.Fprintf(errOut, "HTTP %d: %v\n", handler.Status(err), err)
			return exitCode(1)
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "table, json, csv, ndjson or raw (default: table on a terminal, raw elsewhere)")
	f.BoolVar(&raw, "raw", false, "print the Lambda response exactly as the function returns it (the default off a terminal)")
	f.BoolVar(&pretty, "pretty", false, "indent the raw response, and the JSON inside its body")
	return cmd
}

// printRaw prints what the function returns for the event. Its exit status
// is 1 for a response that is not 2xx and for an S3 event with a rejected
// object.
func printRaw(cmd *cobra.Command, h *handler.Handler, payload []byte, pretty bool) error {
	answer, err := h.Serve(cmd.Context(), payload)
	if err != nil {
		return fmt.Errorf("the function returned an error (Lambda would retry the event): %w", err)
	}
	resp, isResponse := answer.(handler.Response)
	if pretty && isResponse && strings.HasPrefix(resp.Headers["Content-Type"], "application/json") {
		var body bytes.Buffer
		if json.Indent(&body, []byte(resp.Body), "", "  ") == nil {
			resp.Body = body.String()
		}
		answer = resp
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
	if !isResponse {
		return nil
	}
	if resp.StatusCode >= 300 {
		return exitCode(1)
	}
	var ingested struct {
		Ingested []struct {
			Error string `json:"error"`
		} `json:"ingested"`
	}
	if json.Unmarshal([]byte(resp.Body), &ingested) == nil {
		rejected := 0
		for _, o := range ingested.Ingested {
			if o.Error != "" {
				rejected++
			}
		}
		if rejected > 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d objects rejected\n", rejected, len(ingested.Ingested))
			return exitCode(1)
		}
	}
	return nil
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
