package request

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestDecodeDirect(t *testing.T) {
	r, err := Decode([]byte(`{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30"}`), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if r.CompanyID != "1690" || r.Report != "access_summary" || r.Format != "json" || r.Trigger != "direct" {
		t.Errorf("%+v", r)
	}
	if !r.StartDate.Equal(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)) || !r.EndDate.Equal(time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("dates %v %v", r.StartDate, r.EndDate)
	}
	if err := r.RequireRange(366); err != nil {
		t.Error(err)
	}

	r, err = Decode([]byte(`{"report": "top_paths", "format": "csv", "params": {"limit": 5}}`), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if r.Report != "top_paths" || r.Format != "csv" || r.Params["limit"] != json.Number("5") {
		t.Errorf("%+v", r)
	}
}

// Every case is a 400 whose message names the field.
func TestDecodeRejects(t *testing.T) {
	cases := []struct {
		name, event, field string
	}{
		{"malformed JSON", `{"company_id": "1690",`, "event"},
		{"not an object", `["1690"]`, "event"},
		{"empty", ``, "event"},
		{"company_id number", `{"company_id": 1690}`, "company_id"},
		{"start_date number", `{"start_date": 20250401}`, "start_date"},
		{"params array", `{"params": [1]}`, "params"},
		{"report object", `{"report": {}}`, "report"},
		{"SQL in company_id", `{"company_id": "1690' OR '1'='1"}`, "company_id"},
		{"path in company_id", `{"company_id": "../1691"}`, "company_id"},
		{"slash in company_id", `{"company_id": "1690/../1691"}`, "company_id"},
		{"encoded slash", `{"company_id": "1690%2F1691"}`, "company_id"},
		{"NUL in company_id", `{"company_id": "1690\u0000"}`, "company_id"},
		{"look-alike digit", `{"company_id": "１６９０"}`, "company_id"},
		{"65 characters", `{"company_id": "` + strings.Repeat("a", 65) + `"}`, "company_id"},
		{"empty company", `{"company_id": ""}`, "company_id"},
		{"February 30", `{"start_date": "2025-02-30"}`, "start_date"},
		{"slashes", `{"start_date": "2025/04/01"}`, "start_date"},
		{"datetime", `{"end_date": "2025-04-01T00:00:00Z"}`, "end_date"},
		{"unknown field", `{"company": "1690"}`, "company"},
		{"report name", `{"report": "../etc/passwd"}`, "report"},
		{"format", `{"format": "xlsx"}`, "format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode([]byte(c.event), 1<<20)
			var re *Error
			if !errors.As(err, &re) || re.Field != c.field {
				t.Fatalf("got %v, want a request.Error on field %q", err, c.field)
			}
		})
	}
}

func TestRequireRange(t *testing.T) {
	cases := []struct {
		event, field string
	}{
		{`{"start_date": "2025-04-01", "end_date": "2025-04-30"}`, "company_id"},
		{`{"company_id": "1690", "end_date": "2025-04-30"}`, "start_date"},
		{`{"company_id": "1690", "start_date": "2025-04-30"}`, "end_date"},
		{`{"company_id": "1690", "start_date": "2025-04-30", "end_date": "2025-04-01"}`, "end_date"},
		{`{"company_id": "1690", "start_date": "2024-01-01", "end_date": "2025-01-01"}`, "end_date"}, // 367 days
	}
	for _, c := range cases {
		r, err := Decode([]byte(c.event), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		err = r.RequireRange(366)
		var re *Error
		if !errors.As(err, &re) || re.Field != c.field {
			t.Errorf("%s: got %v, want an error on %q", c.event, err, c.field)
		}
	}
	r, err := Decode([]byte(`{"company_id": "1690", "start_date": "2024-01-01", "end_date": "2024-12-31"}`), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RequireRange(366); err != nil {
		t.Errorf("a leap year is 366 days: %v", err)
	}
}

func TestDecodeTooLarge(t *testing.T) {
	big := `{"company_id": "1690", "params": {"q": "` + strings.Repeat("x", 5<<20) + `"}}`
	_, err := Decode([]byte(big), 1<<20)
	var re *Error
	if !errors.As(err, &re) || re.Field != "event" || !strings.Contains(re.Msg, "limit") {
		t.Fatalf("got %v", err)
	}
}

// fixture loads an AWS HTTP event and replaces its body and query string.
func fixture(t *testing.T, file string, body string, base64Body bool, query map[string]string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if base64Body {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	ev["body"], ev["isBase64Encoded"], ev["queryStringParameters"] = body, base64Body, query
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeHTTP(t *testing.T) {
	seed := `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30", "report": "top_paths", "params": {"limit": 5}}`
	query := map[string]string{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30", "report": "top_paths", "limit": "5"}
	for _, file := range []string{"lambda-urls-request.json", "apigw-v2-request-no-authorizer.json", "apigw-request.json"} {
		for _, v := range []struct {
			name  string
			event []byte
		}{
			{"body", fixture(t, file, seed, false, nil)},
			{"base64 body", fixture(t, file, seed, true, nil)},
			{"query string", fixture(t, file, "", false, query)},
		} {
			t.Run(file+"/"+v.name, func(t *testing.T) {
				r, err := Decode(v.event, 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				if r.Trigger != "http" || r.CompanyID != "1690" || r.Report != "top_paths" || r.EndDate.Day() != 30 {
					t.Errorf("%+v", r)
				}
				if got := r.Params["limit"]; got != json.Number("5") && got != "5" {
					t.Errorf("limit = %#v", got)
				}
			})
		}
	}
	_, err := Decode(fixture(t, "lambda-urls-request.json", "Hello from client!", false, nil), 1<<20)
	var re *Error
	if !errors.As(err, &re) || re.Field != "body" {
		t.Errorf("a non-JSON body: got %v", err)
	}
	_, err = Decode(fixture(t, "lambda-urls-request.json", "", false, map[string]string{"company_id": "../x"}), 1<<20)
	if !errors.As(err, &re) || re.Field != "company_id" {
		t.Errorf("a bad company in the query string: got %v", err)
	}
}
