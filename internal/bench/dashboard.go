package bench

import (
	"context"
	"io"
	"time"

	"lambduck/internal/dashboard"
	"lambduck/internal/handler"
)

// dashboardRow is #10: the dashboard of the company-month (every panel, as
// the JSON document and the HTML page) against access_summary on the same
// warm files, in turns.
func dashboardRow(ctx context.Context, o Options, h *handler.Handler) (Row, error) {
	row := Row{ID: 10, What: "dashboard of the company-month (every panel, json and html), warm", Baseline: "access_summary on the same warm files, in turns", Target: "≤ 2×"}
	from, to := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC)
	dash := func() error {
		d, err := h.Dashboard(ctx, "1690", from, to)
		if err != nil {
			return err
		}
		return dashboard.HTML(io.Discard, d, "en")
	}
	summary := func() error { _, err := answer(ctx, h, event); return err }
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
	return row, nil
}
