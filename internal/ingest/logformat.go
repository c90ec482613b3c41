package ingest

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// LogFormat is a custom line layout in GoAccess's log-format language
// (`%h %^[%d:%t %^] "%r" %s %b "%R" "%u"`, with --date-format and
// --time-format), so that users who come from GoAccess keep their format.
// NginxLogFormat translates nginx's log_format directive into one.
type LogFormat struct {
	Format string // GoAccess's specifiers
	Date   string // strftime-style, as GoAccess's --date-format ("%s": Unix seconds)
	Time   string // as --time-format
	name   string // the source column's value: a preset's name; "custom" otherwise
	skip   string // a preset's header lines start with this; they are not requests
}

// presets are the formats lambduck reads with a GoAccess format string: the
// layout is the format's documented one, checked against GoAccess.
var presets = map[string]LogFormat{
	// S3 server access logs (GoAccess's AWSS3 preset): bucket owner, bucket,
	// [time], remote IP, requester, request id, operation, key, "request",
	// status, error code, bytes sent, object size, total time (ms),
	// turnaround time, "referrer", "user agent", and fields not read.
	// Classic Load Balancer access logs (AWS's documented layout: time, elb,
	// client:port, backend:port, request, backend and response processing
	// times, elb and backend status, received and sent bytes, "request",
	// "user agent", ssl cipher, ssl protocol). GoAccess 1.7's AWSELB preset
	// has the Application Load Balancer's shape and reads none of these.
	"awselb": {Format: `%x %v %h:%^ %^ %^ %T %^ %s %^ %^ %b "%r" "%u" %k %K`, Date: "%Y-%m-%dT%H:%M:%S.%fZ", name: "awselb"},
	// Squid's native access.log (time.ms elapsed client code/status bytes
	// method URL user hierarchy/host type). GoAccess 1.7's SQUID preset
	// expects a syslog prefix in front.
	"squid": {Format: `%x.%^ %~%L %h %^/%s %b %m %U %^`, Date: "%s", name: "squid"},
	// Google Cloud Storage usage logs (CSV, every value quoted, a header
	// line): time_micros, c_ip, c_ip_type, c_ip_region, cs_method, cs_uri,
	// sc_status, cs_bytes, sc_bytes, time_taken_micros, cs_host, cs_referer,
	// cs_user_agent, and fields not read. "%f" is microseconds since the epoch.
	"cloudstorage": {Format: `"%x","%h",%^,%^,"%m","%U","%s",%^,"%b","%D",%^,"%R","%u"`, Date: "%f", name: "cloudstorage", skip: `"time_micros"`},
	// The time's offset is honoured (GoAccess ignores it; S3 writes +0000).
	"awss3": {Format: `%^ %v [%d:%t] %h %^"%r" %s %^ %b %^ %L %^ "%R" "%u"`, Date: "%d/%b/%Y", Time: "%H:%M:%S %z", name: "awss3"},
}

// Custom is the format name of a source read with a LogFormat.
const Custom = "custom"

// CustomFormat builds the layout a user named: a GoAccess format string
// with its date and time formats, or nginx's log_format directive (one or
// the other); nil when neither is given. It checks the layout before any
// file is read.
func CustomFormat(goaccess, date, timeFormat, nginx string) (*LogFormat, error) {
	var f LogFormat
	switch {
	case goaccess != "" && nginx != "":
		return nil, fmt.Errorf("a GoAccess log format and an nginx log format were both given; name one")
	case nginx != "":
		var err error
		if f, err = NginxLogFormat(nginx); err != nil {
			return nil, err
		}
	case goaccess != "":
		f = LogFormat{Format: goaccess, Date: date, Time: timeFormat}
	default:
		return nil, nil
	}
	if _, err := f.sql(time.UTC); err != nil {
		return nil, err
	}
	return &f, nil
}

// A specifier reads the text up to the character that follows it in the
// format (or the rest of the line at its end), as GoAccess does; %~ skips
// white space and %^ reads a field and ignores it.
var specifiers = map[byte]string{
	'x': "datetime", 'd': "date", 't': "time", 'v': "vhost", 'e': "user", 'h': "host", 'r': "request",
	'm': "method", 'U': "url", 'q': "query", 'H': "protocol", 's': "status", 'b': "bytes", 'R': "referrer",
	'u': "agent", 'D': "usecs", 'T': "secs", 'L': "msecs", 'n': "nsecs", 'K': "tls", 'k': "cipher",
	'M': "mime", 'C': "cache", 'I': "bytes_in", '^': "",
}

// compiled is a LogFormat turned into one regular expression with a named
// capture per field used.
type compiled struct {
	pattern string
	fields  map[string]bool
	order   []string // the capture groups' names, in pattern order
}

func (f LogFormat) compile() (compiled, error) {
	c := compiled{fields: map[string]bool{}}
	var re strings.Builder
	re.WriteString("^")
	format := f.Format
	for i := 0; i < len(format); i++ {
		ch := format[i]
		if ch != '%' {
			re.WriteString(regexp.QuoteMeta(string(ch)))
			continue
		}
		if i+1 >= len(format) {
			return c, fmt.Errorf("log format ends with a lone %%")
		}
		i++
		spec := format[i]
		if spec == '~' {
			re.WriteString(`\s*`)
			continue
		}
		if spec == '%' {
			re.WriteString("%")
			continue
		}
		name, ok := specifiers[spec]
		if !ok {
			return c, fmt.Errorf("log format: %%%c is not a GoAccess specifier", spec)
		}
		field := `(.*)`
		if i+1 < len(format) {
			stop := format[i+1]
			if stop == '%' {
				return c, fmt.Errorf("log format: %%%c must be followed by a delimiter, not another specifier", spec)
			}
			field = `([^` + regexp.QuoteMeta(string(stop)) + `]*)`
			if stop == '"' { // a quoted field may hold escaped quotes
				field = `((?:[^"\\]|\\.)*)`
			}
		}
		if name == "" {
			re.WriteString(strings.Replace(field, "(", "(?:", 1))
			continue
		}
		if c.fields[name] {
			return c, fmt.Errorf("log format: %%%c appears twice", spec)
		}
		c.fields[name] = true
		c.order = append(c.order, name)
		re.WriteString(field)
	}
	switch {
	case !c.fields["host"]:
		return c, fmt.Errorf("log format: no %%h (the client's IP)")
	case !c.fields["status"]:
		return c, fmt.Errorf("log format: no %%s (the status)")
	case !c.fields["request"] && !c.fields["url"]:
		return c, fmt.Errorf("log format: no %%r (the request) or %%U (its path)")
	case !c.fields["datetime"] && !(c.fields["date"] && c.fields["time"]):
		return c, fmt.Errorf("log format: no %%x, or %%d and %%t (when the request was made)")
	}
	c.pattern = re.String()
	return c, nil
}

// strptimeCodes are the --date-format and --time-format codes DuckDB's
// strptime reads as GoAccess (strptime(3)) does.
var strptimeCode = regexp.MustCompile(`%.`)

func checkTimeFormat(what, f string) error {
	for _, code := range strptimeCode.FindAllString(f, -1) {
		if !strings.Contains("%a%A%b%B%d%e%H%I%j%m%M%p%S%y%Y%z%Z%f%s%%", code) {
			return fmt.Errorf("%s: %s is not a strptime code lambduck reads", what, code)
		}
	}
	return nil
}

// sql returns the query that turns lines(line) into the normalised columns
// plus ok. tz is where a timestamp without an offset is local time.
func (f LogFormat) sql(tz *time.Location) (string, error) {
	c, err := f.compile()
	if err != nil {
		return "", err
	}
	if err := checkTimeFormat("date format", f.Date); err != nil {
		return "", err
	}
	if err := checkTimeFormat("time format", f.Time); err != nil {
		return "", err
	}
	names := make([]string, len(c.order))
	for i, name := range c.order {
		names[i] = "'" + name + "'"
	}
	get := func(name, fallback string) string {
		if c.fields[name] {
			return "nullif(x." + name + ", '')"
		}
		return fallback
	}
	// When the request was made: date and time (or one datetime field)
	// parsed with the given formats; "%s" reads Unix seconds.
	when, layout := get("datetime", ""), f.Date
	if !c.fields["datetime"] {
		when, layout = get("date", "")+" || ' ' || "+get("time", ""), f.Date+" "+f.Time
	} else if f.Time != "" && f.Date != "%s" && f.Date != "%f" {
		layout = f.Date + " " + f.Time
	}
	ts := "TRY(to_timestamp(TRY_CAST(" + when + " AS DOUBLE)))"
	if f.Date == "%f" { // microseconds since the epoch, as GoAccess reads %f
		ts = "TRY(to_timestamp(TRY_CAST(" + when + " AS BIGINT) / 1000000))"
	}
	if f.Date != "%s" && f.Date != "%f" {
		if layout == "" {
			return "", fmt.Errorf("log format: a date format (--date-format) is needed")
		}
		ts = "try_strptime(" + when + ", " + quoteSQL(layout) + ")"
		if !strings.Contains(layout, "%z") && !strings.Contains(layout, "%Z") {
			local := tz.String()
			if strings.HasSuffix(layout, "Z") { // written in UTC ("…Z")
				local = "UTC"
			}
			ts = "timezone(" + quoteSQL(local) + ", " + ts + ")"
		}
	}
	r, protocol := get("request", ""), "req_protocol"
	if !c.fields["request"] && !c.fields["protocol"] {
		protocol = "NULL::VARCHAR" // the request is rebuilt below with a stand-in protocol
	}
	if !c.fields["request"] {
		r = "concat_ws(' ', " + get("method", "'GET'") + ", " + get("url", "NULL") + ", " + get("protocol", "'HTTP/1.1'") + ")"
	}
	query := "req_query"
	if c.fields["query"] {
		query = "nullif(" + get("query", "NULL") + ", '-')"
	}
	timeTaken := "NULL::DOUBLE"
	switch {
	case c.fields["msecs"]:
		timeTaken = "TRY_CAST(" + get("msecs", "NULL") + " AS DOUBLE)"
	case c.fields["usecs"]:
		timeTaken = "TRY_CAST(" + get("usecs", "NULL") + " AS DOUBLE) / 1000"
	case c.fields["secs"]:
		timeTaken = "TRY_CAST(" + get("secs", "NULL") + " AS DOUBLE) * 1000"
	case c.fields["nsecs"]:
		timeTaken = "TRY_CAST(" + get("nsecs", "NULL") + " AS DOUBLE) / 1000000"
	}
	skip := ""
	if f.skip != "" {
		skip = " WHERE NOT starts_with(line, " + quoteSQL(f.skip) + ")"
	}
	return `
WITH f AS (
    SELECT line, regexp_matches(line, ` + quoteSQL(c.pattern) + `) AS matched,
        regexp_extract(line, ` + quoteSQL(c.pattern) + `, [` + strings.Join(names, ", ") + `]) AS x
    FROM lines` + skip + `
), req_in AS (
    SELECT line, matched, x,
        ` + ts + ` AS ts,
        ` + get("host", "NULL") + ` AS ip,
        ` + r + ` AS r,
        TRY_CAST(` + get("status", "NULL") + ` AS SMALLINT) AS st,
        CASE WHEN ` + get("bytes", "'-'") + ` = '-' THEN 0 ELSE TRY_CAST(` + get("bytes", "NULL") + ` AS BIGINT) END AS b
    FROM f
), ` + requestSQL + `
` + selectRow(map[string]string{"ts": "ts", "client_ip": "ip", "method": "req_method", "path": "req_path", "query": query,
		"protocol": protocol, "status": "st", "bytes": "b", "referrer": "nullif(" + get("referrer", "NULL") + ", '-')",
		"user_agent": get("agent", "NULL"), "host": get("vhost", "NULL"), "request_time_ms": "round(" + timeTaken + ", 3)",
		"source": quoteSQL(f.source())},
		"matched AND ts IS NOT NULL AND st BETWEEN 100 AND 599 AND b >= 0 AND r IS NOT NULL AND "+validIP("ip")) + `
FROM req_out`, nil
}

func (f LogFormat) source() string {
	if f.name != "" {
		return f.name
	}
	return Custom
}

func quoteSQL(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// nginxVariables maps nginx's log_format variables to GoAccess specifiers;
// a variable the schema has no column for is read and ignored (%^).
var nginxVariables = map[string]string{
	"remote_addr": "%h", "realip_remote_addr": "%h", "remote_user": "%e", "time_local": "%d:%t",
	"time_iso8601": "%x", "msec": "%x", "request": "%r", "request_method": "%m", "request_uri": "%U",
	"uri": "%U", "document_uri": "%U", "args": "%q", "query_string": "%q", "server_protocol": "%H",
	"status": "%s", "body_bytes_sent": "%b", "bytes_sent": "%b", "http_referer": "%R",
	"http_user_agent": "%u", "request_time": "%T", "host": "%v", "server_name": "%v", "http_host": "%v",
}

var nginxVariable = regexp.MustCompile(`\$(\{[A-Za-z0-9_]+\}|[A-Za-z0-9_]+)`)

// NginxLogFormat translates nginx's log_format directive as it stands in
// nginx.conf — `log_format main '$remote_addr - $remote_user [$time_local] '
// '"$request" $status …';`, or just its quoted strings, or the bare
// format — into a LogFormat, so that a user never translates their format
// into another tool's language.
func NginxLogFormat(directive string) (LogFormat, error) {
	s := strings.TrimSpace(directive)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(s, "log_format")), ";"))
	// "main '…' '…'": the first word is the format's name when it is
	// neither quoted nor a variable.
	if name, rest, ok := strings.Cut(s, " "); ok && !strings.ContainsAny(name[:1], `'"`) && !strings.Contains(name, "$") {
		s = strings.TrimSpace(rest)
	}
	// nginx concatenates the quoted pieces ('…' '…', or "…" "…"); a format
	// that does not start with a quote is taken as it stands.
	if s != "" && (s[0] == '\'' || s[0] == '"') {
		q := regexp.QuoteMeta(s[:1])
		var b strings.Builder
		for _, piece := range regexp.MustCompile(q+`([^`+q+`]*)`+q).FindAllStringSubmatch(s, -1) {
			b.WriteString(piece[1])
		}
		s = b.String()
	}
	var out strings.Builder
	last := 0
	usedTime := ""
	for _, m := range nginxVariable.FindAllStringSubmatchIndex(s, -1) {
		out.WriteString(strings.ReplaceAll(s[last:m[0]], "%", "%%"))
		name := strings.Trim(s[m[2]:m[3]], "{}")
		spec, ok := nginxVariables[name]
		if !ok {
			spec = "%^"
		}
		switch name {
		case "time_local", "time_iso8601", "msec":
			if usedTime != "" {
				spec = "%^"
			} else {
				usedTime = name
			}
		}
		out.WriteString(spec)
		last = m[1]
	}
	out.WriteString(strings.ReplaceAll(s[last:], "%", "%%"))
	f := LogFormat{Format: out.String()}
	switch usedTime {
	case "time_local": // 27/Nov/2026:10:15:32 +0000
		f.Date, f.Time = "%d/%b/%Y", "%H:%M:%S %z"
	case "time_iso8601": // 2026-11-27T10:15:32+00:00
		f.Date = "%Y-%m-%dT%H:%M:%S%z"
	case "msec": // 1764238532.123
		f.Date = "%s"
	default:
		return f, fmt.Errorf("nginx log format: no $time_local, $time_iso8601 or $msec")
	}
	return f, nil
}
