package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"lambduck/internal/bucket"
	"lambduck/internal/dashboard"
	"lambduck/internal/engine"
	"lambduck/internal/layout"
	"lambduck/internal/report"
	"lambduck/internal/request"
	"lambduck/internal/storage"
	"lambduck/internal/store"
)

// Dashboard computes the dashboard of company over start…end (and the
// previous period of the same length) from the day summaries of both
// periods, making the missing ones first (daySummaries).
func (h *Handler) Dashboard(ctx context.Context, company string, start, end time.Time) (*dashboard.Data, error) {
	d, _, _, err := h.dashboard(ctx, company, start, end)
	return d, err
}

func (h *Handler) dashboard(ctx context.Context, company string, start, end time.Time) (_ *dashboard.Data, st Stats, warnings []string, err error) {
	if !layout.ValidCompanyID(company) {
		return nil, st, nil, &request.Error{Field: "company_id", Msg: fmt.Sprintf("%q must match %s", company, layout.CompanyIDRule)}
	}
	if end.Before(start) {
		return nil, st, nil, &request.Error{Field: "end_date", Msg: fmt.Sprintf("%s is before start_date %s", end.Format(layout.DateFormat), start.Format(layout.DateFormat))}
	}
	ctx, cancel := withQueryDeadline(ctx)
	defer cancel()
	prev, _ := dashboard.Previous(start, end)
	days, lists, err := h.store.Days(ctx, company, prev, end)
	if err != nil {
		return nil, st, nil, err
	}
	id := requestID(withRequestID(ctx))
	lo, hi := start.Format(layout.DateFormat), end.Format(layout.DateFormat)
	var inRange []store.DayFiles
	for _, d := range days {
		if d.Date >= lo && d.Date <= hi {
			inRange = append(inRange, d)
		}
	}
	if len(inRange) == 0 {
		warnings = append(warnings, h.noData(id, company, start, end))
	}
	geo, err := h.geo.load(ctx, h.cfg.GeoIP, h.s3)
	if err != nil {
		return nil, st, nil, err
	}
	work, err := os.MkdirTemp(h.cfg.Scratch, "summaries-")
	if err != nil {
		return nil, st, nil, err
	}
	defer os.RemoveAll(work)
	sums, err := h.daySummaries(ctx, id, company, days, geo != nil, work)
	if err != nil {
		return nil, st, nil, err
	}
	st = sums.stats(h.store.Root().Remote(), lists)
	view, err := summaryView(sums.paths)
	if err != nil {
		return nil, st, nil, err
	}
	sess, err := h.engine.Open(ctx, engine.Job{ID: id, Tenant: company, SQL: dashboard.SQL, Files: sums.paths,
		Views: []string{view},
		Args: map[string]any{report.ParamStartDate: start, report.ParamEndDate: end, "prev_start": prev, "limit": dashboard.DefaultLimit,
			"static": dashboard.StaticPattern, "geo": geo != nil}})
	if err != nil {
		return nil, st, nil, err
	}
	defer sess.Close()
	rows, err := sess.Query(ctx)
	if err != nil {
		return nil, st, nil, err
	}
	defer rows.Close()
	var all []dashboard.Row
	for rows.Next() {
		all = append(all, rows.Row())
	}
	if err := rows.Err(); err != nil {
		return nil, st, nil, err
	}
	d, err := dashboard.Build(company, start, end, all, dashboard.DefaultLimit, geo)
	if err != nil {
		return nil, st, nil, err
	}
	d.NoData = len(inRange) == 0
	d.Panels, err = h.userPanels(ctx, id, company, start, end, inRange)
	return d, st, warnings, err
}

// userPanels runs the reports whose header asks for a dashboard panel over
// the same company, range and files, each with its default parameters, and
// keeps their first rows.
func (h *Handler) userPanels(ctx context.Context, id, company string, start, end time.Time, days []store.DayFiles) ([]dashboard.Panel, error) {
	panels := []dashboard.Panel{}
	var files []string // the range's data files, staged on the first panel's need
	for _, rep := range h.catalog.All() {
		if rep.Dashboard == "" {
			continue
		}
		if files == nil && rep.NeedsData {
			sel, err := h.store.Fetch(ctx, days, 0)
			if err != nil {
				return nil, err
			}
			files = sel.Paths()
		}
		args, err := rep.Bind(nil)
		if err != nil {
			return nil, fmt.Errorf("dashboard panel %s: %w", rep.Name, err)
		}
		args[report.ParamCompanyID], args[report.ParamStartDate], args[report.ParamEndDate] = company, start, end
		p, err := h.panel(ctx, engine.Job{ID: id, Tenant: company, SQL: rep.SQL, Args: args, Files: files, DefineView: rep.NeedsData})
		if err != nil {
			return nil, fmt.Errorf("dashboard panel %s: %w", rep.Name, err)
		}
		p.Report, p.Title = rep.Name, rep.Dashboard
		panels = append(panels, p)
	}
	return panels, nil
}

func (h *Handler) panel(ctx context.Context, job engine.Job) (dashboard.Panel, error) {
	p := dashboard.Panel{Rows: [][]any{}}
	sess, err := h.engine.Open(ctx, job)
	if err != nil {
		return p, err
	}
	defer sess.Close()
	rows, err := sess.Query(ctx)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	p.Columns = rows.Columns()
	for rows.Next() {
		if len(p.Rows) == dashboard.PanelRows {
			p.More = true
			break
		}
		p.Rows = append(p.Rows, rows.Row())
	}
	return p, rows.Err()
}

// answerDashboard answers "report": "dashboard": the document inline
// (format json), or the page (format html) — the answer itself to an HTTP
// request, else written to LAMBDUCK_OUTPUT with its location and a
// presigned URL. params.lang (en, ja) sets the page's
// language.
func (h *Handler) answerDashboard(ctx context.Context, id string, start time.Time, req *request.Request) (*Result, error) {
	if err := req.RequireRange(h.cfg.MaxDays); err != nil {
		return nil, err
	}
	lang := "en"
	for k, v := range req.Params {
		s, ok := v.(string)
		if k != "lang" || !ok || !slices.Contains(dashboard.Langs, s) {
			return nil, &report.ParamError{Param: k, Msg: fmt.Sprintf("the dashboard takes one parameter, lang: %s", strings.Join(dashboard.Langs, " or "))}
		}
		lang = s
	}
	if !slices.Contains(dashboard.Formats, req.Format) {
		return nil, &request.Error{Field: "format", Msg: "the dashboard answers " + strings.Join(dashboard.Formats, " or ")}
	}
	// Asked by a browser (Function URL, API Gateway), the page is the
	// answer; otherwise it is written to LAMBDUCK_OUTPUT.
	inPage := req.Format == "html" && req.Trigger == request.TriggerHTTP
	if req.Format == "html" && !inPage && h.output == nil {
		return nil, &request.Error{Field: "format", Msg: "html pages are written to LAMBDUCK_OUTPUT, which this deployment does not set"}
	}
	d, st, warnings, err := h.dashboard(ctx, req.CompanyID, req.StartDate, req.EndDate)
	if err != nil {
		return nil, err
	}
	res := &Result{RequestID: id, Report: dashboard.Name, CompanyID: req.CompanyID, Format: req.Format,
		StartDate: d.StartDate, EndDate: d.EndDate, Params: map[string]any{"lang": lang}, Stats: st, Warnings: warnings}
	if req.Format == "json" && req.OutputKey != "" { // a scheduled job's: the document, written
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		if err := h.output.PutBytes(ctx, req.OutputKey, b, h.cfg.Scratch); err != nil {
			return nil, err
		}
		res.Location = h.output.Location(req.OutputKey)
		res.Stats.DurationMS = ms(h.now().Sub(start))
		return res, nil
	}
	if req.Format == "json" {
		res.Dashboard = d
		res.Stats.DurationMS = ms(h.now().Sub(start))
		return res, nil
	}
	if inPage {
		var page bytes.Buffer
		if err := dashboard.HTML(&page, d, lang); err != nil {
			return nil, err
		}
		res.Page = page.Bytes()
		res.Stats.DurationMS = ms(h.now().Sub(start))
		return res, nil
	}
	file, _, err := dashboard.WriteTemp(d, lang, h.cfg.Scratch)
	if err != nil {
		return nil, err
	}
	defer os.Remove(file) // moved away by Put unless it failed
	if err := h.putResult(ctx, file, "html", req, res); err != nil {
		return nil, err
	}
	res.Stats.DurationMS = ms(h.now().Sub(start))
	return res, nil
}

// geoMaxBytes bounds one GeoIP database (GeoLite2-City is about 60 MB).
const geoMaxBytes = 1 << 30

// geoCache holds the GeoIP databases once read: once per sandbox, on the
// first dashboard. A failed read is not kept, so the next request tries
// again.
type geoCache struct {
	mu  sync.Mutex
	geo *dashboard.GeoIP
}

// load returns the databases of sources (nil when there are none).
func (c *geoCache) load(ctx context.Context, sources []string, s3 *bucket.Provider) (*dashboard.GeoIP, error) {
	if len(sources) == 0 {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.geo != nil {
		return c.geo, nil
	}
	files := map[string][]byte{}
	for _, src := range sources {
		root, key, err := storage.ParseFile(src, s3)
		if err == nil {
			files[src], err = root.Read(ctx, storage.Object{Key: key}, geoMaxBytes)
		}
		if err != nil {
			return nil, fmt.Errorf("LAMBDUCK_GEOIP_DB: %w", err)
		}
	}
	geo, err := dashboard.OpenGeoIP(files)
	if err != nil {
		return nil, fmt.Errorf("LAMBDUCK_GEOIP_DB: %w", err)
	}
	c.geo = geo
	return geo, nil
}
