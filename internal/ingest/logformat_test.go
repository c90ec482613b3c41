package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nginx's log_format directive as it stands in nginx.conf — the Docker
// image's "main" format, split over lines the way nginx.conf writes it —
// becomes the GoAccess layout that reads its lines.
func TestNginxLogFormat(t *testing.T) {
	for _, tc := range []struct{ directive, format, date, time string }{
		{`log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';`,
			`%h - %e [%d:%t] "%r" %s %b "%R" "%u" "%^"`, "%d/%b/%Y", "%H:%M:%S %z"},
		{`'$remote_addr [$time_iso8601] "$request" $status $bytes_sent $request_time $upstream_response_time "$http_host"'`,
			`%h [%x] "%r" %s %b %T %^ "%v"`, "%Y-%m-%dT%H:%M:%S%z", ""},
		{`timed $msec $remote_addr "$request" $status $body_bytes_sent 100%`,
			`%x %h "%r" %s %b 100%%`, "%s", ""},
	} {
		f, err := NginxLogFormat(tc.directive)
		if err != nil || f.Format != tc.format || f.Date != tc.date || f.Time != tc.time {
			t.Errorf("%s:\n got %+v %v\nwant %q %q %q", tc.directive, f, err, tc.format, tc.date, tc.time)
		}
	}
	if _, err := NginxLogFormat(`'$remote_addr "$request" $status'`); err == nil || !strings.Contains(err.Error(), "$time_local") {
		t.Errorf("no time variable: %v", err)
	}
}

// A layout that cannot read a log says why before any file is read.
func TestCustomFormatErrors(t *testing.T) {
	for _, tc := range []struct{ goaccess, date, tm, nginx, want string }{
		{`%h [%d:%t] "%r" %s %b`, "%d/%b/%Y", "%H:%M:%S", `'$remote_addr'`, "both"},
		{`[%d:%t] "%r" %s %b`, "%d/%b/%Y", "%H:%M:%S", "", "%h"},
		{`%h [%d:%t] "%r" %b`, "%d/%b/%Y", "%H:%M:%S", "", "%s"},
		{`%h [%d:%t] "%r" %s %b %Y`, "%d/%b/%Y", "%H:%M:%S", "", "%Y is not a GoAccess specifier"},
		{`%h [%d:%t] "%r" %s%b`, "%d/%b/%Y", "%H:%M:%S", "", "delimiter"},
		{`%h [%d:%t] "%r" %s %b`, "%d/%b/%Q", "%H:%M:%S", "", "%Q"},
		{`%h [%x] "%r" %s %b`, "", "", "", "date format"},
	} {
		if _, err := CustomFormat(tc.goaccess, tc.date, tc.tm, tc.nginx); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error mentioning %q", tc.goaccess, err, tc.want)
		}
	}
	if f, err := CustomFormat("", "", "", ""); f != nil || err != nil {
		t.Errorf("nothing given: %v %v", f, err)
	}
}

// Lines written with nginx's default "main" format, read with the
// directive itself: every field lands in its column, the offset of
// $time_local is honoured, and a line of another shape is rejected.
func TestNginxFormatFieldByField(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	writeFile(t, log, `172.17.0.1 - alice [27/Nov/2026:10:15:32 +0900] "GET /caf%C3%A9?x=1 HTTP/1.1" 200 615 "https://example.com/" "curl/8.5.0" "203.0.113.5, 10.0.0.2"
2001:db8::9 - - [27/Nov/2026:10:15:33 +0000] "POST /api HTTP/2.0" 201 - "-" "Mozilla/5.0 (X11)" "-"
not a log line
`)
	custom, err := CustomFormat("", "", "", `log_format main '$remote_addr - $remote_user [$time_local] "$request" '
        '$status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"';`)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	sum := ingestFiles(t, root, Options{Company: "c", LogFormat: custom, TimeZone: time.UTC}, log)
	s := sum.Sources[0]
	if s.Format != Custom || s.RowsWritten != 2 || s.LinesRejected != 1 || s.FirstRejected[0].Line != 3 {
		t.Fatalf("%+v", s)
	}
	want := []string{
		"c | 2026-11-27 | 2026-11-27T01:15:32Z | 172.17.0.1 | GET | /café | x=1 | HTTP/1.1 | 200 | 615 | https://example.com/ | curl/8.5.0 | NULL | NULL | custom",
		"c | 2026-11-27 | 2026-11-27T10:15:33Z | 2001:db8::9 | POST | /api | NULL | HTTP/2.0 | 201 | 0 | NULL | Mozilla/5.0 (X11) | NULL | NULL | custom",
	}
	if got := rowsIn(t, root); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
