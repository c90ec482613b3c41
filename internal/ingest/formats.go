package ingest

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Formats ingest reads.
var Formats = []string{"combined", "alb", "cloudfront", "jsonl"}

// Every format's SQL turns the relation lines(line) into the normalised
// columns of package layout plus `ok`. A line is rejected exactly when ok
// is not true. docs/ingest.md documents each format's mapping.

// combinedSQL parses NCSA Combined (and Common) Log Format in one pass of
// string functions (a regular expression per line costs several times
// more): escaped quotes (\") become U+E000 so that a line splits on '"' into
// 7 parts (3 for Common), and they are restored only in lines that had them.
const combinedSQL = `
WITH s AS (
    SELECT line, contains(line, chr(92)) AS esc,
        string_split(CASE WHEN contains(line, chr(92)) THEN replace(line, chr(92) || '"', chr(57344)) ELSE line END, '"') AS p
    FROM lines
), f AS (
    SELECT line, esc, p,
        (len(p) = 7 AND p[5] = ' ' AND p[7] = '') AS is_full,
        len(p) = 3 AS is_common,
        split_part(p[1], ' ', 1) AS ip,
        try_strptime(substr(p[1], strpos(p[1], '[') + 1, 26), '%d/%b/%Y:%H:%M:%S %z') AS ts,
        substr(p[1], strpos(p[1], '[') + 27, 1) = ']' AS t_closed,
        string_split(p[2], ' ') AS r,
        string_split(trim(p[3]), ' ') AS m
    FROM s
), g AS (
    SELECT *,
        split_part(r[2], '?', 1) AS raw_path,
        strpos(r[2], '?') AS q,
        TRY_CAST(m[1] AS SMALLINT) AS st,
        CASE WHEN m[2] = '-' THEN 0 ELSE TRY_CAST(m[2] AS BIGINT) END AS b
    FROM f
)
SELECT
    ts,
    ip AS client_ip,
    r[1] AS method,
    CASE WHEN contains(raw_path, '%') THEN coalesce(TRY(url_decode(raw_path)), raw_path) ELSE raw_path END AS path,
    CASE WHEN q > 0 THEN substr(r[2], q + 1) END AS query,
    r[3] AS protocol,
    st AS status,
    b AS bytes,
    CASE WHEN NOT is_full OR p[4] = '-' THEN NULL WHEN esc THEN replace(p[4], chr(57344), '"') ELSE p[4] END AS referrer,
    CASE WHEN NOT is_full THEN NULL WHEN esc THEN replace(p[6], chr(57344), '"') ELSE p[6] END AS user_agent,
    NULL::VARCHAR AS host,
    NULL::DOUBLE AS request_time_ms,
    'combined' AS source,
    line,
    ((is_full OR is_common) AND ts IS NOT NULL AND t_closed AND ip <> '' AND len(r) = 3 AND r[1] <> '' AND r[2] <> ''
        AND st BETWEEN 100 AND 599 AND len(m) = 2 AND b IS NOT NULL) IS TRUE AS ok
FROM g`

// albSQL parses Application Load Balancer access logs (fields in AWS's
// documented order; the first 19 are used).
const albSQL = `
WITH f AS (
    SELECT line, regexp_extract(line,
        '^(\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" (\S+) (\S+) (\S+) "([^"]*)" "([^"]*)"',
        ['type', 'time', 'elb', 'client', 'target', 'req_t', 'target_t', 'resp_t', 'elb_status', 'target_status',
         'received', 'sent', 'request', 'ua', 'cipher', 'tls', 'tg', 'trace', 'domain']) AS x
    FROM lines
), g AS (
    SELECT line, x,
        TRY_CAST(x.time AS TIMESTAMPTZ) AS ts,
        regexp_extract(x.client, '^\[?(.*?)\]?:\d+$', 1) AS ip,
        string_split(x.request, ' ') AS r,
        [TRY_CAST(x.req_t AS DOUBLE), TRY_CAST(x.target_t AS DOUBLE), TRY_CAST(x.resp_t AS DOUBLE)] AS times
    FROM f
), h AS (
    SELECT *, regexp_extract(r[2], '^[a-z]+://([^/:]+)(?::\d+)?(/[^?]*)?(?:\?(.*))?$', ['host', 'path', 'query']) AS u
    FROM g
)
SELECT
    ts,
    ip AS client_ip,
    r[1] AS method,
    coalesce(TRY(url_decode(coalesce(nullif(u.path, ''), '/'))), u.path) AS path,
    nullif(u.query, '') AS query,
    r[3] AS protocol,
    TRY_CAST(x.elb_status AS SMALLINT) AS status,
    coalesce(TRY_CAST(x.sent AS BIGINT), 0) AS bytes,
    NULL::VARCHAR AS referrer,
    CASE WHEN x.ua = '-' THEN NULL ELSE replace(x.ua, '\"', '"') END AS user_agent,
    coalesce(nullif(u.host, ''), nullif(x.domain, '-')) AS host,
    CASE WHEN list_min(times) < 0 THEN NULL ELSE round(list_sum(times) * 1000, 3) END AS request_time_ms,
    'alb' AS source,
    line,
    (ts IS NOT NULL AND ip <> '' AND len(r) = 3 AND TRY_CAST(x.elb_status AS SMALLINT) BETWEEN 100 AND 599) IS TRUE AS ok
FROM h`

// cloudFrontSQL parses CloudFront standard logs: tab-separated, with the
// field order given by the file's #Fields line (fields maps name → 1-based index).
func cloudFrontSQL(fields map[string]int) (string, error) {
	need := []string{"date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status", "sc-bytes", "cs(Referer)", "cs(User-Agent)"}
	for _, n := range need {
		if fields[n] == 0 {
			return "", fmt.Errorf("CloudFront #Fields lacks %q", n)
		}
	}
	col := func(name, fallback string) string {
		if i := fields[name]; i > 0 {
			return fmt.Sprintf("nullif(p[%d], '-')", i)
		}
		return fallback
	}
	host := col("x-host-header", col("cs(Host)", "NULL"))
	return fmt.Sprintf(`
WITH f AS (
    SELECT line, string_split(line, chr(9)) AS p FROM lines WHERE line NOT LIKE '#%%'
)
SELECT
    TRY_CAST(%s || ' ' || %s || '+00' AS TIMESTAMPTZ) AS ts,
    %s AS client_ip,
    %s AS method,
    coalesce(TRY(url_decode(%s)), %s) AS path,
    %s AS query,
    %s AS protocol,
    TRY_CAST(%s AS SMALLINT) AS status,
    coalesce(TRY_CAST(%s AS BIGINT), 0) AS bytes,
    coalesce(TRY(url_decode(%s)), %s) AS referrer,
    coalesce(TRY(url_decode(%s)), %s) AS user_agent,
    %s AS host,
    round(TRY_CAST(%s AS DOUBLE) * 1000, 3) AS request_time_ms,
    'cloudfront' AS source,
    line,
    (len(p) >= %d AND TRY_CAST(%s || ' ' || %s || '+00' AS TIMESTAMPTZ) IS NOT NULL
        AND TRY_CAST(%s AS SMALLINT) BETWEEN 100 AND 599) IS TRUE AS ok
FROM f`,
		col("date", ""), col("time", ""), col("c-ip", ""), col("cs-method", ""),
		col("cs-uri-stem", ""), col("cs-uri-stem", ""), col("cs-uri-query", "NULL"), col("cs-protocol-version", "NULL"),
		col("sc-status", ""), col("sc-bytes", ""), col("cs(Referer)", ""), col("cs(Referer)", ""),
		col("cs(User-Agent)", ""), col("cs(User-Agent)", ""), host, col("time-taken", "NULL"),
		maxIndex(fields, need), col("date", ""), col("time", ""), col("sc-status", "")), nil
}

func maxIndex(fields map[string]int, names []string) int {
	m := 0
	for _, n := range names {
		m = max(m, fields[n])
	}
	return m
}

// jsonlSQL parses JSON lines. Keys are lambduck's column names, with the
// common nginx/Apache JSON log names as alternatives (docs/ingest.md).
const jsonlSQL = `
WITH f AS (
    SELECT line, TRY(json(line)) AS j FROM lines
), g AS (
    SELECT line, j,
        coalesce(j->>'ts', j->>'time', j->>'timestamp', j->>'@timestamp', j->>'time_iso8601') AS t,
        coalesce(j->>'path', j->>'uri', j->>'request_uri', j->>'url') AS target,
        coalesce(j->>'status', j->>'status_code') AS st
    FROM f
), h AS (
    SELECT *,
        coalesce(TRY_CAST(t AS TIMESTAMPTZ), TRY(to_timestamp(TRY_CAST(t AS DOUBLE)))) AS ts,
        split_part(target, '?', 1) AS raw_path,
        CASE WHEN position('?' IN target) > 0 THEN substr(target, position('?' IN target) + 1) END AS target_query
    FROM g
)
SELECT
    ts,
    coalesce(j->>'client_ip', j->>'remote_addr', j->>'ip', j->>'client') AS client_ip,
    coalesce(j->>'method', j->>'request_method') AS method,
    coalesce(TRY(url_decode(raw_path)), raw_path) AS path,
    coalesce(j->>'query', j->>'query_string', j->>'args', target_query) AS query,
    coalesce(j->>'protocol', j->>'server_protocol') AS protocol,
    TRY_CAST(st AS SMALLINT) AS status,
    coalesce(TRY_CAST(coalesce(j->>'bytes', j->>'body_bytes_sent', j->>'bytes_sent') AS BIGINT), 0) AS bytes,
    nullif(nullif(coalesce(j->>'referrer', j->>'referer', j->>'http_referer'), '-'), '') AS referrer,
    coalesce(j->>'user_agent', j->>'http_user_agent') AS user_agent,
    coalesce(j->>'host', j->>'server_name') AS host,
    coalesce(TRY_CAST(j->>'request_time_ms' AS DOUBLE), TRY_CAST(j->>'request_time' AS DOUBLE) * 1000) AS request_time_ms,
    'jsonl' AS source,
    line,
    (j IS NOT NULL AND json_type(j) = 'OBJECT' AND ts IS NOT NULL AND target IS NOT NULL
        AND TRY_CAST(st AS SMALLINT) BETWEEN 100 AND 599) IS TRUE AS ok
FROM h`

var (
	combinedLine = regexp.MustCompile(`^\S+ \S+ \S+ \[[^\]]+\] "`)
	albLine      = regexp.MustCompile(`^(http|https|h2|grpcs|ws|wss) \d{4}-\d\d-\d\dT\S+ \S+ \S+:\d+ `)
)

// Detect names the format of a file from its first lines.
func Detect(head []byte) (string, error) {
	if isBinary(head) {
		return "", fmt.Errorf("binary data, not a text log")
	}
	votes := map[string]int{}
	lines := 0
	for _, line := range bytes.Split(head, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		if bytes.HasPrefix(line, []byte("#Fields:")) || bytes.HasPrefix(line, []byte("#Version:")) {
			return "cloudfront", nil
		}
		lines++
		switch {
		case line[0] == '{':
			votes["jsonl"]++
		case albLine.Match(line):
			votes["alb"]++
		case combinedLine.Match(line):
			votes["combined"]++
		}
		if lines >= 50 {
			break
		}
	}
	best, n := "", 0
	for f, v := range votes {
		if v > n {
			best, n = f, v
		}
	}
	if lines == 0 {
		return "", fmt.Errorf("empty")
	}
	if n*2 < lines {
		return "", fmt.Errorf("not a recognised access log (Combined, ALB, CloudFront or JSON lines); name the format with --format")
	}
	return best, nil
}

// cloudFrontFields reads the #Fields header into name → 1-based index.
func cloudFrontFields(head []byte) (map[string]int, error) {
	for _, line := range bytes.Split(head, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("#Fields:")); ok {
			out := map[string]int{}
			for i, name := range strings.Fields(string(rest)) {
				out[name] = i + 1
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("CloudFront log without a #Fields line")
}

func formatSQL(format string, head []byte) (string, error) {
	switch format {
	case "combined":
		return combinedSQL, nil
	case "alb":
		return albSQL, nil
	case "jsonl":
		return jsonlSQL, nil
	case "cloudfront":
		fields, err := cloudFrontFields(head)
		if err != nil {
			return "", err
		}
		return cloudFrontSQL(fields)
	}
	return "", fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}
