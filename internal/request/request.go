package request

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"lambduck/internal/layout"
	"lambduck/internal/report"
)

// Defaults of the event's optional fields.
const (
	DefaultReport = "access_summary"
	DefaultFormat = "json"
)

// Triggers: how a report request arrived.
const (
	TriggerDirect = "direct"
	TriggerHTTP   = "http" // a Function URL or API Gateway request
	TriggerJob    = "job"  // one output of a scheduled job
)

// Formats a request may ask for: json is inline unless too large; csv,
// parquet and ndjson are exports; html is the dashboard's page.
var Formats = []string{"json", "csv", "parquet", "ndjson", "html"}

// Request is a decoded, syntactically valid report request.
type Request struct {
	CompanyID string    // "" when not given
	StartDate time.Time // zero when not given
	EndDate   time.Time
	Report    string
	Format    string
	Params    map[string]any // caller's values: strings, json.Number, bools
	Trigger   string         // TriggerDirect or TriggerHTTP
	// Workers is the event's "workers": at most this many shards (≥ 2), or
	// 1: never split; 0 when not given (the deployment decides).
	Workers int
	// Shard is the event's "shard": true — the request is one part of a
	// fanned-out request and answers the report's partial form (package
	// report's Merge); it never fans out again.
	Shard bool
	// OutputKey, set only by a scheduled job (never from an event), is where
	// in the output root the answer is written, whatever its format.
	OutputKey string
}

// MaxWorkers bounds the event's "workers".
const MaxWorkers = 1000

// Error is a caller's mistake in one field.
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) *Error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

var knownFields = map[string]bool{
	"company_id": true, "start_date": true, "end_date": true,
	"report": true, "format": true, "params": true,
	"workers": true, "shard": true,
}

// Decode reads payload. maxBytes bounds the event's size.
func Decode(payload []byte, maxBytes int) (*Request, error) {
	if len(payload) > maxBytes {
		return nil, fieldErr("event", "%d bytes is larger than the %d-byte limit for a report request", len(payload), maxBytes)
	}
	fields, err := objectFields(payload, "event")
	if err != nil {
		return nil, err
	}
	if _, ok := fields["requestContext"]; ok {
		return decodeHTTP(payload, maxBytes)
	}
	if _, ok := fields["Records"]; ok {
		return nil, fieldErr("Records", "holds no S3 or SQS record this function handles")
	}
	return fromFields(fields, TriggerDirect)
}

// objectFields decodes a JSON object into its raw fields.
func objectFields(payload []byte, what string) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 {
		return nil, fieldErr(what, "is empty; want a JSON object such as {\"company_id\": \"1690\", \"start_date\": \"2025-04-01\", \"end_date\": \"2025-04-30\"}")
	}
	if trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			return nil, fieldErr(what, "is not valid JSON")
		}
		return nil, fieldErr(what, "must be a JSON object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return nil, fieldErr(what, "is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return fields, nil
}

func decodeHTTP(payload []byte, maxBytes int) (*Request, error) {
	// A Function URL event and an API Gateway (v1 or v2) event share these fields.
	var ev events.LambdaFunctionURLRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fieldErr("event", "is not a valid HTTP event: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	body := ev.Body
	if ev.IsBase64Encoded && body != "" {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, fieldErr("body", "is flagged base64 but does not decode")
		}
		body = string(b)
	}
	if strings.TrimSpace(body) != "" {
		if len(body) > maxBytes {
			return nil, fieldErr("body", "%d bytes is larger than the %d-byte limit", len(body), maxBytes)
		}
		fields, err := objectFields([]byte(body), "body")
		if err != nil {
			return nil, err
		}
		return fromFields(fields, TriggerHTTP)
	}
	// No body: the fields come from the query string; keys that are not event
	// fields are report parameters (?limit=5 is params.limit).
	fields := map[string]json.RawMessage{}
	params := map[string]any{}
	for k, v := range ev.QueryStringParameters {
		if knownFields[k] && k != "params" {
			b, _ := json.Marshal(v)
			fields[k] = b
			continue
		}
		params[strings.TrimPrefix(k, "params.")] = v
	}
	r, err := fromFields(fields, TriggerHTTP)
	if err != nil {
		return nil, err
	}
	r.Params = params
	return r, nil
}

func fromFields(fields map[string]json.RawMessage, trigger string) (*Request, error) {
	var unknown []string
	for k := range fields {
		if !knownFields[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		name := unknown[0]
		if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == utf8.RuneError }) {
			name = strconv.Quote(name) // an empty or unprintable key is still named
		}
		return nil, fieldErr(name, "unknown field (a request has company_id, start_date, end_date, report, format, params, workers and shard)")
	}
	r := &Request{Report: DefaultReport, Format: DefaultFormat, Trigger: trigger, Params: map[string]any{}}
	var err error
	if r.CompanyID, err = stringField(fields, "company_id"); err != nil {
		return nil, err
	}
	if r.CompanyID != "" && !layout.ValidCompanyID(r.CompanyID) {
		return nil, fieldErr("company_id", "%s must match %s", quoteShort(r.CompanyID), layout.CompanyIDRule)
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"start_date", &r.StartDate}, {"end_date", &r.EndDate}} {
		s, err := stringField(fields, d.name)
		if err != nil {
			return nil, err
		}
		if s == "" {
			continue
		}
		if *d.dst, err = layout.ParseDate(s); err != nil {
			return nil, fieldErr(d.name, "%s", err)
		}
	}
	if name, err := stringField(fields, "report"); err != nil {
		return nil, err
	} else if name != "" {
		if !report.ValidName(name) {
			return nil, fieldErr("report", "%s is not a report name (lower-case letters, digits and _)", quoteShort(name))
		}
		r.Report = name
	}
	if f, err := stringField(fields, "format"); err != nil {
		return nil, err
	} else if f != "" {
		if !slices.Contains(Formats, f) {
			return nil, fieldErr("format", "%s is not one of %s", quoteShort(f), strings.Join(Formats, ", "))
		}
		r.Format = f
	}
	if raw, ok := fields["workers"]; ok && string(raw) != "null" {
		var n int
		if err := json.Unmarshal(raw, &n); err != nil || n < 1 || n > MaxWorkers {
			return nil, fieldErr("workers", "must be a whole number from 1 (never split) to %d, not %s", MaxWorkers, quoteShort(string(raw)))
		}
		r.Workers = n
	}
	if raw, ok := fields["shard"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &r.Shard); err != nil {
			return nil, fieldErr("shard", "must be true or false, not %s", jsonKind(raw))
		}
	}
	if raw, ok := fields["params"]; ok && string(raw) != "null" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var params map[string]any
		if err := dec.Decode(&params); err != nil {
			return nil, fieldErr("params", "must be a JSON object of parameter values")
		}
		r.Params = params
	}
	return r, nil
}

// RequireRange checks what a data report needs: a company and a date range
// of at most maxDays days.
func (r *Request) RequireRange(maxDays int) error {
	switch {
	case r.CompanyID == "":
		return fieldErr("company_id", "is required by report %s", r.Report)
	case r.StartDate.IsZero():
		return fieldErr("start_date", "is required by report %s (YYYY-MM-DD)", r.Report)
	case r.EndDate.IsZero():
		return fieldErr("end_date", "is required by report %s (YYYY-MM-DD)", r.Report)
	case r.EndDate.Before(r.StartDate):
		return fieldErr("end_date", "%s is before start_date %s", r.EndDate.Format(layout.DateFormat), r.StartDate.Format(layout.DateFormat))
	}
	if days := int(r.EndDate.Sub(r.StartDate).Hours()/24) + 1; days > maxDays {
		return fieldErr("end_date", "the range is %d days; the longest allowed is %d (LAMBDUCK_MAX_DAYS)", days, maxDays)
	}
	return nil
}

func stringField(fields map[string]json.RawMessage, name string) (string, error) {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fieldErr(name, "must be a JSON string, not %s", jsonKind(raw))
	}
	if s == "" {
		return "", fieldErr(name, "is empty")
	}
	return s, nil
}

func jsonKind(raw json.RawMessage) string {
	switch t := bytes.TrimSpace(raw); {
	case len(t) == 0:
		return "nothing"
	case t[0] == '{':
		return "an object"
	case t[0] == '[':
		return "an array"
	case t[0] == 't' || t[0] == 'f':
		return "a boolean"
	default:
		return "a number"
	}
}

// quoteShort quotes a caller's value for an error message, cut to a readable length.
func quoteShort(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", s)
}
