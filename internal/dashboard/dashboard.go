// Package dashboard is the built-in dashboard of one company and date
// range: every panel's figures added up from the day summaries of the range
// and the previous period of the same length (SummarySQL makes a day's,
// SQL adds them up), as one typed document (Data) whose
// panels use the single reports' column names, and that document drawn as
// one self-contained HTML page (HTML). docs/reports.md describes it.
package dashboard

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"lambduck/internal/layout"
)

// Name is the dashboard's report name in an event.
const Name = "dashboard"

// DefaultLimit is how many rows the top lists keep.
const DefaultLimit = 10

// StaticExtensions are the endings of a static file's path, GoAccess's
// default list (the static-file lines of its goaccess.conf); case is
// ignored, as GoAccess does.
var StaticExtensions = []string{"css", "js", "jpg", "png", "gif", "ico", "jpeg", "pdf", "csv", "mpeg", "mpg", "swf",
	"woff", "woff2", "xls", "xlsx", "doc", "docx", "ppt", "pptx", "txt", "zip", "ogg", "mp3", "mp4", "exe", "iso", "gz",
	"rar", "svg", "bmp", "tar", "tgz", "tiff", "tif", "ttf", "flv", "dmg", "xz", "zst"}

// Formats are the dashboard's: its document, or its page.
var Formats = []string{"json", "html"}

// StaticPattern is the regular expression of StaticExtensions, bound as a
// parameter.
var StaticPattern = `(?i)\.(` + strings.Join(StaticExtensions, "|") + `)$`

// SQL computes every panel over $prev_start … $end_date from the day
// summaries of the range (view day_summaries; SummarySQL makes them, one
// per day): it adds the days' counts up, so it reads a few rows per key and
// day instead of every request (docs/reports.md, "How it is computed").
//
// The previous period only feeds the summary and the daily comparison. The
// user agents (panel "agent") and, when $geo, the client IPs (panel
// "client") of the range come back with their hits and visitors for the
// browser, system, crawler, country and network panels, which Build makes.
const SQL = `
WITH s AS NOT MATERIALIZED (
    SELECT *, date >= $start_date AS cur FROM day_summaries WHERE date BETWEEN $prev_start AND $end_date
), f AS MATERIALIZED (
    -- The time keys (q is set) by day; the paths (q is NULL) over each period.
    SELECT cur, date, q, status, method, protocol, NULL::VARCHAR AS path, hits, bytes AS bandwidth FROM s WHERE kind = 'f'
    UNION ALL
    SELECT cur, NULL, NULL, status, NULL, NULL, name, sum(hits)::BIGINT, sum(bytes)::BIGINT FROM s WHERE kind = 'p' GROUP BY cur, name, status
), qh AS MATERIALIZED (
    -- Every time zone's offset is a whole number of quarter hours, so a
    -- quarter hour lies in one local hour.
    SELECT q, hour(to_timestamp(q * 900))::INTEGER AS hr FROM (SELECT DISTINCT q FROM f WHERE q IS NOT NULL)
), g AS MATERIALIZED (
    SELECT
        CASE WHEN GROUPING(date) = 0 THEN 'daily'
             WHEN GROUPING(dow) = 0 THEN 'heatmap'
             WHEN GROUPING(hr) = 0 THEN 'hourly'
             WHEN GROUPING(status) = 0 THEN 'status'
             WHEN GROUPING(method) = 0 THEN 'method'
             WHEN GROUPING(protocol) = 0 THEN 'protocol'
             ELSE 'summary' END AS panel,
        cur, date, dow, hr, status, method, protocol, NULL::VARCHAR AS path,
        sum(hits)::BIGINT AS hits,
        sum(bandwidth)::BIGINT AS bandwidth,
        (sum(hits) FILTER (WHERE status = 404))::BIGINT AS not_found_hits,
        (sum(hits) FILTER (WHERE status BETWEEN 500 AND 599))::BIGINT AS error_hits
    FROM (SELECT f.*, qh.hr, isodow(f.date) AS dow FROM f JOIN qh USING (q))
    GROUP BY GROUPING SETS ((cur), (cur, date), (cur, dow, hr), (cur, hr), (cur, status), (cur, method),
        (cur, protocol))
    UNION ALL
    SELECT 'path', cur, NULL, NULL, NULL, NULL, NULL, NULL, path, sum(hits)::BIGINT, sum(bandwidth)::BIGINT,
        (sum(hits) FILTER (WHERE status = 404))::BIGINT, (sum(hits) FILTER (WHERE status BETWEEN 500 AND 599))::BIGINT
    FROM f WHERE q IS NULL GROUP BY cur, path
), p AS MATERIALIZED (
    SELECT *,
        row_number() OVER (ORDER BY hits DESC, path) AS by_hits,
        row_number() OVER (ORDER BY not_found_hits DESC, path) AS by_not_found,
        row_number() OVER (PARTITION BY static ORDER BY hits DESC, path) AS by_kind
    FROM (SELECT path, hits, bandwidth, not_found_hits, regexp_matches(path, $static) AS static FROM g WHERE panel = 'path' AND cur)
), pv AS MATERIALIZED (
    -- The visitors of the paths whose visitors are shown (top paths and
    -- top static files).
    SELECT name AS path, sum(visitors)::BIGINT AS n FROM s
    WHERE kind = 'pv' AND cur AND name IN (SELECT path FROM p WHERE by_hits <= $limit OR (static AND by_kind <= $limit))
    GROUP BY name
), visitors AS (
    SELECT 'day' AS kind, cur, date, NULL::INTEGER AS k, sum(visitors) AS n FROM s WHERE kind = 'dv' GROUP BY cur, date
    UNION ALL
    SELECT 'hour', true, NULL, hr, sum(visitors) FROM s WHERE kind = 'hv' AND cur GROUP BY hr
)
SELECT g.panel, g.cur, strftime(g.date, '%Y-%m-%d') AS day, g.dow::BIGINT, g.hr::BIGINT, g.status::BIGINT, g.method, g.protocol, g.path, NULL AS name,
    g.hits,
    CASE g.panel
        WHEN 'summary' THEN (SELECT sum(n) FROM visitors v WHERE v.kind = 'day' AND v.cur = g.cur)
        WHEN 'daily' THEN (SELECT sum(n) FROM visitors v WHERE v.kind = 'day' AND v.cur = g.cur AND v.date = g.date)
        WHEN 'hourly' THEN (SELECT sum(n) FROM visitors v WHERE v.kind = 'hour' AND v.k = g.hr)
    END::BIGINT AS unique_visitors,
    g.bandwidth,
    CASE WHEN g.panel = 'summary' THEN (SELECT count(*) FROM g x WHERE x.panel = 'path' AND x.cur = g.cur) END AS unique_paths,
    g.not_found_hits, g.error_hits
FROM g WHERE g.panel NOT IN ('path') AND (g.cur OR g.panel IN ('summary', 'daily'))
UNION ALL
-- Paths: the top ones, the 404 ones, the top static files.
SELECT CASE WHEN p.static THEN 'static_path' ELSE 'path' END, true, NULL, NULL, NULL, NULL, NULL, NULL, p.path, NULL, p.hits,
    (SELECT n FROM pv WHERE pv.path = p.path),
    p.bandwidth, NULL, p.not_found_hits, NULL
FROM p WHERE p.by_hits <= $limit OR (p.not_found_hits > 0 AND p.by_not_found <= $limit) OR (p.static AND p.by_kind <= $limit)
UNION ALL
-- Static files against pages.
SELECT 'kind', true, NULL, NULL, NULL, NULL, NULL, NULL, NULL, CASE WHEN static THEN 'static' ELSE 'pages' END,
    sum(hits)::BIGINT, NULL, sum(bandwidth)::BIGINT, count(*), NULL, NULL
FROM p GROUP BY static
UNION ALL
SELECT 'site', true, NULL, NULL, NULL, NULL, NULL, NULL, NULL, name, sum(hits)::BIGINT, NULL, NULL, NULL, NULL, NULL
FROM s WHERE kind = 'site' AND cur GROUP BY name
QUALIFY row_number() OVER (ORDER BY sum(hits) DESC, name) <= $limit
UNION ALL
SELECT 'agent', true, NULL, NULL, NULL, NULL, NULL, NULL, NULL, name, sum(hits)::BIGINT, sum(visitors)::BIGINT,
    NULL, NULL, NULL, NULL
FROM s WHERE kind = 'agent' AND cur GROUP BY name
UNION ALL
SELECT 'client', true, NULL, NULL, NULL, NULL, NULL, NULL, NULL, name, sum(hits)::BIGINT, sum(visitors)::BIGINT,
    NULL, NULL, NULL, NULL
FROM s WHERE kind = 'client' AND cur AND $geo GROUP BY name
ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`

// Previous returns the period of the same length just before start…end.
func Previous(start, end time.Time) (time.Time, time.Time) {
	days := len(layout.Days(start, end))
	return start.AddDate(0, 0, -days), start.AddDate(0, 0, -1)
}

// Summary is access_summary's row.
type Summary struct {
	Hits           int64 `json:"hits"`
	UniqueVisitors int64 `json:"unique_visitors"`
	Bandwidth      int64 `json:"bandwidth"`
	UniquePaths    int64 `json:"unique_paths"`
	NotFoundHits   int64 `json:"not_found_hits"`
	ErrorHits      int64 `json:"error_hits"`
}

// Day is one day of the range, with the day at the same place in the
// previous period.
type Day struct {
	Date           string `json:"date"`
	Hits           int64  `json:"hits"`
	UniqueVisitors int64  `json:"unique_visitors"`
	Bandwidth      int64  `json:"bandwidth"`
	PreviousDate   string `json:"previous_date"`
	PreviousHits   int64  `json:"previous_hits"`
	PreviousVisits int64  `json:"previous_unique_visitors"`
}

// Hour is hourly's row.
type Hour struct {
	Hour           int64 `json:"hour"`
	Hits           int64 `json:"hits"`
	UniqueVisitors int64 `json:"unique_visitors"`
}

// Cell is one day of the week (ISO: 1 Monday … 7 Sunday) and hour.
type Cell struct {
	DayOfWeek int64 `json:"day_of_week"`
	Hour      int64 `json:"hour"`
	Hits      int64 `json:"hits"`
}

// Status is status_codes' row.
type Status struct {
	Status int64 `json:"status"`
	Hits   int64 `json:"hits"`
}

// Class is a status class (2xx …).
type Class struct {
	Class string `json:"class"`
	Hits  int64  `json:"hits"`
}

// Named is a key and its hits (methods, protocols, referring sites).
type Named struct {
	Name string `json:"name"`
	Hits int64  `json:"hits"`
}

// Path is top_paths' row.
type Path struct {
	Path           string `json:"path"`
	Hits           int64  `json:"hits"`
	UniqueVisitors int64  `json:"unique_visitors"`
	Bandwidth      int64  `json:"bandwidth"`
}

// NotFound is not_found's row.
type NotFound struct {
	Path string `json:"path"`
	Hits int64  `json:"hits"`
}

// Group is a key and its hits and unique visitors (browsers, operating
// systems, crawlers, countries, networks).
type Group struct {
	Name           string `json:"name"`
	Hits           int64  `json:"hits"`
	UniqueVisitors int64  `json:"unique_visitors"`
}

// Kind is pages or static files (GoAccess's split): their hits, bandwidth
// and distinct paths.
type Kind struct {
	Kind        string `json:"kind"`
	Hits        int64  `json:"hits"`
	Bandwidth   int64  `json:"bandwidth"`
	UniquePaths int64  `json:"unique_paths"`
}

// PanelRows is how many rows of a user's report its panel shows.
const PanelRows = 50

// Panel is a user's report on the dashboard: its first PanelRows rows over
// the dashboard's company and range, with its default parameters.
type Panel struct {
	Report  string   `json:"report"`
	Title   string   `json:"title"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
	More    bool     `json:"more"` // the report has more rows than shown
}

// Data is the whole dashboard.
type Data struct {
	CompanyID     string     `json:"company_id"`
	StartDate     string     `json:"start_date"`
	EndDate       string     `json:"end_date"`
	PreviousStart string     `json:"previous_start_date"`
	PreviousEnd   string     `json:"previous_end_date"`
	Summary       Summary    `json:"summary"`
	Previous      Summary    `json:"previous_summary"`
	Daily         []Day      `json:"daily"`
	Hourly        []Hour     `json:"hourly"`
	Heatmap       []Cell     `json:"heatmap"`
	StatusClasses []Class    `json:"status_classes"`
	StatusCodes   []Status   `json:"status_codes"`
	Methods       []Named    `json:"methods"`
	Protocols     []Named    `json:"protocols"`
	TopPaths      []Path     `json:"top_paths"`
	NotFound      []NotFound `json:"not_found"`
	Referrers     []Named    `json:"referring_sites"`
	Kinds         []Kind     `json:"files"`
	StaticFiles   []Path     `json:"static_files"`
	Browsers      []Group    `json:"browsers"`
	Systems       []Group    `json:"operating_systems"`
	Crawlers      []Group    `json:"crawlers"`
	// Panels are the user's reports marked for the dashboard.
	Panels []Panel `json:"panels"`
	// Countries and Networks (ASNs) are there only with a GeoIP database.
	Countries []Group `json:"countries,omitempty"`
	Networks  []Group `json:"networks,omitempty"`
	// NoData: the data root holds no file of the company in the range (the
	// page says so; the JSON answer has it among its warnings).
	NoData bool `json:"-"`
}

// Row is one row of SQL's result, in its column order.
type Row = []any

// Build makes the document from SQL's rows for company over start…end.
// Client IPs are looked up in geo when it is not nil.
func Build(company string, start, end time.Time, rows []Row, limit int, geo *GeoIP) (*Data, error) {
	ps, pe := Previous(start, end)
	d := &Data{CompanyID: company, StartDate: start.Format(layout.DateFormat), EndDate: end.Format(layout.DateFormat),
		PreviousStart: ps.Format(layout.DateFormat), PreviousEnd: pe.Format(layout.DateFormat),
		Daily: []Day{}, Hourly: []Hour{}, Heatmap: []Cell{}, StatusClasses: []Class{}, StatusCodes: []Status{},
		Methods: []Named{}, Protocols: []Named{}, TopPaths: []Path{}, NotFound: []NotFound{}, Referrers: []Named{},
		Kinds: []Kind{}, StaticFiles: []Path{}, Panels: []Panel{}}
	agents := newAgentCounts()
	var places *placeCounts
	if geo != nil {
		places = newPlaceCounts()
	}
	days := map[string]*Day{}
	for _, day := range layout.Days(start, end) {
		d.Daily = append(d.Daily, Day{Date: day.Format(layout.DateFormat), PreviousDate: day.AddDate(0, 0, -len(layout.Days(start, end))).Format(layout.DateFormat)})
	}
	for i := range d.Daily {
		days[d.Daily[i].Date] = &d.Daily[i]
		days["prev "+d.Daily[i].PreviousDate] = &d.Daily[i]
	}
	classes := map[string]int64{}
	var paths, notFound, statics []Path
	for _, r := range rows {
		if len(r) != 16 {
			return nil, fmt.Errorf("dashboard: a row of %d columns, want 16", len(r))
		}
		panel, _ := r[0].(string)
		cur, _ := r[1].(bool)
		day, _ := r[2].(string)
		str := func(i int) string { s, _ := r[i].(string); return s }
		n := func(i int) int64 { return toInt(r[i]) }
		s := Summary{Hits: n(10), UniqueVisitors: n(11), Bandwidth: n(12), UniquePaths: n(13), NotFoundHits: n(14), ErrorHits: n(15)}
		switch panel {
		case "summary":
			if cur {
				d.Summary = s
			} else {
				d.Previous = s
			}
		case "daily":
			if cur {
				if x := days[day]; x != nil {
					x.Hits, x.UniqueVisitors, x.Bandwidth = s.Hits, s.UniqueVisitors, s.Bandwidth
				}
			} else if x := days["prev "+day]; x != nil {
				x.PreviousHits, x.PreviousVisits = s.Hits, s.UniqueVisitors
			}
		case "hourly":
			d.Hourly = append(d.Hourly, Hour{Hour: n(4), Hits: s.Hits, UniqueVisitors: s.UniqueVisitors})
		case "heatmap":
			d.Heatmap = append(d.Heatmap, Cell{DayOfWeek: n(3), Hour: n(4), Hits: s.Hits})
		case "status":
			d.StatusCodes = append(d.StatusCodes, Status{Status: n(5), Hits: s.Hits})
			classes[fmt.Sprintf("%dxx", n(5)/100)] += s.Hits
		case "method":
			d.Methods = append(d.Methods, Named{Name: str(6), Hits: s.Hits})
		case "protocol":
			d.Protocols = append(d.Protocols, Named{Name: str(7), Hits: s.Hits})
		case "path", "static_path":
			p := Path{Path: str(8), Hits: s.Hits, UniqueVisitors: s.UniqueVisitors, Bandwidth: s.Bandwidth}
			paths = append(paths, p)
			if panel == "static_path" {
				statics = append(statics, p)
			}
			if s.NotFoundHits > 0 {
				notFound = append(notFound, Path{Path: str(8), Hits: s.NotFoundHits})
			}
		case "kind":
			d.Kinds = append(d.Kinds, Kind{Kind: str(9), Hits: s.Hits, Bandwidth: s.Bandwidth, UniquePaths: s.UniquePaths})
		case "site":
			d.Referrers = append(d.Referrers, Named{Name: str(9), Hits: s.Hits})
		case "agent":
			agents.add(str(9), s.Hits, s.UniqueVisitors)
		case "client":
			if places != nil {
				places.add(geo, str(9), s.Hits, s.UniqueVisitors)
			}
		}
	}
	for c, h := range classes {
		d.StatusClasses = append(d.StatusClasses, Class{Class: c, Hits: h})
	}
	sort.Slice(d.StatusClasses, func(i, j int) bool { return d.StatusClasses[i].Class < d.StatusClasses[j].Class })
	byHits := func(a, b Path) bool { return a.Hits > b.Hits || (a.Hits == b.Hits && a.Path < b.Path) }
	sort.Slice(paths, func(i, j int) bool { return byHits(paths[i], paths[j]) })
	sort.Slice(notFound, func(i, j int) bool { return byHits(notFound[i], notFound[j]) })
	d.TopPaths = paths[:min(len(paths), limit)]
	sort.Slice(statics, func(i, j int) bool { return byHits(statics[i], statics[j]) })
	d.StaticFiles = append(d.StaticFiles, statics[:min(len(statics), limit)]...)
	sort.Slice(d.Kinds, func(i, j int) bool { return d.Kinds[i].Kind < d.Kinds[j].Kind })
	d.Browsers, d.Systems, d.Crawlers = agents.browsers.top(limit), agents.systems.top(limit), agents.crawlers.top(limit)
	if places != nil {
		countries, networks := geo.Has()
		if countries {
			d.Countries = places.countries.top(limit)
		}
		if networks {
			d.Networks = places.networks.top(limit)
		}
	}
	for _, p := range notFound[:min(len(notFound), limit)] {
		d.NotFound = append(d.NotFound, NotFound{Path: p.Path, Hits: p.Hits})
	}
	for _, list := range [][]Named{d.Methods, d.Protocols, d.Referrers} {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Hits > list[j].Hits })
	}
	return d, nil
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		return int64(x)
	case uint32:
		return int64(x)
	case float64:
		return int64(x)
	}
	return 0
}
