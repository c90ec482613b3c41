// Package layout is the one place that knows how lambduck's data is laid
// out and what it holds: the Hive partition keys
// (company_id=<id>/date=<YYYY-MM-DD>/<name>.parquet) relative to a data
// root, the tenant id rule, the date form, and the access-log columns with
// their DuckDB types. Ingest and gen write these keys, the store prunes by
// them, and the engine's view reads them; none of them spells the layout
// itself.
package layout

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
)

// DateFormat is the one date form lambduck reads and writes: YYYY-MM-DD.
const DateFormat = time.DateOnly

// ParseDate parses a YYYY-MM-DD calendar date strictly (2025-02-30 is an error).
func ParseDate(s string) (time.Time, error) {
	if len(s) != len(DateFormat) {
		return time.Time{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	t, err := time.Parse(DateFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a valid YYYY-MM-DD date", s)
	}
	return t, nil
}

// CompanyIDRule is the rule a tenant id must match, for error messages.
const CompanyIDRule = `^[A-Za-z0-9_-]{1,64}$`

var companyRE = regexp.MustCompile(CompanyIDRule)

// ValidCompanyID reports whether id may name a tenant. The rule keeps an id
// a single, literal path segment: no separators, dots, escapes or Unicode.
func ValidCompanyID(id string) bool { return companyRE.MatchString(id) }

// CompanyPrefix is the key prefix of everything one company holds.
func CompanyPrefix(company string) string { return "company_id=" + company + "/" }

// DayPrefix is the key prefix of one company-day's files.
func DayPrefix(company string, day time.Time) string {
	return CompanyPrefix(company) + DayDir(day)
}

// DayDir is the date segment of a key, with its trailing slash.
func DayDir(day time.Time) string { return "date=" + day.Format(DateFormat) + "/" }

// Key is the key of one data file.
func Key(company string, day time.Time, name string) string { return DayPrefix(company, day) + name }

// Days lists the calendar days from start to end inclusive.
func Days(start, end time.Time) []time.Time {
	var out []time.Time
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// DataFile is one parsed data key.
type DataFile struct {
	Company string
	Day     string // YYYY-MM-DD
	Name    string
}

// ParseKey reads company_id=<id>/date=<day>/<name>.parquet. It refuses
// anything else: other folders, nested files, and the names writers give
// their unfinished files (starting with '.' or '_').
func ParseKey(key string) (DataFile, bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 {
		return DataFile{}, false
	}
	company, ok1 := strings.CutPrefix(parts[0], "company_id=")
	day, ok2 := strings.CutPrefix(parts[1], "date=")
	name := parts[2]
	if !ok1 || !ok2 || !ValidCompanyID(company) || !validDay(day) || !IsDataFileName(name) {
		return DataFile{}, false
	}
	return DataFile{Company: company, Day: day, Name: name}, true
}

// IsDataFileName reports whether name, inside a partition, is a finished
// Parquet file: not a writer's temporary ('.x', '_x') and not a path.
func IsDataFileName(name string) bool {
	return strings.HasSuffix(name, ".parquet") && !strings.HasPrefix(name, ".") &&
		!strings.HasPrefix(name, "_") && !strings.Contains(name, "/") && path.Clean(name) == name
}

func validDay(s string) bool {
	_, err := ParseDate(s)
	return err == nil
}

var companySegment = regexp.MustCompile(`(?:^|/)company_id=([^/]+)/`)

// CompanyFromPath finds a company_id=<id> segment in a file path or object
// key (raw logs put under such a folder name their company). It returns ""
// when there is none; the id is not validated here.
func CompanyFromPath(p string) string {
	m := companySegment.FindStringSubmatch(strings.ReplaceAll(p, "\\", "/"))
	if m == nil {
		return ""
	}
	return m[1]
}
