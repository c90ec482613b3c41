package handler

import (
	"context"
	"fmt"
	"time"

	"lambduck/internal/dashboard"
	"lambduck/internal/engine"
	"lambduck/internal/layout"
	"lambduck/internal/report"
)

// Dashboard computes the dashboard of company over start…end (and the
// previous period of the same length) in one locked instance, from one
// scan of the files of both periods.
func (h *Handler) Dashboard(ctx context.Context, company string, start, end time.Time) (*dashboard.Data, error) {
	if !layout.ValidCompanyID(company) {
		return nil, fmt.Errorf("dashboard: company id %q must match %s", company, layout.CompanyIDRule)
	}
	if end.Before(start) {
		return nil, fmt.Errorf("dashboard: end %s is before start %s", end.Format(layout.DateFormat), start.Format(layout.DateFormat))
	}
	ctx, cancel := withQueryDeadline(ctx)
	defer cancel()
	prev, _ := dashboard.Previous(start, end)
	sel, err := h.store.Select(ctx, company, prev, end)
	if err != nil {
		return nil, err
	}
	id := requestID(withRequestID(ctx))
	sess, err := h.engine.Open(ctx, engine.Job{ID: id, Tenant: company, SQL: dashboard.SQL, Files: sel.Paths(), DefineView: true,
		Args: map[string]any{report.ParamStartDate: start, report.ParamEndDate: end, "prev_start": prev, "limit": dashboard.DefaultLimit}})
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	rows, err := sess.Query(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []dashboard.Row
	for rows.Next() {
		all = append(all, rows.Row())
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return dashboard.Build(company, start, end, all, dashboard.DefaultLimit)
}
