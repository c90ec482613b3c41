package gen

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lambduck/internal/engine"
	"lambduck/internal/layout"
)

// RawFormats are the raw log formats gen can write (and ingest can read).
var RawFormats = []string{"combined", "alb", "cloudfront", "jsonl"}

// RawOptions say what raw log to write: the same synthetic traffic as
// Parquet, for one company, as text in a real format.
type RawOptions struct {
	Options
	Format string // combined, alb, cloudfront or jsonl
	Key    string // the file to write under Options.Root; ".gz" compresses
	// Offset is the UTC offset written in Combined timestamps (+0900 for
	// Asia/Tokyo logs); the instants are the same whatever it is.
	Offset *time.Location
}

// Raw writes one raw log file with every company's and day's rows, in
// time order per company-day, including the awkward parts real logs have:
// IPv6 clients, escaped quotes in user agents, '-' for bytes and referrer,
// query strings, very long URLs, percent-encoded and raw UTF-8 paths.
func Raw(ctx context.Context, eng *engine.Engine, o RawOptions, progress func(rows int64)) (Summary, error) {
	if o.Key == "" {
		return Summary{}, fmt.Errorf("gen: no output file")
	}
	if err := o.check(); err != nil {
		return Summary{}, err
	}
	if o.Offset == nil {
		o.Offset = o.TimeZone
	}
	tool, err := eng.OpenTool(ctx)
	if err != nil {
		return Summary{}, err
	}
	defer tool.Close()
	tmp := filepath.Join(tool.Dir(), "raw.log")
	f, err := os.Create(tmp)
	if err != nil {
		return Summary{}, err
	}
	defer os.Remove(tmp)
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(o.Key, ".gz") {
		zw = gzip.NewWriter(f)
		w = zw
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if o.Format == "cloudfront" {
		fmt.Fprint(bw, "#Version: 1.0\n#Fields: "+strings.Join(cloudFrontFields, " ")+"\n")
	}
	var sum Summary
	for _, company := range o.Companies {
		for _, day := range layout.Days(o.Start, o.End) {
			n, err := o.writeRawDay(ctx, tool.Conn(), bw, company, day)
			if err != nil {
				f.Close()
				return sum, err
			}
			sum.Rows += n
			if progress != nil {
				progress(sum.Rows)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return sum, err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return sum, err
		}
	}
	if err := f.Close(); err != nil {
		return sum, err
	}
	info, err := os.Stat(tmp)
	if err != nil {
		return sum, err
	}
	if err := o.Root.Put(ctx, tmp, o.Key); err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	sum.Files, sum.Bytes = 1, info.Size()
	return sum, nil
}

// The CloudFront standard log fields, in AWS's documented order.
var cloudFrontFields = []string{"date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)",
	"cs-uri-stem", "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type",
	"x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for", "ssl-protocol",
	"ssl-cipher", "x-edge-response-result-type", "cs-protocol-version", "fle-status", "fle-encrypted-fields", "c-port",
	"time-to-first-byte", "x-edge-detailed-result-type", "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end"}

func (o RawOptions) writeRawDay(ctx context.Context, conn *sql.Conn, w *bufio.Writer, company string, day time.Time) (int64, error) {
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, o.TimeZone)
	to := from.AddDate(0, 0, 1)
	rows, err := conn.QueryContext(ctx, `SELECT epoch_us(ts), client_ip, method, path, query, protocol, status, bytes,
		referrer, user_agent, host, request_time_ms, hash($seed, $company, $day, 'raw', ts, path) AS h FROM (`+daySQL+`)`,
		sql.Named("seed", o.Seed), sql.Named("company", company), sql.Named("day", day.Format(layout.DateFormat)),
		sql.Named("n", o.RowsPerDay), sql.Named("from_us", from.UnixMicro()),
		sql.Named("step_us", max(to.Sub(from).Microseconds()/int64(o.RowsPerDay), 1)),
		sql.Named("pool", max(o.RowsPerDay/4, 20)))
	if err != nil {
		return 0, fmt.Errorf("gen: %w", err)
	}
	defer rows.Close()
	var n int64
	var r rawRow
	for rows.Next() {
		if err := rows.Scan(&r.us, &r.ip, &r.method, &r.path, &r.query, &r.proto, &r.status, &r.bytes,
			&r.referrer, &r.ua, &r.host, &r.rtMS, &r.h); err != nil {
			return n, err
		}
		r.awkward()
		switch o.Format {
		case "combined":
			r.combined(w, o.Offset)
		case "alb":
			r.alb(w)
		case "cloudfront":
			r.cloudfront(w)
		case "jsonl":
			r.jsonl(w)
		default:
			return n, fmt.Errorf("gen: unknown raw format %q (want %s)", o.Format, strings.Join(RawFormats, ", "))
		}
		n++
	}
	return n, rows.Err()
}

type rawRow struct {
	us                      int64
	ip, method, path, proto string
	query, referrer         sql.NullString
	status                  int
	bytes                   int64
	ua, host                string
	rtMS                    float64
	h                       uint64
	target                  string // path as written (encoded or raw) + query
}

// awkward decides how this row is written: some paths percent-encoded, some
// raw UTF-8, some URLs very long.
func (r *rawRow) awkward() {
	written := r.path
	if hasNonASCII(r.path) && r.h%2 == 0 {
		written = (&url.URL{Path: r.path}).EscapedPath()
	}
	r.target = written
	if r.query.Valid {
		r.target += "?" + r.query.String
	}
	if r.h%997 == 0 { // about 0.1% of requests carry a very long query string
		long := "session=" + strings.Repeat("abcdef0123456789", 200)
		r.query = sql.NullString{String: long, Valid: true}
		r.target = written + "?" + long
	}
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func dash(s sql.NullString) string {
	if !s.Valid || s.String == "" {
		return "-"
	}
	return s.String
}

func (r *rawRow) bytesField() string {
	if r.bytes == 0 {
		return "-"
	}
	return fmt.Sprint(r.bytes)
}

// combined writes NCSA Combined Log Format, escaping quotes as Apache does.
func (r *rawRow) combined(w *bufio.Writer, offset *time.Location) {
	t := time.UnixMicro(r.us).In(offset)
	esc := strings.NewReplacer(`"`, `\"`)
	fmt.Fprintf(w, "%s - - [%s] \"%s %s %s\" %d %s \"%s\" \"%s\"\n", r.ip, t.Format("02/Jan/2006:15:04:05 -0700"),
		r.method, r.target, r.proto, r.status, r.bytesField(), esc.Replace(dash(r.referrer)), esc.Replace(r.ua))
}

// alb writes an Application Load Balancer access log entry (AWS's documented field order).
func (r *rawRow) alb(w *bufio.Writer) {
	t := time.UnixMicro(r.us).UTC()
	scheme := "https"
	client := r.ip + ":" + fmt.Sprint(40000+r.h%20000)
	rt := r.rtMS / 1000 / 3
	fmt.Fprintf(w, "%s %s app/my-alb/50dc6c495c0c9188 %s 10.0.0.1:80 %.3f %.3f %.3f %d %d 210 %d \"%s %s://%s:443%s %s\" \"%s\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 \"Root=1-58337262-36d228ad5d99923122bbe354\" \"%s\" \"arn:aws:acm:ap-northeast-1:123456789012:certificate/12345678-1234-1234-1234-123456789012\" 0 %s \"forward\" \"-\" \"-\" \"10.0.0.1:80\" \"%d\" \"-\" \"-\" TID_1234\n",
		"h2", t.Format("2006-01-02T15:04:05.000000Z"), client, rt, rt, rt, r.status, r.status, r.bytes,
		r.method, scheme, r.host, r.target, r.proto, strings.ReplaceAll(r.ua, `"`, `\"`), r.host,
		t.Add(-time.Duration(r.rtMS)*time.Millisecond).Format("2006-01-02T15:04:05.000000Z"), r.status)
}

// cloudfront writes a CloudFront standard log line (tab-separated, AWS's field order).
func (r *rawRow) cloudfront(w *bufio.Writer) {
	t := time.UnixMicro(r.us).UTC()
	enc := func(s string) string { return strings.ReplaceAll(url.PathEscape(s), "%2F", "/") }
	uaEnc := strings.NewReplacer(" ", "%20", `"`, "%22", "\t", "%09").Replace(r.ua)
	fields := []string{t.Format(layout.DateFormat), t.Format("15:04:05"), "NRT57-P2", fmt.Sprint(r.bytes), r.ip, r.method,
		"d111111abcdef8.cloudfront.net", enc(r.path), fmt.Sprint(r.status), dash(r.referrer), uaEnc, dash(r.query),
		"-", "Hit", "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==", r.host, "https", "145",
		fmt.Sprintf("%.3f", r.rtMS/1000), "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "Hit", r.proto, "-", "-",
		fmt.Sprint(40000 + r.h%20000), fmt.Sprintf("%.3f", r.rtMS/2000), "Hit", "text/html", fmt.Sprint(r.bytes), "-", "-"}
	w.WriteString(strings.Join(fields, "\t") + "\n")
}

// jsonl writes one JSON object per line with lambduck's column names.
func (r *rawRow) jsonl(w *bufio.Writer) {
	t := time.UnixMicro(r.us).UTC()
	q := func(s string) string { b := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s); return `"` + b + `"` }
	opt := func(s sql.NullString) string {
		if !s.Valid {
			return "null"
		}
		return q(s.String)
	}
	fmt.Fprintf(w, `{"ts":"%s","client_ip":%s,"method":%s,"path":%s,"query":%s,"protocol":%s,"status":%d,"bytes":%d,"referrer":%s,"user_agent":%s,"host":%s,"request_time_ms":%.3f}`+"\n",
		t.Format(time.RFC3339Nano), q(r.ip), q(r.method), q(r.path), opt(r.query), q(r.proto), r.status, r.bytes,
		opt(r.referrer), q(r.ua), q(r.host), r.rtMS)
}
