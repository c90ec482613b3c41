package schedule

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPeriods(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		period, at string
		tz         *time.Location
		want       string // start end label
	}{
		{PreviousMonth, "2025-05-01T00:05:00Z", time.UTC, "2025-04-01 2025-04-30 2025-04"},
		{PreviousMonth, "2025-03-01T00:05:00Z", time.UTC, "2025-02-01 2025-02-28 2025-02"},
		{PreviousMonth, "2025-01-15T12:00:00Z", time.UTC, "2024-12-01 2024-12-31 2024-12"},
		// 2025-04-30T20:00Z is already May 1st in Tokyo.
		{PreviousMonth, "2025-04-30T20:00:00Z", tokyo, "2025-04-01 2025-04-30 2025-04"},
		{PreviousMonth, "2025-04-30T20:00:00Z", time.UTC, "2025-03-01 2025-03-31 2025-03"},
		{PreviousDay, "2025-05-01T00:05:00Z", time.UTC, "2025-04-30 2025-04-30 2025-04-30"},
		{PreviousDay, "2025-05-01T00:05:00+09:00", tokyo, "2025-04-30 2025-04-30 2025-04-30"},
		// Thursday 2025-05-01: the week before is Monday 21 to Sunday 27 April, ISO week 17.
		{PreviousWeek, "2025-05-01T00:05:00Z", time.UTC, "2025-04-21 2025-04-27 2025-W17"},
		// A Monday: the week that just ended.
		{PreviousWeek, "2025-04-28T06:00:00Z", time.UTC, "2025-04-21 2025-04-27 2025-W17"},
		// A Sunday: the week before the current one.
		{PreviousWeek, "2025-04-27T06:00:00Z", time.UTC, "2025-04-14 2025-04-20 2025-W16"},
		// Across a year: Monday 2024-12-30 starts ISO week 1 of 2025.
		{PreviousWeek, "2025-01-08T00:00:00Z", time.UTC, "2024-12-30 2025-01-05 2025-W01"},
		{MonthToDate, "2025-05-10T23:00:00Z", time.UTC, "2025-05-01 2025-05-10 2025-05-01_to_2025-05-10"},
	} {
		p, err := Of(c.period, at(c.at), c.tz)
		got := p.Start.Format("2006-01-02") + " " + p.End.Format("2006-01-02") + " " + p.Label
		if err != nil || got != c.want {
			t.Errorf("%s at %s in %s: %s %v, want %s", c.period, c.at, c.tz, got, err, c.want)
		}
	}
}

func TestDecode(t *testing.T) {
	ok := `{"job": {"period": "previous_month", "reports": ["dashboard"], "formats": ["html"], "companies": ["*"], "at": "2025-05-01T00:05:00Z"}}`
	j, err := Decode([]byte(ok))
	if err != nil || j.Period != PreviousMonth || j.At.Format(time.RFC3339) != "2025-05-01T00:05:00Z" || j.Companies[0] != "*" {
		t.Fatalf("%+v %v", j, err)
	}
	for ev, want := range map[string]string{
		`{"job": {"period": "yesterday", "reports": ["a"], "formats": ["csv"], "companies": ["1"], "at": "2025-05-01T00:05:00Z"}}`:                    "job.period",
		`{"job": {"period": "previous_day", "reports": ["a"], "formats": ["csv"], "companies": ["1"]}}`:                                               "job.at",
		`{"job": {"period": "previous_day", "reports": ["a"], "formats": ["csv"], "companies": ["1"], "at": "yesterday"}}`:                            "job.at",
		`{"job": {"period": "previous_day", "reports": [], "formats": ["csv"], "companies": ["1"], "at": "2025-05-01T00:05:00Z"}}`:                    "job.reports",
		`{"job": {"period": "previous_day", "reports": ["a"], "formats": ["xls"], "companies": ["1"], "at": "2025-05-01T00:05:00Z"}}`:                 "job.formats",
		`{"job": {"period": "previous_day", "reports": ["a"], "formats": ["csv"], "companies": ["../x"], "at": "2025-05-01T00:05:00Z"}}`:              "job.companies",
		`{"job": {"period": "previous_day", "reports": ["a"], "formats": ["csv"], "companies": ["*", "1"], "at": "2025-05-01T00:05:00Z"}}`:            "job.companies",
		`{"job": {"period": "previous_day", "reports": ["a"], "formats": ["csv"], "companies": ["*"], "worker": true, "at": "2025-05-01T00:05:00Z"}}`: "job.companies",
		`{"job": {"period": "previous_day", "reports": ["a"], "formats": ["csv"], "companies": ["1"], "at": "2025-05-01T00:05:00Z", "to": "/etc"}}`:   "job",
		`{"job": {}, "company_id": "1"}`: "company_id",
	} {
		if _, err := Decode([]byte(ev)); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %s", ev, err, want)
		}
	}
}

// A job marshalled as JSON is its own event: the coordinator sends its
// workers exactly that.
func TestJobJSONIsItsEvent(t *testing.T) {
	j, err := Decode([]byte(`{"job": {"period": "previous_week", "reports": ["top_paths"], "formats": ["csv"], "companies": ["1690"],
		"params": {"limit": 3}, "at": "2025-05-01T09:05:00+09:00", "force": true, "worker": true}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"job": j})
	again, err := Decode(b)
	if err != nil || fmt.Sprintf("%+v", again) != fmt.Sprintf("%+v", j) || !again.At.Equal(j.At) {
		t.Errorf("%s: %+v %v, want %+v", b, again, err, j)
	}
}
