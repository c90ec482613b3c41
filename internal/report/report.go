package report

import (
	"fmt"
	"regexp"
	"strings"
)

// Names that every data report gets bound, whatever its header says.
const (
	ParamCompanyID = "company_id"
	ParamStartDate = "start_date"
	ParamEndDate   = "end_date"
)

// DataView is the view the platform defines over exactly the request's pruned files.
const DataView = "access_logs"

var (
	nameRE  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	paramRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)
)

// ValidName reports whether s can name a report (and so a file and an S3 key segment).
func ValidName(s string) bool { return nameRE.MatchString(s) }

// Report is one parsed report file.
type Report struct {
	Name        string
	Description string
	Params      []Param // declared in the header, in header order
	SQL         string  // the statement, header included (comments are harmless to DuckDB)
	Source      string  // "builtin" or the file's path
	// Dashboard, from the header's `-- dashboard: <title>`, puts the
	// report's first rows on the dashboard as a panel with that title.
	Dashboard string

	// NeedsData is true when the SQL reads the access_logs view or refers to
	// the company or dates: such a report needs a valid company and range.
	NeedsData bool
}

// Param is a declared report parameter.
type Param struct {
	Name       string
	Type       Type
	Default    any  // typed value; nil when Required
	Required   bool // no default in the header
	rawDefault string
}

// Parse reads a report file. name is what the catalog calls it (the file's
// base name); the header's `-- name:` must agree when present.
func Parse(name, source, text string) (*Report, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("report file %q: name must match %s", name, nameRE)
	}
	r := &Report{Name: name, Source: source, SQL: strings.TrimSpace(text)}
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "--") {
			break // the header ends where the SQL starts
		}
		key, value, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "--")), ":")
		if !ok || strings.ContainsAny(key, " \t") {
			continue // a plain comment
		}
		value = strings.TrimSpace(value)
		switch key {
		case "name":
			if value != name {
				return nil, fmt.Errorf("report %s line %d: header name %q differs from the file name", name, i+1, value)
			}
		case "description":
			r.Description = value
		case "dashboard":
			if value == "" {
				return nil, fmt.Errorf("report %s line %d: dashboard needs the panel's title", name, i+1)
			}
			r.Dashboard = value
		case "param":
			p, err := parseParam(value)
			if err != nil {
				return nil, fmt.Errorf("report %s line %d: %w", name, i+1, err)
			}
			if seen[p.Name] {
				return nil, fmt.Errorf("report %s line %d: parameter %q declared twice", name, i+1, p.Name)
			}
			seen[p.Name] = true
			r.Params = append(r.Params, p)
		default:
			return nil, fmt.Errorf("report %s line %d: unknown header key %q (want name, description, param or dashboard)", name, i+1, key)
		}
	}

	scan, err := scanSQL(r.SQL)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", name, err)
	}
	for ref := range scan.params {
		switch ref {
		case ParamCompanyID, ParamStartDate, ParamEndDate:
			r.NeedsData = true
		default:
			if !seen[ref] {
				return nil, fmt.Errorf("report %s: SQL refers to $%s, which the header does not declare", name, ref)
			}
		}
	}
	if scan.readsDataView {
		r.NeedsData = true
	}
	return r, nil
}

// parseParam reads "<name> <type> [default <value>]".
func parseParam(s string) (Param, error) {
	fields := strings.Fields(s)
	if len(fields) < 2 {
		return Param{}, fmt.Errorf("param %q: want \"<name> <type> [default <value>]\"", s)
	}
	p := Param{Name: fields[0]}
	if !paramRE.MatchString(p.Name) {
		return Param{}, fmt.Errorf("param %q: name must match %s", p.Name, paramRE)
	}
	switch p.Name {
	case ParamCompanyID, ParamStartDate, ParamEndDate:
		return Param{}, fmt.Errorf("param %q: that name is always bound by the platform and cannot be declared", p.Name)
	}
	t, err := parseType(fields[1])
	if err != nil {
		return Param{}, fmt.Errorf("param %s: %w", p.Name, err)
	}
	p.Type = t
	switch {
	case len(fields) == 2:
		p.Required = true
	case fields[2] == "default" && len(fields) >= 4:
		// The default is the rest of the line, so string defaults may hold spaces.
		_, rest, _ := strings.Cut(s, " default ")
		p.rawDefault = strings.TrimSpace(rest)
		v, err := t.FromString(p.rawDefault)
		if err != nil {
			return Param{}, fmt.Errorf("param %s: default: %w", p.Name, err)
		}
		p.Default = v
	default:
		return Param{}, fmt.Errorf("param %q: want \"<name> <type> [default <value>]\"", s)
	}
	return p, nil
}

// DefaultText is the default as written in the header ("" when required).
func (p Param) DefaultText() string { return p.rawDefault }
