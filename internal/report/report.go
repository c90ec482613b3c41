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
	// Columns are the meanings the header gives result columns
	// (`-- column: <name>: <meaning>`), in header order.
	Columns []Column
	// Dashboard, from the header's `-- dashboard: <title>`, puts the
	// report's first rows on the dashboard as a panel with that title.
	Dashboard string
	// Merge, from the header's `-- merge:`, says how answers over parts of
	// the range merge into the answer over the whole range (fan-out); nil:
	// the report is never split.
	Merge *Merge

	// NeedsData is true when the SQL reads the access_logs view or refers to
	// the company or dates: such a report needs a valid company and range.
	NeedsData bool
}

// Column is what a result column means, where its name does not say it all.
type Column struct {
	Name, Meaning string
}

// Param is a declared report parameter.
type Param struct {
	Name       string
	Type       Type
	Default    any  // typed value; nil when Required
	Required   bool // no default in the header
	Min, Max   any  // typed bounds from the header's min and max; nil when absent
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
	var (
		mergeLine int
		mergeText string
	)
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
		case "column":
			col, meaning, ok := strings.Cut(value, ":")
			col, meaning = strings.TrimSpace(col), strings.TrimSpace(meaning)
			if !ok || col == "" || meaning == "" {
				return nil, fmt.Errorf("report %s line %d: want \"-- column: <name>: <meaning>\"", name, i+1)
			}
			r.Columns = append(r.Columns, Column{col, meaning})
		case "dashboard":
			if value == "" {
				return nil, fmt.Errorf("report %s line %d: dashboard needs the panel's title", name, i+1)
			}
			r.Dashboard = value
		case "merge":
			if r.Merge != nil {
				return nil, fmt.Errorf("report %s line %d: merge declared twice", name, i+1)
			}
			mergeLine, mergeText = i+1, value
			r.Merge = &Merge{}
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
			return nil, fmt.Errorf("report %s line %d: unknown header key %q (want name, description, param, column, dashboard or merge)", name, i+1, key)
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
	if r.Merge != nil {
		// After the params: a merge's limit names one of them.
		if r.Merge, err = parseMerge(mergeText, r.Params); err != nil {
			return nil, fmt.Errorf("report %s line %d: %w", name, mergeLine, err)
		}
		if !r.NeedsData {
			return nil, fmt.Errorf("report %s line %d: merge: the report reads no data, so there is nothing to split", name, mergeLine)
		}
	}
	return r, nil
}

// paramSyntax is what a param line looks like, for errors.
const paramSyntax = `"<name> <type> [default <value>] [min <value>] [max <value>]"`

// parseParam reads "<name> <type> [default <value>] [min <value>] [max <value>]".
// A string's default is the rest of the line (it may hold spaces), so for
// strings default comes last and there are no bounds; the bounds of an
// integer, double or date are inclusive.
func parseParam(s string) (Param, error) {
	fields := strings.Fields(s)
	if len(fields) < 2 {
		return Param{}, fmt.Errorf("param %q: want %s", s, paramSyntax)
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
	p.Required = true
	for rest := fields[2:]; len(rest) > 0; rest = rest[2:] {
		if len(rest) < 2 {
			return Param{}, fmt.Errorf("param %q: %q needs a value; want %s", s, rest[0], paramSyntax)
		}
		key, text := rest[0], rest[1]
		if key == "default" && t == String {
			// The default is the rest of the line, so string defaults may hold spaces.
			_, text, _ = strings.Cut(s, " default ")
			text = strings.TrimSpace(text)
			rest = rest[:2]
		}
		v, err := t.FromString(text)
		if err != nil {
			return Param{}, fmt.Errorf("param %s: %s: %w", p.Name, key, err)
		}
		switch {
		case key == "default" && p.Required:
			p.rawDefault, p.Default, p.Required = text, v, false
		case (key == "min" || key == "max") && t.ordered():
			if key == "min" {
				p.Min = v
			} else {
				p.Max = v
			}
		case key == "min" || key == "max":
			return Param{}, fmt.Errorf("param %s: a %s has no %s (only integer, double and date have bounds)", p.Name, t, key)
		default:
			return Param{}, fmt.Errorf("param %q: want %s", s, paramSyntax)
		}
	}
	if p.Min != nil && p.Max != nil && compare(p.Min, p.Max) > 0 {
		return Param{}, fmt.Errorf("param %s: min %v is above max %v", p.Name, p.Min, p.Max)
	}
	if !p.Required {
		if err := p.check(p.Default); err != nil {
			return Param{}, fmt.Errorf("param %s: default: %w", p.Name, err)
		}
	}
	return p, nil
}

// check says why a typed value is outside the parameter's bounds.
func (p Param) check(v any) error {
	if p.Min != nil && compare(v, p.Min) < 0 {
		return fmt.Errorf("%s is below the minimum %s", show(v), show(p.Min))
	}
	if p.Max != nil && compare(v, p.Max) > 0 {
		return fmt.Errorf("%s is above the maximum %s", show(v), show(p.Max))
	}
	return nil
}

// DefaultText is the default as written in the header ("" when required).
func (p Param) DefaultText() string { return p.rawDefault }

// Bounds is the inclusive range a value must lie in, as the header wrote it
// ("1…10000", "≥ 1", "≤ 10000"), or "" without bounds.
func (p Param) Bounds() string {
	switch {
	case p.Min != nil && p.Max != nil:
		return show(p.Min) + "…" + show(p.Max)
	case p.Min != nil:
		return "≥ " + show(p.Min)
	case p.Max != nil:
		return "≤ " + show(p.Max)
	}
	return ""
}
