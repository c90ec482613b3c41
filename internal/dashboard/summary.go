package dashboard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"lambduck/internal/layout"
	"lambduck/internal/storage"
)

// A day summary is the dashboard's pre-aggregate of one company-day: every
// count the panels add up, by the keys they group by, small next to the
// day's requests (docs/reports.md, "How it is computed"). Visitors add up
// exactly over days because a visitor is a (client_ip, date, user_agent):
// the visitors of a range by hour, path, user agent or client IP are the
// sums of each day's. A summary is kept under a fingerprint of the exact
// data files it was made from (Fingerprint), so a day whose files change
// (a new source, a compaction, a removed source) is summarized again and
// never read stale.

// SummaryVersion changes whenever SummarySQL or SummaryColumns change: a
// summary of another version is another fingerprint, never read.
const SummaryVersion = "1"

// SummaryColumns are a day summary's columns, in file order. kind says
// which keys a row holds:
//
//	f       date, q (quarter hour since the epoch), status, method, protocol → hits, bytes
//	p       date, status, name (path) → hits, bytes
//	pv      date, name (path) → visitors
//	dv      date → visitors
//	hv      date, hr (local hour) → visitors
//	site    date, name (referring site) → hits
//	agent   date, name (user agent, "" for none) → hits, visitors
//	client  date, name (client IP) → hits, visitors; only with GeoIP on
//	        (a summary holds them or not: Fingerprint's geo)
var SummaryColumns = []layout.Column{
	{Name: "kind", Type: "VARCHAR"},
	{Name: "date", Type: "DATE"},
	{Name: "q", Type: "BIGINT"},
	{Name: "status", Type: "SMALLINT"},
	{Name: "method", Type: "VARCHAR"},
	{Name: "protocol", Type: "VARCHAR"},
	{Name: "name", Type: "VARCHAR"},
	{Name: "hr", Type: "INTEGER"},
	{Name: "hits", Type: "BIGINT"},
	{Name: "bytes", Type: "BIGINT"},
	{Name: "visitors", Type: "BIGINT"},
}

// EmptySummaries is a query with SummaryColumns and no row: the view of a
// range without data.
func EmptySummaries() string { return layout.EmptyOf(SummaryColumns) }

// Fingerprint names the summary of a day made from objs (the day's data
// files as a reader reads them) in time zone tz (the local hours depend on
// it), with the client IPs when geo: any change of a file, of the set, of
// the zone, of geo or of SummaryVersion gives another.
func Fingerprint(tz string, geo bool, objs []storage.Object) string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = fmt.Sprintf("%q %d %q", o.Key, o.Size, o.Version)
	}
	sort.Strings(keys)
	h := sha256.New()
	fmt.Fprintf(h, "lambduck day summary %s\n%q %t\n", SummaryVersion, tz, geo)
	for _, k := range keys {
		fmt.Fprintln(h, k)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// SummarySQL summarizes every day of access_logs (the files of the days to
// summarize): one row per kind and key, each day on its own; the client IPs
// only when $geo. The local hour is the session time zone's.
const SummarySQL = `
WITH t AS NOT MATERIALIZED (
    SELECT date,
        -- The quarter hour since the epoch: an integer (the local hour is
        -- worked out once per quarter hour, not per request).
        epoch_us(ts) // 900000000 AS q,
        status, method, protocol, path, bytes, client_ip, user_agent,
        status NOT BETWEEN 400 AND 499 AS counted,
        referrer
    FROM access_logs
), f AS MATERIALIZED (
    -- Three small tables in one pass: the time keys (tq = 0), the paths
    -- (tp = 0), the referrers (both 1). A separate pass for the referrers
    -- cost more on small days and no less on large ones (docs/reports.md).
    SELECT date, q, status, method, protocol, path, referrer, GROUPING(q) AS tq, GROUPING(path) AS tp,
        count(*) AS hits, coalesce(sum(bytes), 0)::BIGINT AS bytes
    FROM t GROUP BY GROUPING SETS ((date, q, status, method, protocol), (date, path, status), (date, referrer))
), qh AS MATERIALIZED (
    -- Every time zone's offset is a whole number of quarter hours, so a
    -- quarter hour lies in one local hour.
    SELECT q, hour(to_timestamp(q * 900))::INTEGER AS hr FROM (SELECT DISTINCT q FROM f WHERE tq = 0)
), vd AS MATERIALIZED (
    -- One row per visitor-day, with the local hours (a 24-bit mask) of its
    -- counted requests.
    SELECT date, client_ip, user_agent, count(*) AS hits, bool_or(counted) AS visitor,
        bit_or(1::INTEGER << qh.hr) FILTER (WHERE counted) AS hours
    FROM t LEFT JOIN qh USING (q)
    GROUP BY date, client_ip, user_agent
)
SELECT 'f' AS kind, date, q, status, method, protocol, NULL::VARCHAR AS name, NULL::INTEGER AS hr, hits, bytes, NULL::BIGINT AS visitors
FROM f WHERE tq = 0
UNION ALL
SELECT 'p', date, NULL, status, NULL, NULL, path, NULL, hits, bytes, NULL FROM f WHERE tp = 0
UNION ALL
SELECT 'pv', date, NULL, NULL, NULL, NULL, path, NULL, NULL, NULL, count(*)
FROM (SELECT DISTINCT date, path, client_ip, user_agent FROM t WHERE counted) GROUP BY date, path
UNION ALL
SELECT 'dv', date, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*) FROM vd WHERE visitor GROUP BY date
UNION ALL
SELECT 'hv', date, NULL, NULL, NULL, NULL, NULL, h::INTEGER, NULL, NULL, sum(n)::BIGINT
FROM (SELECT date, hours, count(*) AS n FROM vd WHERE hours IS NOT NULL GROUP BY date, hours), range(24) r(h)
WHERE (hours >> h::INTEGER) & 1 = 1 GROUP BY date, h
UNION ALL
-- A referring site is the host of an absolute referrer URL (no port).
SELECT 'site', date, NULL, NULL, NULL, NULL, site, NULL, sum(n)::BIGINT, NULL, NULL FROM (
    SELECT date, nullif(split_part(split_part(split_part(split_part(split_part(referrer, '://', 2), '/', 1), '?', 1), '#', 1), ':', 1), '') AS site, n
    FROM (SELECT date, referrer, hits AS n FROM f WHERE tq = 1 AND tp = 1 AND contains(referrer, '://')))
WHERE site IS NOT NULL GROUP BY date, site
UNION ALL
SELECT 'agent', date, NULL, NULL, NULL, NULL, coalesce(user_agent, ''), NULL, sum(hits)::BIGINT, NULL, count(*) FILTER (WHERE visitor)
FROM vd GROUP BY date, coalesce(user_agent, '')
UNION ALL
SELECT 'client', date, NULL, NULL, NULL, NULL, client_ip, NULL, sum(hits)::BIGINT, NULL, count(*) FILTER (WHERE visitor)
FROM vd WHERE $geo GROUP BY date, client_ip`
