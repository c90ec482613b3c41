package store

import (
	"fmt"
	"path/filepath"
	"regexp"
	"time"
)

var companyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidCompanyID reports whether id may name a tenant. The rule keeps an id
// a single, literal path segment: no separators, dots, escapes or Unicode.
func ValidCompanyID(id string) bool { return companyRE.MatchString(id) }

// CompanyIDRule describes ValidCompanyID for error messages.
const CompanyIDRule = `^[A-Za-z0-9_-]{1,64}$`

// PartitionDir is the relative folder of one company-day.
func PartitionDir(company string, day time.Time) string {
	return filepath.Join("company_id="+company, "date="+day.Format("2006-01-02"))
}

// Days lists the calendar days from start to end inclusive.
func Days(start, end time.Time) []time.Time {
	var out []time.Time
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// File is one selected Parquet file.
type File struct {
	Path string // local path DuckDB opens
	Size int64
}

// Selection is what a request reads.
type Selection struct {
	Files []File
	Bytes int64
	// For an S3 data root: bytes downloaded for this request (0 when every
	// object was in the warm cache) and LIST requests made.
	Remote       bool
	Downloaded   int64
	ListRequests int
}

// Paths returns the files' paths.
func (s Selection) Paths() []string {
	out := make([]string, len(s.Files))
	for i, f := range s.Files {
		out[i] = f.Path
	}
	return out
}

func checkCompany(company string) error {
	if !ValidCompanyID(company) {
		return fmt.Errorf("store: invalid company id %q", company)
	}
	return nil
}
