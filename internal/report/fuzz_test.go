package report

import (
	"io/fs"
	"strings"
	"testing"
)

// The header parser and SQL scanner never panic; what they accept is one
// SELECT/WITH statement whose $names are all declared or built in.
func FuzzParse(f *testing.F) {
	files, err := fs.Glob(builtinFS, "builtin/*.sql")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := fs.ReadFile(builtinFS, p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, s := range []string{
		"-- param: x string default a b c\nSELECT $x",
		"SELECT '$x' AS a, \"$y\" AS b, $$ $z $$ AS c /* $w */",
		"SELECT 1; DROP TABLE t",
		"-- param: d date default 2025-02-30\nSELECT $d",
		"WITH t AS (SELECT $company_id AS c) SELECT * FROM t, access_logs",
		"SELECT $tag$ unterminated",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := Parse("fuzzed", "fuzz", text)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		scan, err := scanSQL(r.SQL)
		if err != nil {
			t.Fatalf("accepted but does not rescan: %v", err)
		}
		declared := map[string]bool{ParamCompanyID: true, ParamStartDate: true, ParamEndDate: true}
		for _, p := range r.Params {
			declared[p.Name] = true
			if !p.Required && p.Default == nil {
				t.Fatalf("param %s has no default and is not required", p.Name)
			}
		}
		for ref := range scan.params {
			if !declared[ref] {
				t.Fatalf("undeclared $%s accepted", ref)
			}
		}
		if _, err := r.Bind(map[string]any{}); err != nil && !strings.HasPrefix(err.Error(), "params.") {
			t.Fatalf("bind error without a field: %v", err)
		}
	})
}
