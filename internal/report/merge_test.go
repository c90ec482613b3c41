package report

import (
	"strings"
	"testing"
)

func TestMergeDeclarations(t *testing.T) {
	head := "-- param: limit integer default 5\n-- param: name string default x\n"
	for decl, want := range map[string]string{
		"sum by path; order by hits desc, path; limit $limit": "",
		"sum; distinct unique_paths of path":                  "",
		"sum by date":                                         "",
		"":                                                    "want",
		"order by hits":                                       "want",
		"sum by path; sum":                                    "sum given twice",
		"sum by path; limit $name":                            "not an integer parameter",
		"sum by path; limit $nope":                            "not an integer parameter",
		"sum by Path":                                         "not a column name",
		"sum by path; order by hits sideways":                 "want <column> [asc|desc]",
		"sum by path; distinct n of path":                     "one-row reports",
		"sum; order by hits":                                  "no order by",
		"sum by path; drop table x":                           "is not a clause",
		`sum by "x"`:                                          "not a column name",
		"sum by a; order by ,":                                "empty item",
		"sum by a; order by a,":                               "empty item",
	} {
		_, err := Parse("r", "test", head+"-- merge: "+decl+"\nSELECT path, count(*) AS hits FROM access_logs GROUP BY path LIMIT $limit")
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", decl, err, want)
		}
	}
	if _, err := Parse("r", "test", "-- merge: sum\nSELECT 1 AS n"); err == nil || !strings.Contains(err.Error(), "reads no data") {
		t.Errorf("a merge on a report that reads nothing: %v", err)
	}
	// Every built-in's declaration reads back as written.
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.All() {
		if r.Merge == nil {
			continue
		}
		again, err := parseMerge(r.Merge.String(), r.Params)
		if err != nil || again.String() != r.Merge.String() {
			t.Errorf("%s: %q reads back as %v %v", r.Name, r.Merge.String(), again, err)
		}
	}
}
