package handler

import (
	"encoding/json"
	"net/http"
)

// Response is what the function returns (DESIGN §3).
type Response struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

func jsonResponse(status int, body any) Response {
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error: response could not be encoded"}`)
	}
	return Response{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}
}

type errorBody struct {
	Error     string `json:"error"`
	RequestID string `json:"request_id,omitempty"`
}

// resultBody is a success's body.
type resultBody struct {
	RequestID string          `json:"request_id"`
	Report    string          `json:"report"`
	CompanyID string          `json:"company_id,omitempty"`
	StartDate string          `json:"start_date,omitempty"`
	EndDate   string          `json:"end_date,omitempty"`
	Format    string          `json:"format"`
	Params    map[string]any  `json:"params"`
	Columns   []string        `json:"columns"`
	Data      json.RawMessage `json:"data,omitempty"`
	RowCount  int64           `json:"row_count"`
	Location  string          `json:"location,omitempty"`
	URL       string          `json:"url,omitempty"`
	Stats     stats           `json:"stats"`
}

type stats struct {
	Files           int     `json:"files"`
	BytesRead       int64   `json:"bytes_read"`
	BytesDownloaded *int64  `json:"bytes_downloaded,omitempty"`
	ListRequests    *int    `json:"list_requests,omitempty"`
	DurationMS      float64 `json:"duration_ms"`
	// InstanceReused: the DuckDB instance served the previous request, which
	// was for the same company and exactly the same files.
	InstanceReused bool `json:"instance_reused"`
}
