package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"lambduck/internal/dashboard"
	"lambduck/internal/handler"
	"lambduck/internal/layout"
)

// dashboardRow is #10: the dashboard of the company-month (every panel, as
// the JSON document and the HTML page) against access_summary on the same
// warm files, in turns — with the day summaries stored (any view after the
// first of those days), and, in the note, the first view, which makes and
// stores them (root is the data folder the handler reads).
func dashboardRow(ctx context.Context, o Options, h *handler.Handler, root string) (Row, error) {
	row := Row{ID: 10, What: "dashboard of the company-month (every panel, json and html), warm, day summaries stored", Baseline: "access_summary on the same warm files, in turns", Target: "≤ 2×"}
	from, to := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC)
	dash := func() error {
		d, err := h.Dashboard(ctx, "1690", from, to)
		if err != nil {
			return err
		}
		return dashboard.HTML(io.Discard, d, "en")
	}
	summary := func() error { _, err := answer(ctx, h, event); return err }
	// The first view of the month: no summary stored. The rows after this
	// one read (or upload) the data folder as generated: none is left.
	stored := filepath.Join(root, filepath.FromSlash(layout.SummaryPrefix("1690")))
	defer os.RemoveAll(stored)
	first := func() error {
		if err := os.RemoveAll(stored); err != nil {
			return err
		}
		return dash()
	}
	if err := first(); err != nil {
		return row, err
	}
	firstTimes, firstBase, err := alternate(o.Runs, first, summary)
	if err != nil {
		return row, err
	}
	if err := dash(); err != nil {
		return row, err
	}
	dashTimes, sumTimes, err := alternate(o.Runs, dash, summary)
	if err != nil {
		return row, err
	}
	row.Subject, row.Base = stat(dashTimes), stat(sumTimes)
	row.Ratio = row.Subject.MedianMS / row.Base.MedianMS
	row.Met = row.Ratio <= 2
	f, fb := stat(firstTimes), stat(firstBase)
	row.Note = fmt.Sprintf("the first view (making and storing the 30 day summaries): %.0f ms against %.0f ms, %.2f×",
		f.MedianMS, fb.MedianMS, f.MedianMS/fb.MedianMS)
	return row, nil
}
