package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/spf13/cobra"

	"lambduck/internal/dashboard"
	"lambduck/internal/layout"
	"lambduck/internal/report"
	"lambduck/internal/request"
)

// eventTypes are the events `lambduck event` writes.
var eventTypes = []string{"direct", "url", "s3", "sqs", "schedule"}

func newEvent() *cobra.Command {
	var (
		kind, company, start, end, bucket, key string
	)
	cmd := &cobra.Command{
		Use:   "event [REPORT]",
		Short: "Print a ready event for a report (like sam local generate-event)",
		Long: `Prints an event the function answers, filled with the report's parameters
and their defaults from the catalog (built-in reports and LAMBDUCK_REPORTS),
for the company and dates given (the demo's by default). REPORT defaults to
access_summary; a required parameter without a default is written as
"REQUIRED <type>", which the function refuses until you fill it in.

--type chooses the event's shape:
  direct    the event a caller (or the Lambda console) sends
  url       a Function URL request (payload 2.0), the report as a query string
  s3        an S3 notification of a log object created under company_id=<id>/
            (--bucket, --key): the function ingests it
  sqs       the same notification delivered through SQS
  schedule  the input an EventBridge schedule sends (Terraform's
            schedule_event): the direct event`,
		Example: `  lambduck event top_paths
  lambduck event top_paths | lambduck invoke -
  lambduck event dashboard --type url --company 1691 --start 2025-05-01 --end 2025-05-31
  lambduck event --type s3 --bucket my-logs --key company_id=1690/alb/2025/04/01/log.gz | lambduck invoke -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(eventTypes, kind) {
				return fmt.Errorf("--type: %q is not one of %s", kind, strings.Join(eventTypes, ", "))
			}
			if !layout.ValidCompanyID(company) {
				return fmt.Errorf("--company: %q must match %s", company, layout.CompanyIDRule)
			}
			if _, _, err := dateRange(start, end); err != nil {
				return err
			}
			var ev any
			switch kind {
			case "s3", "sqs":
				if len(args) == 1 {
					return fmt.Errorf("an %s event ingests a log object; it names no report (drop %q)", kind, args[0])
				}
				if key == "" {
					key = "company_id=" + company + "/access.log.gz"
				}
				s3 := events.S3Event{Records: []events.S3EventRecord{{
					EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: "us-east-1", EventTime: time.Now().UTC(),
					EventName: "ObjectCreated:Put",
					S3: events.S3Entity{SchemaVersion: "1.0", Bucket: events.S3Bucket{Name: bucket, Arn: "arn:aws:s3:::" + bucket},
						Object: events.S3Object{Key: strings.ReplaceAll(url.QueryEscape(key), "%2F", "/"), Size: 1024}},
				}}}
				ev = s3
				if kind == "sqs" {
					body, err := json.Marshal(s3)
					if err != nil {
						return err
					}
					ev = events.SQSEvent{Records: []events.SQSMessage{{MessageId: "00000000-0000-0000-0000-000000000001",
						EventSource: "aws:sqs", AWSRegion: "us-east-1", Body: string(body),
						EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:lambduck-ingest"}}}
				}
			default:
				name := request.DefaultReport
				if len(args) == 1 {
					name = args[0]
				}
				params, needsData, err := eventParams(cmd, name)
				if err != nil {
					return err
				}
				direct := map[string]any{"report": name}
				if needsData {
					direct["company_id"], direct["start_date"], direct["end_date"] = company, start, end
				}
				if len(params) > 0 {
					direct["params"] = params
				}
				ev = direct
				if kind == "url" {
					q := url.Values{}
					for k, v := range direct {
						if k != "params" {
							q.Set(k, fmt.Sprint(v))
						}
					}
					for k, v := range params {
						q.Set(k, fmt.Sprint(v))
					}
					ev = newURLEvent("GET", "/", q.Encode(), http.Header{"User-Agent": {"curl/8.5.0"}}, "abcdefg.lambda-url.us-east-1.on.aws", "203.0.113.7", nil)
				}
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(ev)
		},
	}
	f := cmd.Flags()
	f.StringVar(&kind, "type", "direct", "the event's shape: "+strings.Join(eventTypes, ", "))
	f.StringVar(&company, "company", "1690", "company_id")
	f.StringVar(&start, "start", "2025-04-01", "start_date (YYYY-MM-DD)")
	f.StringVar(&end, "end", "2025-04-30", "end_date (YYYY-MM-DD)")
	f.StringVar(&bucket, "bucket", "my-logs", "with --type s3 or sqs: the bucket of the log object")
	f.StringVar(&key, "key", "", "with --type s3 or sqs: the log object's key (default company_id=<company>/access.log.gz)")
	return cmd
}

// eventParams is a report's parameters as an event writes them: each
// default, or "REQUIRED <type>" where the report declares none.
func eventParams(cmd *cobra.Command, name string) (map[string]any, bool, error) {
	if name == dashboard.Name {
		return map[string]any{"lang": "en"}, true, nil
	}
	e, err := loadEnv(cmd, slog.LevelWarn)
	if err != nil {
		return nil, false, err
	}
	catalog, err := report.Load(e.cfg.Reports, e.log)
	if err != nil {
		return nil, false, err
	}
	r, err := catalog.Find(name)
	if err != nil {
		return nil, false, fmt.Errorf("%w (`lambduck reports` lists them)", err)
	}
	params := map[string]any{}
	for _, p := range r.Params {
		switch {
		case p.Required:
			params[p.Name] = "REQUIRED " + string(p.Type)
		case p.Type == report.Date:
			params[p.Name] = p.DefaultText()
		default:
			params[p.Name] = p.Default
		}
	}
	return params, r.NeedsData, nil
}
