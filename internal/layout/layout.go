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
	"sort"
	"strconv"
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

// Companies returns the company ids among the names of the root's top
// folders (company_id=<id>), in order.
func Companies(folders []string) []string {
	var out []string
	for _, f := range folders {
		if id, ok := strings.CutPrefix(f, "company_id="); ok && ValidCompanyID(id) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

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

// DateRange is how to list the date=<day>/ folders under prefix from first
// to last (YYYY-MM-DD) in one listing: the key to start after ("date=first"
// sorts just before every key of that day) and where to stop.
func DateRange(prefix, first, last string) (startAfter string, stop func(key string) bool) {
	return prefix + "date=" + first, func(key string) bool {
		return strings.TrimPrefix(key, prefix) > "date="+last+"/\xff"
	}
}

// SummaryPrefix is the key prefix of a company's dashboard day summaries,
// outside the partitions (no reader, compaction or Athena table takes them
// for data): _summaries/date=<day>/<fingerprint>.parquet.
func SummaryPrefix(company string) string { return CompanyPrefix(company) + "_summaries/" }

// SummaryKey is the key of one day's summary made under fingerprint fp.
func SummaryKey(company string, day, fp string) string {
	return SummaryPrefix(company) + "date=" + day + "/" + fp + ".parquet"
}

// SummaryDay returns the day of a key under SummaryPrefix(company), or false.
func SummaryDay(company, key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, SummaryPrefix(company)+"date=")
	if !ok {
		return "", false
	}
	day, name, ok := strings.Cut(rest, "/")
	return day, ok && validDay(day) && strings.HasSuffix(name, ".parquet") && !strings.Contains(name, "/")
}

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
	f, ok := parseDayKey(key)
	return f, ok && IsDataFileName(f.Name)
}

// parseDayKey reads company_id=<id>/date=<day>/<name>, any name.
func parseDayKey(key string) (DataFile, bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 {
		return DataFile{}, false
	}
	company, ok1 := strings.CutPrefix(parts[0], "company_id=")
	day, ok2 := strings.CutPrefix(parts[1], "date=")
	if !ok1 || !ok2 || !ValidCompanyID(company) || !validDay(day) {
		return DataFile{}, false
	}
	return DataFile{Company: company, Day: day, Name: parts[2]}, true
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

// A compaction of a company-day is two files in the day's folder: the
// Parquet file that holds the rows (_compacted-<id>.parquet) and its
// manifest (_compacted-<id>.json), which names the files it replaces. Both
// names start with '_', so ParseKey never takes them for data; package
// compact decides what a reader reads (docs/decisions.md).
const compactedPrefix = "_compacted-"

// CompactionIDFormat is the time part of a compaction id:
// <UTC time>-<8 hex digits>, which sorts by time and says its age.
const CompactionIDFormat = "20060102T150405.000000000Z"

var compactionID = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}\.[0-9]{9}Z-[0-9a-f]{8}$`)

// CompactedName is the name of part k of a compaction's Parquet files in
// its day: _compacted-<id>.parquet for the first, _compacted-<id>-<k>.parquet
// after it (a very large day is written as several files).
func CompactedName(id string, k int) string {
	if k == 0 {
		return compactedPrefix + id + ".parquet"
	}
	return fmt.Sprintf("%s%s-%d.parquet", compactedPrefix, id, k)
}

// ManifestName is the name of a compaction's manifest in its day.
func ManifestName(id string) string { return compactedPrefix + id + ".json" }

// CompactionFile is one parsed key of a compaction's file.
type CompactionFile struct {
	DataFile        // the day; Name is the file's name
	ID       string // the compaction's id
	Manifest bool   // the manifest, else a Parquet file
	Part     int    // which of the Parquet files
}

// ParseCompactionKey reads company_id=<id>/date=<day>/_compacted-<id>[-<k>].parquet and
// _compacted-<id>.json.
func ParseCompactionKey(key string) (CompactionFile, bool) {
	d, ok1 := parseDayKey(key)
	rest, ok2 := strings.CutPrefix(d.Name, compactedPrefix)
	if !ok1 || !ok2 {
		return CompactionFile{}, false
	}
	f := CompactionFile{DataFile: d}
	switch {
	case strings.HasSuffix(rest, ".parquet"):
		f.ID = strings.TrimSuffix(rest, ".parquet")
		if i := strings.LastIndexByte(f.ID, '-'); !compactionID.MatchString(f.ID) && i > 0 {
			k, err := strconv.Atoi(f.ID[i+1:])
			if err != nil || k < 1 || f.ID[i+1:] != strconv.Itoa(k) {
				return CompactionFile{}, false
			}
			f.ID, f.Part = f.ID[:i], k
		}
	case strings.HasSuffix(rest, ".json"):
		f.ID, f.Manifest = strings.TrimSuffix(rest, ".json"), true
	}
	return f, compactionID.MatchString(f.ID)
}

// CompactionTime is when the compaction id was made.
func CompactionTime(id string) (time.Time, bool) {
	stamp, _, ok := strings.Cut(id, "-")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(CompactionIDFormat, stamp)
	return t, err == nil
}
