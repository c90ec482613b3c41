package report

import (
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed builtin/*.sql
var builtinFS embed.FS

// SourceBuiltin marks a report embedded in the binary.
const SourceBuiltin = "builtin"

// Catalog is the set of reports a deployment answers, read once at start-up.
type Catalog struct {
	reports map[string]*Report
	// Shadowed lists user report files that were skipped because a built-in
	// report has the same name: built-ins always win, so a deployment's
	// documented reports cannot be replaced by a dropped-in file.
	Shadowed []string
}

// Load reads the built-in reports and, when userDir is not empty, the user's
// `<name>.sql` files from it. A user file that fails to parse is an error:
// a deployment with a broken report should not start.
func Load(userDir string, log *slog.Logger) (*Catalog, error) {
	c := &Catalog{reports: map[string]*Report{}}
	if err := c.addFS(builtinFS, "builtin", SourceBuiltin); err != nil {
		return nil, err
	}
	if userDir == "" {
		return c, nil
	}
	entries, err := os.ReadDir(userDir)
	if err != nil {
		return nil, fmt.Errorf("LAMBDUCK_REPORTS: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		file := filepath.Join(userDir, e.Name())
		name := strings.TrimSuffix(e.Name(), ".sql")
		if prev, ok := c.reports[name]; ok && prev.Source == SourceBuiltin {
			c.Shadowed = append(c.Shadowed, file)
			if log != nil {
				log.Warn("user report ignored: a built-in report has the same name and wins",
					"report", name, "file", file)
			}
			continue
		}
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("LAMBDUCK_REPORTS: %w", err)
		}
		r, err := Parse(name, file, string(text))
		if err != nil {
			return nil, fmt.Errorf("LAMBDUCK_REPORTS: %w", err)
		}
		c.reports[name] = r
	}
	return c, nil
}

func (c *Catalog) addFS(fsys fs.FS, dir, source string) error {
	files, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return err
	}
	for _, f := range files {
		text, err := fs.ReadFile(fsys, f)
		if err != nil {
			return err
		}
		r, err := Parse(strings.TrimSuffix(path.Base(f), ".sql"), source, string(text))
		if err != nil {
			return err
		}
		c.reports[r.Name] = r
	}
	return nil
}

// Lookup returns the named report.
func (c *Catalog) Lookup(name string) (*Report, bool) {
	r, ok := c.reports[name]
	return r, ok
}

// NotFoundError is a request for a report the catalog does not have.
type NotFoundError struct {
	Name      string
	Available []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("report: %q is not a report here (available: %s)", e.Name, strings.Join(e.Available, ", "))
}

// Find returns the named report, or a *NotFoundError naming the available ones.
func (c *Catalog) Find(name string) (*Report, error) {
	if r, ok := c.reports[name]; ok {
		return r, nil
	}
	e := &NotFoundError{Name: name}
	for _, r := range c.All() {
		e.Available = append(e.Available, r.Name)
	}
	return nil, e
}

// All returns the reports sorted by name.
func (c *Catalog) All() []*Report {
	out := make([]*Report, 0, len(c.reports))
	for _, r := range c.reports {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ParamError says which report parameter is wrong and why.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return fmt.Sprintf("params.%s: %s", e.Param, e.Msg) }

// Bind checks the caller's values against the declared parameters and
// returns every declared parameter's typed value (defaults filled in).
// Values are JSON-decoded (numbers as json.Number) or strings from a query string.
func (r *Report) Bind(given map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(r.Params))
	declared := make(map[string]bool, len(r.Params))
	for _, p := range r.Params {
		declared[p.Name] = true
		v, ok := given[p.Name]
		if !ok || v == nil { // null means the default, as an absent value does
			if p.Required {
				return nil, &ParamError{p.Name, fmt.Sprintf("required by report %s (%s)", r.Name, p.Type)}
			}
			out[p.Name] = p.Default
			continue
		}
		typed, err := p.Type.FromJSON(v)
		if err == nil {
			err = p.check(typed)
		}
		if err != nil {
			return nil, &ParamError{p.Name, err.Error()}
		}
		out[p.Name] = typed
	}
	var unknown []string
	for k := range given {
		if !declared[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, 0, len(r.Params))
		for _, p := range r.Params {
			names = append(names, p.Name)
		}
		want := "none"
		if len(names) > 0 {
			want = strings.Join(names, ", ")
		}
		return nil, &ParamError{unknown[0], fmt.Sprintf("report %s has no such parameter (it takes: %s)", r.Name, want)}
	}
	return out, nil
}
