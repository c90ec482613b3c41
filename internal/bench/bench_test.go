package bench

import (
	"slices"
	"strings"
	"testing"
)

// A run smaller than the targets' size prints its figures as not judged and
// misses nothing; a full run's misses are named; a note never says
// "error: <nil>".
func TestJudgedRows(t *testing.T) {
	r := Result{Rows: []Row{
		{ID: 1, What: "a", Met: true, Judged: true},
		{ID: 4, What: "b", Met: false, Judged: false, Note: "one run"},
		{ID: 10, What: "c", Met: false, Judged: true},
	}}
	table := r.Table()
	if !strings.Contains(table, "| not judged (smaller run) |") || strings.Count(table, "**no**") != 1 || strings.Contains(table, "<nil>") {
		t.Errorf("table:\n%s", table)
	}
	if m := r.Missed(); !slices.Equal(m, []int{10}) {
		t.Errorf("missed %v, want [10]", m)
	}
}
