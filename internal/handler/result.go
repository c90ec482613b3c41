package handler

import (
	"encoding/json"
	"fmt"

	"lambduck/internal/dashboard"
)

// Result is a report's answer.
type Result struct {
	RequestID string         `json:"request_id"`
	Report    string         `json:"report"`
	CompanyID string         `json:"company_id,omitempty"`
	StartDate string         `json:"start_date,omitempty"`
	EndDate   string         `json:"end_date,omitempty"`
	Format    string         `json:"format"`
	Params    map[string]any `json:"params"` // as the caller would write them, defaults filled in
	Columns   []string       `json:"columns"`
	// Types are the columns' DuckDB types, in a shard's answer only: its
	// coordinator loads the part with exactly these.
	Types []string `json:"types,omitempty"`
	// Rows are the result when it is inline (format json and within the
	// inline limit), each in column order; nil when it was exported.
	Rows     [][]any `json:"-"`
	RowCount int64   `json:"row_count"`
	Location string  `json:"location,omitempty"` // an export: a path or s3://bucket/key
	URL      string  `json:"url,omitempty"`      // an export to S3: a presigned GET URL
	Stats    Stats   `json:"stats"`
	// Warnings are what the caller should know about a correct answer: no
	// data for the company and range (a typo looks like a quiet month).
	Warnings []string `json:"warnings,omitempty"`
	// Dashboard is the dashboard report's document (format json).
	Dashboard *dashboard.Data `json:"dashboard,omitempty"`
	// Page is the dashboard's HTML page when it is the answer itself (format
	// html through a Function URL or API Gateway).
	Page []byte `json:"-"`

	encodedRows json.RawMessage // Rows as JSON, kept from the inline size check
}

// Stats say what answering cost.
type Stats struct {
	Files     int   `json:"files"`      // files selected
	BytesRead int64 `json:"bytes_read"` // their total size
	// For an S3 data root: bytes downloaded for this request (0 when warm)
	// and LIST requests made.
	BytesDownloaded *int64  `json:"bytes_downloaded,omitempty"`
	ListRequests    *int    `json:"list_requests,omitempty"`
	DurationMS      float64 `json:"duration_ms"`
	// InstanceReused: the DuckDB instance served the previous request, which
	// was for the same company and exactly the same files.
	InstanceReused bool `json:"instance_reused"`
	// Fan-out (docs/decisions.md): the shards the range was split into (1:
	// not split), the invocations run at once, attempts repeated after a
	// failure or throttle, and duplicates started for stragglers. NotSplit
	// says why a request that could have been split was not.
	Shards     int    `json:"shards"`
	Workers    int    `json:"workers,omitempty"`
	Retries    int    `json:"retries,omitempty"`
	Duplicates int    `json:"duplicates,omitempty"`
	NotSplit   string `json:"not_split,omitempty"`
	// The dashboard: day summaries read as stored, and made from the days'
	// data files for this request (docs/reports.md).
	SummariesRead int `json:"summaries_read,omitempty"`
	SummariesMade int `json:"summaries_made,omitempty"`
	// GBSeconds is what Lambda bills for the answer: this invocation's
	// duration × memory, plus every worker's (0 off Lambda).
	GBSeconds float64 `json:"gb_seconds"`
}

// MarshalJSON writes the body of a success: the fields above, and the rows
// as "data" when the result is inline.
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	data := r.encodedRows
	if data == nil && r.Rows != nil {
		var err error
		if data, err = encodeRows(r.Rows); err != nil {
			return nil, err
		}
	}
	return json.Marshal(struct {
		*plain
		Data json.RawMessage `json:"data,omitempty"`
	}{(*plain)(r), data})
}

func encodeRows(rows [][]any) (json.RawMessage, error) {
	b, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("encoding rows: %w", err)
	}
	return b, nil
}
