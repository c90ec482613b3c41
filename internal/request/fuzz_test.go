package request

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Every payload — direct, HTTP, S3, SQS, or garbage — is either decoded or
// rejected with a *Error naming a field: never a panic, never another error.
func FuzzDecode(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.json")
	if err != nil || len(seeds) == 0 {
		f.Fatal(err, seeds)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-30"}`,
		`{"company_id": "../1691", "report": "top_paths", "params": {"limit": "5"}}`,
		`{"requestContext": {}, "body": "eyJyZXBvcnQiOiJoZWxsbyJ9", "isBase64Encoded": true}`,
		`{"requestContext": {}, "queryStringParameters": {"company_id": "1690", "limit": "x"}}`,
		`{"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "raw/company_id%3D1/a+b.log"}}}]}`,
		`{"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": "{\"Records\":[]}"}]}`,
		`[]`, `null`, ``, `{"params": null}`, `{"start_date": "2025-02-29"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		switch Kind(payload) {
		case KindS3:
			if _, err := S3Objects(payload); err != nil {
				mustBeFieldError(t, err)
			}
		case KindSQS:
			if msgs, err := SQSMessages(payload); err != nil {
				mustBeFieldError(t, err)
			} else {
				for _, m := range msgs {
					if m.Err != nil {
						mustBeFieldError(t, m.Err)
					}
				}
			}
		}
		r, err := Decode(payload, 1<<20)
		if err != nil {
			mustBeFieldError(t, err)
			return
		}
		if r.CompanyID != "" && !validCompany(r.CompanyID) {
			t.Fatalf("accepted company %q", r.CompanyID)
		}
		if err := r.RequireRange(366); err != nil {
			mustBeFieldError(t, err)
		}
	})
}

func mustBeFieldError(t *testing.T, err error) {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) || fe.Field == "" || fe.Msg == "" {
		t.Fatalf("rejection is not a field error: %T %v", err, err)
	}
}

func validCompany(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
