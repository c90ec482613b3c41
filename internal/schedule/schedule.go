// Package schedule reads a scheduled job — every company's reports for the
// last day, week or month — and computes its period from the schedule's own
// time, never from the clock, so that a late, retried or replayed run covers
// the same dates and writes the same keys (docs/operations.md, "Scheduled
// reports").
package schedule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"lambduck/internal/layout"
	"lambduck/internal/request"
)

// Periods a job may cover.
const (
	PreviousDay   = "previous_day"
	PreviousWeek  = "previous_week" // Monday to Sunday, ISO 8601
	PreviousMonth = "previous_month"
	MonthToDate   = "month_to_date" // the 1st to the schedule's day, that day included
)

// Periods lists them, for errors and help.
var Periods = []string{PreviousDay, PreviousWeek, PreviousMonth, MonthToDate}

// AllCompanies is the companies value meaning every company with data in
// the period.
const AllCompanies = "*"

// Job is a decoded, checked {"job": …} event.
type Job struct {
	Period    string         `json:"period"`
	Reports   []string       `json:"reports"`
	Formats   []string       `json:"formats"`
	Companies []string       `json:"companies"` // ["*"] or ids
	Params    map[string]any `json:"params,omitempty"`
	At        time.Time      `json:"at"`              // the schedule's time
	Force     bool           `json:"force,omitempty"` // redo outputs that exist
	// Worker marks a coordinator's invocation for one company (Companies
	// holds exactly it); a worker never invokes others.
	Worker bool `json:"worker,omitempty"`
}

// Is reports whether payload is a job event (a top-level "job").
func Is(payload []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil {
		return false
	}
	_, ok := probe["job"]
	return ok
}

func fieldErr(field, format string, args ...any) *request.Error {
	return &request.Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Decode reads {"job": {…}} and checks what it can without the catalog
// (the caller checks report names and parameters against it). The event's
// own fields are checked as strictly as a report request's.
func Decode(payload []byte) (*Job, error) {
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(payload, &outer); err != nil {
		return nil, fieldErr("event", "is not a JSON object")
	}
	for k := range outer {
		if k != "job" {
			return nil, fieldErr(k, "unknown field beside job")
		}
	}
	var raw struct {
		Period    string         `json:"period"`
		Reports   []string       `json:"reports"`
		Formats   []string       `json:"formats"`
		Companies []string       `json:"companies"`
		Params    map[string]any `json:"params"`
		At        string         `json:"at"`
		Force     bool           `json:"force"`
		Worker    bool           `json:"worker"`
	}
	dec := json.NewDecoder(bytes.NewReader(outer["job"]))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fieldErr("job", "%s (a job has period, reports, formats, companies, params, at, force)", strings.TrimPrefix(err.Error(), "json: "))
	}
	j := &Job{Period: raw.Period, Reports: raw.Reports, Formats: raw.Formats, Companies: raw.Companies, Params: raw.Params, Force: raw.Force, Worker: raw.Worker}
	if !slices.Contains(Periods, j.Period) {
		return nil, fieldErr("job.period", "%q is not one of %s", j.Period, strings.Join(Periods, ", "))
	}
	if raw.At == "" {
		return nil, fieldErr("job.at", "is required: the schedule's time (EventBridge Scheduler's <aws.scheduler.scheduled-time>), RFC 3339")
	}
	at, err := time.Parse(time.RFC3339, raw.At)
	if err != nil {
		return nil, fieldErr("job.at", "%q is not an RFC 3339 time such as 2025-05-01T00:05:00Z", raw.At)
	}
	j.At = at
	if len(j.Reports) == 0 {
		return nil, fieldErr("job.reports", "is empty; name at least one report")
	}
	if len(j.Formats) == 0 {
		return nil, fieldErr("job.formats", "is empty; name at least one format (%s)", strings.Join(request.Formats, ", "))
	}
	for _, f := range j.Formats {
		if !slices.Contains(request.Formats, f) {
			return nil, fieldErr("job.formats", "%q is not one of %s", f, strings.Join(request.Formats, ", "))
		}
	}
	switch {
	case len(j.Companies) == 0:
		return nil, fieldErr("job.companies", `is empty; name companies, or ["*"] for every company with data in the period`)
	case slices.Contains(j.Companies, AllCompanies) && len(j.Companies) > 1:
		return nil, fieldErr("job.companies", `"*" stands alone`)
	case j.Worker && (len(j.Companies) != 1 || j.Companies[0] == AllCompanies):
		return nil, fieldErr("job.companies", "a worker's job names exactly one company")
	}
	for _, c := range j.Companies {
		if c != AllCompanies && !layout.ValidCompanyID(c) {
			return nil, fieldErr("job.companies", "%q must match %s", c, layout.CompanyIDRule)
		}
	}
	sort.Strings(j.Companies)
	j.Companies = slices.Compact(j.Companies)
	return j, nil
}

// Period is the days a job covers and the label its outputs go under.
type Period struct {
	Start, End time.Time // days, inclusive
	Label      string    // 2025-04-30, 2025-W18, 2025-04, 2025-05-01_to_2025-05-10
}

// Of computes period p from the schedule's time at, in tz: the days are
// whole local days, the previous ones before at's local day (month_to_date
// ends on it).
func Of(p string, at time.Time, tz *time.Location) (Period, error) {
	local := at.In(tz)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	switch p {
	case PreviousDay:
		d := today.AddDate(0, 0, -1)
		return Period{Start: d, End: d, Label: d.Format(layout.DateFormat)}, nil
	case PreviousWeek:
		// Monday of this week, then the week before it.
		monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
		start := monday.AddDate(0, 0, -7)
		year, week := start.ISOWeek()
		return Period{Start: start, End: monday.AddDate(0, 0, -1), Label: fmt.Sprintf("%d-W%02d", year, week)}, nil
	case PreviousMonth:
		first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
		start := first.AddDate(0, -1, 0)
		return Period{Start: start, End: first.AddDate(0, 0, -1), Label: start.Format("2006-01")}, nil
	case MonthToDate:
		first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
		return Period{Start: first, End: today, Label: first.Format(layout.DateFormat) + "_to_" + today.Format(layout.DateFormat)}, nil
	}
	return Period{}, fieldErr("job.period", "%q is not one of %s", p, strings.Join(Periods, ", "))
}

// Prefix is where a period's outputs go under the output root.
func Prefix(label string) string { return "scheduled/" + label + "/" }

// Key is one output's key: scheduled/<label>/company_id=<id>/<report>.<format>.
func Key(label, company, report, format string) string {
	return Prefix(label) + layout.CompanyPrefix(company) + report + "." + format
}
