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

// #4's label is the lines its log holds (whole days), and #6 follows the
// size flags.
func TestSizes(t *testing.T) {
	for lines, days := range map[int]int{5000000: 50, 200000: 2, 120000: 1, 170000: 2, 1: 1} {
		if got := rawDays(lines); got != days {
			t.Errorf("rawDays(%d) = %d, want %d", lines, got, days)
		}
	}
	if bigRowsPerDay(Options{RowsPerDay: DefaultRowsPerDay}) != 1000000 || bigRowsPerDay(Options{RowsPerDay: 2000}) != 20000 {
		t.Error("#6 does not follow --rows-per-day")
	}
}
