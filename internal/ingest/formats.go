package ingest

import (
	"bytes"
	"fmt"
	"lambduck/internal/layout"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Formats ingest reads.
var Formats = []string{"combined", "common", "vcombined", "vcommon", "alb", "awselb", "cloudfront", "w3c", "awss3", "cloudstorage", "squid", "caddy", "jsonl"}

// headerLines are, per format, the LIKE pattern of lines that are a file's
// header, not requests: neither parsed nor counted.
var headerLines = map[string]string{"cloudfront": "#%", "w3c": "#%", "cloudstorage": `"time_micros"%`}

// formatAliases are other names users bring: GoAccess's preset names in
// lower case where they differ from lambduck's.
var formatAliases = map[string]string{"awsalb": "alb"}

// FormatName returns the format a user's name stands for (case does not
// matter; GoAccess's preset names are accepted), or false.
func FormatName(name string) (string, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if f, ok := formatAliases[name]; ok {
		return f, true
	}
	return name, slices.Contains(Formats, name)
}

// Every format's SQL turns the relation lines(line) into the normalised
// columns of package layout plus `ok`. A line is rejected exactly when ok
// is not true. docs/ingest.md documents each format's mapping.

// httpMethods and httpProtocols are GoAccess's lists: a request's method is
// the first of these its text starts with (case-insensitive), and its
// protocol must start with one of the protocols.
const (
	httpMethods = `['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT', 'PATCH', 'SEARCH',
        'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'VERSION-CONTROL', 'REPORT',
        'CHECKOUT', 'CHECKIN', 'UNCHECKOUT', 'MKWORKSPACE', 'UPDATE', 'LABEL', 'MERGE', 'BASELINE-CONTROL',
        'MKACTIVITY', 'ORDERPATCH']`
	// ipv4 is a dotted quad without leading zeros (what inet_pton reads);
	// ipv6 is hex groups with at most one "::" and an optional IPv4 tail.
	ipv4 = `(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}`
	ipv6 = `(([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|([0-9A-Fa-f]{1,4}:){0,6}([0-9A-Fa-f]{1,4})?::([0-9A-Fa-f]{1,4}:){0,6}([0-9A-Fa-f]{1,4})?|([0-9A-Fa-f]{1,4}:){0,5}([0-9A-Fa-f]{1,4})?::([0-9A-Fa-f]{1,4}:){0,5}` + ipv4 + `|([0-9A-Fa-f]{1,4}:){6}` + ipv4 + `)`
)

// requestSQL splits the request field (r, from the relation req_in) into
// its space-separated tokens and those into method, path, query and protocol the way GoAccess does: the
// method is the first known method the text starts with; then the protocol
// is the text after the last space and must be a known one, and the path is
// what lies between (else the path is "-"). Without a known method the whole
// text is the path ("-", "", a scanner's binary junk). The path is
// percent-decoded, cut at a NUL, stripped of line breaks and trimmed (the
// text as written when that leaves nothing, or when it does not decode to
// UTF-8), and cut at a '?' that is not its first character.
const requestSQL = `
req_tok AS (
    SELECT *, string_split(r, ' ') AS tok FROM req_in
), req_t AS (
    SELECT *, tok[1] AS t1, tok[2] AS t2, tok[3] AS t3 FROM req_tok
), req_m AS (
    SELECT *,
        -- The usual request, "GET /path HTTP/1.1", takes no position
        -- arithmetic: what follows is worked out only for the other lines.
        -- (Equality chains, not IN lists: DuckDB plans a list of five as a join.)
        (len(tok) = 3 AND (t1 = 'GET' OR t1 = 'POST' OR t1 = 'HEAD')
            AND (t3 = 'HTTP/1.1' OR t3 = 'HTTP/1.0' OR t3 = 'HTTP/2.0' OR t3 = 'HTTP/2' OR t3 = 'HTTP/3')
            AND t2 <> '') IS TRUE AS usual
    FROM req_t
), req_p AS (
    SELECT *,
        usual AND NOT contains(t2, '%') AS plain,
        CASE WHEN NOT usual THEN list_filter(` + httpMethods + `, x -> starts_with(upper(r), x))[1] END AS meth,
        CASE WHEN NOT usual THEN tok[-1] END AS proto_tok
    FROM req_m
), req_raw AS (
    SELECT *,
        CASE WHEN plain THEN NULL
             WHEN usual THEN t2 || ' '
             WHEN meth IS NULL THEN r
             WHEN NOT (len(tok) > 1 AND starts_with(upper(proto_tok), 'HTTP/')
                 AND (substr(proto_tok, 6, 3) = '1.0' OR substr(proto_tok, 6, 3) = '1.1' OR substr(proto_tok, 6, 1) = '2'
                     OR substr(proto_tok, 6, 1) = '3')) THEN NULL
             WHEN length(r) - length(proto_tok) - length(meth) - 1 > 0
                 THEN substr(r, length(meth) + 2, length(r) - length(proto_tok) - length(meth) - 1) END AS raw_sp
    FROM req_p
), req_dec AS (
    SELECT *,
        CASE WHEN raw_sp IS NULL THEN NULL
             WHEN NOT contains(raw_sp, '%') THEN nullif(trim(raw_sp, E' \t\r\x0b\x0c'), '')
             ELSE nullif(trim(replace(replace(split_part(coalesce(TRY(url_decode(raw_sp)), raw_sp), chr(0), 1), chr(10), ''), chr(13), ''),
                 E' \t\n\r\x0b\x0c'), '') END AS d1
    FROM req_raw
), req_out AS (
    SELECT *,
        CASE WHEN plain THEN CASE WHEN strpos(t2, '?') > 1 THEN split_part(t2, '?', 1) ELSE t2 END
             WHEN raw_sp IS NULL THEN '-'
             WHEN d1 IS NULL THEN raw_sp
             WHEN strpos(d1, '?') > 1 THEN split_part(d1, '?', 1)
             ELSE d1 END AS req_path,
        CASE WHEN usual THEN CASE WHEN strpos(t2, '?') > 0 THEN substr(t2, strpos(t2, '?') + 1) END
             WHEN strpos(raw_sp, '?') > 0 THEN rtrim(substr(raw_sp, strpos(raw_sp, '?') + 1), ' ') END AS req_query,
        CASE WHEN usual THEN t1 WHEN raw_sp IS NOT NULL AND meth IS NOT NULL THEN meth END AS req_method,
        CASE WHEN usual THEN t3 WHEN raw_sp IS NOT NULL AND meth IS NOT NULL THEN proto_tok END AS req_protocol
    FROM req_dec
)`

// combinedSQL parses NCSA Combined (common = false) or Common Log Format
// (common = true) as GoAccess's COMBINED and COMMON presets read them, in
// one pass of string functions (a regular expression per line costs several
// times more). Escaped quotes (\") become U+E000 so that a line splits on
// '"'; they are restored in the fields. Combined lines may end early (a
// referrer or user agent cut off by a truncated write, or no user agent)
// or carry more fields after the user agent (nginx's "$http_x_forwarded_for",
// timings): the hit counts, as in GoAccess. The client must be an IP
// address: an X-Forwarded-For list or a virtual host in that place is
// rejected, as GoAccess rejects it (the vhost form is its own format).
//
// vhost reads the virtual-host forms (GoAccess's VCOMBINED and VCOMMON,
// Apache's vhost_combined "%v:%p %h …"): the first field is host:port, the
// host goes to the host column, and the client IP follows it.
func combinedSQL(common, vhost bool) string {
	minParts, ref, ua, source := "4", `CASE WHEN p[4] = '-' THEN NULL WHEN esc THEN replace(p[4], chr(57344), '"') ELSE p[4] END`,
		`CASE WHEN n < 6 OR p[5] <> ' ' THEN NULL WHEN esc THEN replace(p[6], chr(57344), '"') ELSE p[6] END`, "combined"
	if common {
		minParts, ref, ua, source = "3", "NULL::VARCHAR", "NULL::VARCHAR", "common"
	}
	ip, host, hostOK := "split_part(p[1], ' ', 1)", "NULL::VARCHAR", "true"
	if vhost {
		ip, host, source = "split_part(p[1], ' ', 2)", "split_part(split_part(p[1], ' ', 1), ':', 1)", "v"+source
		hostOK = "contains(split_part(p[1], ' ', 1), ':') AND split_part(split_part(p[1], ' ', 1), ':', 1) <> ''"
	}
	return `
WITH s AS (
    SELECT line, contains(line, chr(92)) AS esc,
        string_split(CASE WHEN contains(line, chr(92)) THEN replace(line, chr(92) || '"', chr(57344)) ELSE line END, '"') AS p
    FROM lines
), req_in AS (
    SELECT line, esc, p, len(p) AS n,
        ` + ip + ` AS ip,
        ` + host + ` AS vhost,
        try_strptime(substr(p[1], strpos(p[1], '[') + 1, 26), '%d/%b/%Y:%H:%M:%S %z') AS ts,
        substr(p[1], strpos(p[1], '[') + 27, 1) = ']' AS t_closed,
        CASE WHEN esc THEN replace(p[2], chr(57344), '"') ELSE p[2] END AS r,
        string_split(trim(p[3]), ' ') AS m
    FROM s
), ` + requestSQL + `, g AS (
    SELECT *,
        TRY_CAST(m[1] AS SMALLINT) AS st,
        CASE WHEN m[2] = '-' THEN 0 ELSE TRY_CAST(m[2] AS BIGINT) END AS b
    FROM req_out
)
` + selectRow(map[string]string{"ts": "ts", "client_ip": "ip", "method": "req_method", "path": "req_path", "query": "req_query",
		"protocol": "req_protocol", "status": "st", "bytes": "b", "referrer": ref, "user_agent": ua, "host": "vhost",
		"source": "'" + source + "'"},
		`n >= `+minParts+` AND `+hostOK+` AND ts IS NOT NULL AND t_closed AND st BETWEEN 100 AND 599 AND len(m) = 2 AND b >= 0
        AND `+validIP("ip")) + `
FROM g`
}

// selectRow is the SELECT list every format's query ends with: the
// normalised columns in package layout's order, each from exprs (a column
// missing there is NULL of its type), then the line and ok (whether the line
// parsed).
func selectRow(exprs map[string]string, ok string) string {
	var b strings.Builder
	b.WriteString("SELECT\n")
	for _, c := range layout.Columns {
		e, found := exprs[c.Name]
		if !found {
			e = "NULL::" + c.Type
		}
		b.WriteString("    " + e + " AS " + c.Name + ",\n")
	}
	b.WriteString("    line,\n    (" + ok + ") IS TRUE AS ok\n")
	return b.String()
}

// validIP is true when col holds an IP address, as GoAccess requires of a client.
func validIP(col string) string {
	return `(CASE WHEN contains(` + col + `, ':') THEN regexp_full_match(` + col + `, '` + ipv6 + `') ELSE regexp_full_match(` + col + `, '` + ipv4 + `') END)`
}

// caddySQL parses Caddy's JSON access log (the http.log.access logger) as
// GoAccess's CADDY preset reads it: the client is request.remote_ip, the
// request is method, uri and proto (split and decoded like a Combined
// request), user agent and referrer are the first values of those request
// headers, and ts is Unix seconds (or a time string, when Caddy is
// configured to write one).
var caddySQL = `
WITH f AS (
    SELECT line, TRY(json(line)) AS j FROM lines
), req_in AS (
    SELECT line, j,
        coalesce(TRY(to_timestamp(TRY_CAST(j->>'ts' AS DOUBLE))), TRY_CAST(j->>'ts' AS TIMESTAMPTZ)) AS ts,
        j->'request'->>'remote_ip' AS ip,
        j->'request'->>'uri' AS uri,
        concat_ws(' ', j->'request'->>'method', j->'request'->>'uri', j->'request'->>'proto') AS r,
        TRY_CAST(j->>'status' AS SMALLINT) AS st,
        TRY_CAST(j->>'size' AS BIGINT) AS b
    FROM f
), ` + requestSQL + `
` + selectRow(map[string]string{"ts": "ts", "client_ip": "ip", "method": "req_method", "path": "req_path", "query": "req_query",
	"protocol": "req_protocol", "status": "st", "bytes": "b", "referrer": "nullif(j->'request'->'headers'->'Referer'->>0, '-')",
	"user_agent": "j->'request'->'headers'->'User-Agent'->>0", "host": "j->'request'->>'host'",
	"request_time_ms": "round(TRY_CAST(j->>'duration' AS DOUBLE) * 1000, 3)", "source": "'caddy'"},
	`j IS NOT NULL AND json_type(j) = 'OBJECT' AND ts IS NOT NULL AND uri IS NOT NULL AND st BETWEEN 100 AND 599
        AND b >= 0 AND `+validIP("ip")) + `
FROM req_out`

// albSQL parses Application Load Balancer access logs (fields in AWS's
// documented order; the first 19 are used). The request is split and its
// path keyed as GoAccess's AWSALB preset keys it: the URL as written, less
// its query (https://example.com:443/index.html), "- - -" for a request the
// load balancer could not read; the host column is the URL's host, else the
// TLS server name.
var albSQL = `
WITH f AS (
    SELECT line, regexp_extract(line,
        '^(\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" (\S+) (\S+) (\S+) "([^"]*)" "([^"]*)"',
        ['type', 'time', 'elb', 'client', 'target', 'req_t', 'target_t', 'resp_t', 'elb_status', 'target_status',
         'received', 'sent', 'request', 'ua', 'cipher', 'tls', 'tg', 'trace', 'domain']) AS x
    FROM lines
), req_in AS (
    SELECT line, x,
        TRY_CAST(x.time AS TIMESTAMPTZ) AS ts,
        regexp_extract(x.client, '^\[?(.*?)\]?:\d+$', 1) AS ip,
        nullif(x.request, '') AS r,
        [TRY_CAST(x.req_t AS DOUBLE), TRY_CAST(x.target_t AS DOUBLE), TRY_CAST(x.resp_t AS DOUBLE)] AS times,
        TRY_CAST(x.elb_status AS SMALLINT) AS st
    FROM f
), ` + requestSQL + `
` + selectRow(map[string]string{"ts": "ts", "client_ip": "ip", "method": "req_method", "path": "req_path", "query": "req_query",
	"protocol": "req_protocol", "status": "st", "bytes": "coalesce(TRY_CAST(x.sent AS BIGINT), 0)",
	"user_agent":      `CASE WHEN x.ua = '-' THEN NULL ELSE replace(x.ua, '\"', '"') END`,
	"host":            "coalesce(nullif(regexp_extract(tok[2], '^[a-z]+://([^/:?]+)', 1), ''), nullif(x.domain, '-'))",
	"request_time_ms": "CASE WHEN list_min(times) < 0 THEN NULL ELSE round(list_sum(times) * 1000, 3) END",
	"source":          "'alb'"},
	`ts IS NOT NULL AND ip <> '' AND r IS NOT NULL AND st BETWEEN 100 AND 599`) + `
FROM req_out`

// cloudFrontSQL parses CloudFront standard logs: tab-separated, with the
// field order given by the file's #Fields line (fields maps name → 1-based index).
func cloudFrontSQL(fields map[string]int) (string, error) {
	need := []string{"date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status", "sc-bytes", "cs(Referer)", "cs(User-Agent)"}
	col, err := w3cColumns(fields, need, "CloudFront")
	if err != nil {
		return "", err
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

// w3cSQL parses W3C extended logs as IIS writes them: space-separated,
// fields named by the file's #Fields line (IIS writes a space inside a value
// as '+'), date and time in UTC, time-taken in milliseconds. The path is
// cs-uri-stem, decoded and trimmed as a Combined request's path; the client
// must be an IP address, as GoAccess requires.
func w3cSQL(fields map[string]int) (string, error) {
	need := []string{"date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status"}
	col, err := w3cColumns(fields, need, "W3C")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`
WITH f AS (
    SELECT line, string_split(line, ' ') AS p FROM lines WHERE line NOT LIKE '#%%'
), req_in AS (
    SELECT line, p,
        TRY_CAST(%[1]s || ' ' || %[2]s || '+00' AS TIMESTAMPTZ) AS ts,
        %[3]s AS ip,
        %[4]s || ' ' || %[5]s || ' HTTP/1.1' AS r,
        TRY_CAST(%[6]s AS SMALLINT) AS st
    FROM f
), `+strings.ReplaceAll(requestSQL, "%", "%%")+`
SELECT
    ts,
    ip AS client_ip,
    req_method AS method,
    req_path AS path,
    %[7]s AS query,
    %[8]s AS protocol,
    st AS status,
    coalesce(TRY_CAST(%[9]s AS BIGINT), 0) AS bytes,
    %[10]s AS referrer,
    %[11]s AS user_agent,
    %[12]s AS host,
    TRY_CAST(%[13]s AS DOUBLE) AS request_time_ms,
    'w3c' AS source,
    line,
    (len(p) >= %[14]d AND ts IS NOT NULL AND st BETWEEN 100 AND 599 AND req_method IS NOT NULL
        AND `+validIP("ip")+`) IS TRUE AS ok
FROM req_out`,
		col("date", ""), col("time", ""), col("c-ip", ""), col("cs-method", ""), col("cs-uri-stem", ""), col("sc-status", ""),
		col("cs-uri-query", "NULL"), col("cs-version", "NULL"), col("sc-bytes", "NULL"), col("cs(Referer)", "NULL"),
		col("cs(User-Agent)", "NULL"), col("cs-host", col("s-sitename", "NULL")), col("time-taken", "NULL"),
		maxIndex(fields, need)), nil
}

// w3cColumns checks that a #Fields header names every needed field and
// returns how a field is read: its value, NULL for '-', or fallback when
// the file has no such field.
func w3cColumns(fields map[string]int, need []string, what string) (func(name, fallback string) string, error) {
	for _, n := range need {
		if fields[n] == 0 {
			return nil, fmt.Errorf("%s #Fields lacks %q", what, n)
		}
	}
	return func(name, fallback string) string {
		if i := fields[name]; i > 0 {
			return fmt.Sprintf("nullif(p[%d], '-')", i)
		}
		return fallback
	}, nil
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
	vhostLine    = regexp.MustCompile(`^[^\s:]+:\d+ \S+ \S+ \S+ \[[^\]]+\] "`)
	commonEnd    = regexp.MustCompile(`" \d{3} (\d+|-)\s*$`) // a Common line ends after the bytes
	awsS3Line    = regexp.MustCompile(`^[0-9a-f]{64} \S+ \[[^\]]+\] \S+ \S+ \S+ [A-Z]+\.\S+ `)
	elbLine      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+Z \S+ \S+:\d+ \S+ -?[\d.]+ -?[\d.]+ -?[\d.]+ (\d{3}|-) `)
	gcsLine      = regexp.MustCompile(`^"(\d{16}|time_micros)","`)
	squidLine    = regexp.MustCompile(`^\d{9,10}\.\d{3}\s+\d+ \S+ [A-Z_]+/\d{3} \d+ [A-Z]+ `)
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
		if bytes.HasPrefix(line, []byte("#Fields:")) {
			// CloudFront's fields are W3C's with its own x-edge-… names (and tabs).
			if bytes.Contains(line, []byte("x-edge-")) {
				return "cloudfront", nil
			}
			return "w3c", nil
		}
		if line[0] == '#' { // #Version, #Software, #Date: W3C directives
			continue
		}
		lines++
		switch {
		case line[0] == '{' && bytes.Contains(line, []byte(`"request":{`)) && bytes.Contains(line, []byte(`"remote_ip"`)):
			votes["caddy"]++
		case line[0] == '{':
			votes["jsonl"]++
		case elbLine.Match(line):
			votes["awselb"]++
		case gcsLine.Match(line):
			votes["cloudstorage"]++
		case squidLine.Match(line):
			votes["squid"]++
		case awsS3Line.Match(line):
			votes["awss3"]++
		case albLine.Match(line):
			votes["alb"]++
		case vhostLine.Match(line) && commonEnd.Match(line):
			votes["vcommon"]++
		case vhostLine.Match(line):
			votes["vcombined"]++
		case combinedLine.Match(line) && commonEnd.Match(line):
			votes["common"]++
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
		return "", fmt.Errorf("not a recognised access log (Combined, Common, ALB, CloudFront or JSON lines); name the format with --format")
	}
	return best, nil
}

// w3cFields reads the #Fields header of a W3C extended log (CloudFront's
// included) into name → 1-based index.
func w3cFields(head []byte) (map[string]int, error) {
	for _, line := range bytes.Split(head, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("#Fields:")); ok {
			out := map[string]int{}
			for i, name := range strings.Fields(string(rest)) {
				out[name] = i + 1
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("W3C log without a #Fields line")
}

func formatSQL(format string, head []byte, tz *time.Location) (string, error) {
	if p, ok := presets[format]; ok {
		return p.sql(tz)
	}
	switch format {
	case "combined", "common", "vcombined", "vcommon":
		return combinedSQL(strings.HasSuffix(format, "common"), strings.HasPrefix(format, "v")), nil
	case "alb":
		return albSQL, nil
	case "caddy":
		return caddySQL, nil
	case "jsonl":
		return jsonlSQL, nil
	case "w3c":
		fields, err := w3cFields(head)
		if err != nil {
			return "", err
		}
		return w3cSQL(fields)
	case "cloudfront":
		fields, err := w3cFields(head)
		if err != nil {
			return "", err
		}
		return cloudFrontSQL(fields)
	}
	return "", fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}
