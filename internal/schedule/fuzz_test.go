package schedule

import (
	"testing"
	"time"

	"lambduck/internal/layout"
)

// A job event from anywhere never panics the decoder, and a job it accepts
// names only valid companies, a known period and a period that computes.
func FuzzDecodeJob(f *testing.F) {
	for _, seed := range []string{
		`{"job": {"period": "previous_month", "reports": ["dashboard"], "formats": ["html"], "companies": ["*"], "at": "2025-05-01T00:05:00Z"}}`,
		`{"job": {"period": "previous_week", "reports": ["a"], "formats": ["csv"], "companies": ["1690"], "worker": true, "at": "2025-01-08T00:00:00+09:00"}}`,
		`{"job": {"period": "month_to_date", "reports": ["a"], "formats": ["csv", "json"], "companies": ["1", "1"], "params": {"limit": 3}, "at": "2025-05-10T23:59:59Z", "force": true}}`,
		`{"job": null}`, `{"job": []}`, `[]`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ev string) {
		j, err := Decode([]byte(ev))
		if err != nil {
			return
		}
		for _, c := range j.Companies {
			if c != AllCompanies && !layout.ValidCompanyID(c) {
				t.Fatalf("accepted company %q", c)
			}
		}
		p, err := Of(j.Period, j.At, time.UTC)
		if err != nil || p.End.Before(p.Start) || p.Label == "" {
			t.Fatalf("period %+v %v", p, err)
		}
	})
}
