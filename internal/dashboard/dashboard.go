// Package dashboard is the built-in dashboard of one company and date
// range: every panel's figures from one scan of the range and the previous
// period of the same length (SQL), as one typed document (Data) whose
// panels use the single reports' column names, and that document drawn as
// one self-contained HTML page (HTML). docs/reports.md describes it.
package dashboard

import (
	"fmt"
	"sort"
	"time"

	"lambduck/internal/layout"
)

// Name is the dashboard's report name in an event.
const Name = "dashboard"

// DefaultLimit is how many rows the top lists keep.
const DefaultLimit = 10

// SQL computes every panel from access_logs over $prev_start … $end_date:
// counts and sums in one aggregation with grouping sets, unique visitors
// from the distinct (day, visitor) pairs — per day, per hour of a day, per
// kept path of a day — which add up exactly over days; the previous period
// only feeds the summary and the daily comparison. The definitions are the single reports': a
// unique visitor is a distinct (client_ip, date, user_agent) among non-4xx
// requests; top lists order by hits, then by key.
const SQL = `
WITH t AS NOT MATERIALIZED (
    SELECT
        date >= $start_date AS cur,
        -- The quarter hour since the epoch: an integer (the local hour is
        -- worked out once per quarter hour below, not per request).
        epoch_us(ts) // 900000000 AS q,
        date, status, method, protocol, path, bytes, client_ip, user_agent,
        status NOT BETWEEN 400 AND 499 AS counted,
        referrer
    FROM access_logs
    WHERE date BETWEEN $prev_start AND $end_date
), f AS (
    -- First the finest counts of the small keys (days × hours × statuses ×
    -- methods × protocols × paths: far fewer rows than requests), …
    SELECT cur, date, q, status, method, protocol, path,
        count(*) AS hits, coalesce(sum(bytes), 0)::BIGINT AS bandwidth
    FROM t GROUP BY ALL
), qh AS (
    -- Every time zone's offset is a whole number of quarter hours, so a
    -- quarter hour lies in one local hour.
    SELECT q, hour(to_timestamp(q * 900)) AS hr FROM (SELECT DISTINCT q FROM f)
), fh AS (
    SELECT f.*, qh.hr, isodow(f.date) AS dow FROM f JOIN qh USING (q)
), g AS (
    -- … then every panel's counts from them, with grouping sets.
    SELECT
        CASE WHEN GROUPING(date) = 0 THEN 'daily'
             WHEN GROUPING(dow) = 0 THEN 'heatmap'
             WHEN GROUPING(hr) = 0 THEN 'hourly'
             WHEN GROUPING(status) = 0 THEN 'status'
             WHEN GROUPING(method) = 0 THEN 'method'
             WHEN GROUPING(protocol) = 0 THEN 'protocol'
             WHEN GROUPING(path) = 0 THEN 'path'
             ELSE 'summary' END AS panel,
        cur, date, dow, hr, status, method, protocol, path, NULL::VARCHAR AS site,
        sum(hits)::BIGINT AS hits,
        sum(bandwidth)::BIGINT AS bandwidth,
        (sum(hits) FILTER (WHERE status = 404))::BIGINT AS not_found_hits,
        (sum(hits) FILTER (WHERE status BETWEEN 500 AND 599))::BIGINT AS error_hits
    FROM fh
    GROUP BY GROUPING SETS ((cur), (cur, date), (cur, dow, hr), (cur, hr), (cur, status), (cur, method),
        (cur, protocol), (cur, path))
    UNION ALL
    -- A referring site is the host of an absolute referrer URL (no port).
    SELECT 'site', true, NULL, NULL, NULL, NULL, NULL, NULL, NULL, site, sum(n)::BIGINT, 0, 0, 0 FROM (
        SELECT nullif(split_part(split_part(split_part(split_part(split_part(referrer, '://', 2), '/', 1), '?', 1), '#', 1), ':', 1), '') AS site, n
        FROM (SELECT referrer, count(*) AS n FROM t WHERE cur AND contains(referrer, '://') GROUP BY referrer))
    WHERE site IS NOT NULL GROUP BY site
), ranked AS (
    SELECT *,
        row_number() OVER (PARTITION BY panel, cur ORDER BY hits DESC, path, site) AS by_hits,
        row_number() OVER (PARTITION BY panel, cur ORDER BY not_found_hits DESC, path) AS by_not_found
    FROM g
    WHERE (cur OR panel IN ('summary', 'daily')) AND NOT (panel = 'site' AND site IS NULL)
), kept AS (
    SELECT * FROM ranked
    WHERE panel NOT IN ('path', 'site') OR by_hits <= $limit OR (panel = 'path' AND not_found_hits > 0 AND by_not_found <= $limit)
), visitors AS (
    -- A visitor is (client_ip, date, user_agent), so distinct visitors per
    -- day, per (day, hour) and per (day, path) add up exactly over days.
    -- Paths only for the ones kept.
    SELECT 'day' AS kind, cur, date, NULL::BIGINT AS hr, NULL::VARCHAR AS path, count(DISTINCT (client_ip, user_agent)) AS n
    FROM t WHERE counted GROUP BY cur, date
    UNION ALL
    SELECT 'hour', true, NULL, hr, NULL, count(*) FROM (
        SELECT DISTINCT qh.hr, t.date, t.client_ip, t.user_agent FROM t JOIN qh USING (q) WHERE t.counted AND t.cur) GROUP BY hr
    UNION ALL
    SELECT 'path', true, NULL, NULL, path, count(*) FROM (
        SELECT DISTINCT path, date, client_ip, user_agent FROM t
        WHERE counted AND cur AND path IN (SELECT path FROM kept WHERE panel = 'path' AND cur)) GROUP BY path
), paths AS (
    SELECT cur, count(DISTINCT path) AS unique_paths FROM f GROUP BY cur
)
SELECT k.panel, k.cur, strftime(k.date, '%Y-%m-%d') AS day, k.dow::BIGINT, k.hr::BIGINT, k.status::BIGINT, k.method, k.protocol, k.path, k.site,
    k.hits,
    CASE k.panel
        WHEN 'summary' THEN (SELECT sum(n) FROM visitors v WHERE v.kind = 'day' AND v.cur = k.cur)
        WHEN 'daily' THEN (SELECT sum(n) FROM visitors v WHERE v.kind = 'day' AND v.cur = k.cur AND v.date = k.date)
        WHEN 'hourly' THEN (SELECT sum(n) FROM visitors v WHERE v.kind = 'hour' AND v.hr = k.hr)
        WHEN 'path' THEN (SELECT sum(n) FROM visitors v WHERE v.kind = 'path' AND v.path = k.path)
    END::BIGINT AS unique_visitors,
    k.bandwidth,
    CASE WHEN k.panel = 'summary' THEN (SELECT unique_paths FROM paths p WHERE p.cur = k.cur) END AS unique_paths,
    k.not_found_hits, k.error_hits
FROM kept k
ORDER BY k.panel, k.cur, day, k.dow, k.hr, k.status, k.method, k.protocol, k.path, k.site`

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
}

// Row is one row of SQL's result, in its column order.
type Row = []any

// Build makes the document from SQL's rows for company over start…end.
func Build(company string, start, end time.Time, rows []Row, limit int) (*Data, error) {
	ps, pe := Previous(start, end)
	d := &Data{CompanyID: company, StartDate: start.Format(layout.DateFormat), EndDate: end.Format(layout.DateFormat),
		PreviousStart: ps.Format(layout.DateFormat), PreviousEnd: pe.Format(layout.DateFormat),
		Daily: []Day{}, Hourly: []Hour{}, Heatmap: []Cell{}, StatusClasses: []Class{}, StatusCodes: []Status{},
		Methods: []Named{}, Protocols: []Named{}, TopPaths: []Path{}, NotFound: []NotFound{}, Referrers: []Named{}}
	days := map[string]*Day{}
	for _, day := range layout.Days(start, end) {
		d.Daily = append(d.Daily, Day{Date: day.Format(layout.DateFormat), PreviousDate: day.AddDate(0, 0, -len(layout.Days(start, end))).Format(layout.DateFormat)})
	}
	for i := range d.Daily {
		days[d.Daily[i].Date] = &d.Daily[i]
		days["prev "+d.Daily[i].PreviousDate] = &d.Daily[i]
	}
	classes := map[string]int64{}
	var paths, notFound []Path
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
		case "path":
			paths = append(paths, Path{Path: str(8), Hits: s.Hits, UniqueVisitors: s.UniqueVisitors, Bandwidth: s.Bandwidth})
			if s.NotFoundHits > 0 {
				notFound = append(notFound, Path{Path: str(8), Hits: s.NotFoundHits})
			}
		case "site":
			d.Referrers = append(d.Referrers, Named{Name: str(9), Hits: s.Hits})
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
