package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"lambduck/internal/layout"
)

// fastSeeds are lines of the shapes the fast path must take or decline:
// the fixtures' Combined lines and the edges of each of its rules.
func fastSeeds(t testing.TB) []string {
	var out []string
	for _, file := range []string{"combined.log", "realworld-combined.log"} {
		b, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" {
				out = append(out, l)
			}
		}
	}
	return append(out,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET /a?b=1 HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET /a? HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET ?only HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET /a?b?c HTTP/2" 200 - "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET /\"q\" HTTP/1.1" 200 1 "r\"ef" "a\"b\\"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" ""`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x" "203.0.113.5" rt=0.1`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-"  "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1"  200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 0123 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 099 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 600 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 99999999999999999999 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:00:30:00 +0100] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [31/Mar/2025:23:30:00 -0530] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [29/Feb/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [29/Feb/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [1/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000 "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000]"GET / HTTP/1.1" 200 1 "-" "x"`,
		`01.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.256 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4.5 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`2001:db8::1 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`2001:0db8:0000:0000:0000:ff00:0042:8329 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`::1 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`:: - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`fe80:: - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1:2:3:4:5:6:7::8 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1:2:3:4:5:6:7:8:9 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1::2::3 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`12345::1 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`:1:2:3:4:5:6:7 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1:2:3:4:5:6:7: - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`::ffff:192.0.2.1 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`fe80::1%eth0 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`2001:DB8::A - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - [x] [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - 名前 [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET /日本語?q=ä HTTP/1.1" 200 1 "https://例え.jp/" "ブラウザ"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET /a%20b HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET /a b HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "get / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "PUT / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.2" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "-" 408 0 "-" "-"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x`+"\t"+`y"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`+"\r",
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`+"\r"+`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x`+"\uE000"+`"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +1600] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/1970:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
	)
}

// The fast path takes a line only where it gives what the SQL gives: every
// column, and the day.
func FuzzFastCombined(f *testing.F) {
	for _, l := range fastSeeds(f) {
		f.Add(l)
	}
	tool := fuzzTool(f)
	q := "WITH lines AS (SELECT $line AS line),\n" + strings.TrimPrefix(strings.TrimSpace(combinedSQL(false, false)), "WITH")
	q = `SELECT ` + layout.ColumnList() + `, CAST(make_timestamp(epoch_us(ts)) AS DATE)::VARCHAR, ok FROM (` + q + `)`
	f.Fuzz(func(t *testing.T, line string) {
		var r fastRow
		var s fastSlot
		day, ok := parseFastCombined([]byte(line), &r, &s)
		if !ok {
			return
		}
		deref := func(p *string) any {
			if p == nil {
				return nil
			}
			return *p
		}
		got := []any{time.UnixMicro(r.TS).UTC(), r.ClientIP, r.Method, r.Path, deref(r.Query), r.Protocol, int64(r.Status), *r.Bytes,
			deref(r.Referrer), r.UserAgent, r.Host, nil, r.Source, time.Unix(day*86400, 0).UTC().Format(layout.DateFormat), true}
		for _, i := range []int{1, 2, 3, 5, 9, 10, 12} { // the columns that are not pointers
			if got[i] == "" {
				got[i] = nil // parquet-go writes an empty optional string as NULL
			}
		}
		want := make([]any, len(got))
		ptrs := make([]any, len(got))
		for i := range want {
			ptrs[i] = &want[i]
		}
		if err := tool.Conn().QueryRowContext(context.Background(), q, sql.Named("line", line)).Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if w, ok := want[0].(time.Time); ok {
			want[0] = w.UTC()
		}
		if w, ok := want[6].(int16); ok {
			want[6] = int64(w)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nfast %v\nSQL  %v", line, got, want)
		}
	})
}

// The fast path changes nothing a user sees: on a log of every shape (the
// generator's, the fixtures', each mutated, invalid UTF-8), ingest with it
// writes the rows, counts and rejected line numbers that the SQL alone
// does — and it does take most of the lines. The log is over 8 MB, so it
// is read in two parts, and the rejected lines in the second part keep
// their numbers. A log with a carriage return in a line the fast path
// leaves is read by the SQL alone, with the same outcome.
func TestFastPathMatchesSQL(t *testing.T) {
	dir := t.TempDir()
	gen := filepath.Join(dir, "gen.log")
	genCombined(t, gen, 15000, 9)
	text, err := os.ReadFile(gen)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	var seeds []string
	for _, l := range fastSeeds(t) {
		if !strings.Contains(l, "\r") {
			seeds = append(seeds, l)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	mutate := func(s string) string {
		b := []byte(s)
		i := rng.IntN(len(b))
		switch rng.IntN(4) {
		case 0:
			return string(b[:i]) + string(b[i+1:])
		case 1:
			return string(b[:i]) + string(b[i:i+1]) + string(b[i:])
		case 2:
			b[i] = ` "[]-/:?\\0a.`[rng.IntN(13)]
			return string(b)
		default:
			return string(b[:i])
		}
	}
	var out []string
	for i, l := range lines {
		out = append(out, l)
		switch {
		case i%50 == 0:
			out = append(out, seeds[rng.IntN(len(seeds))])
		case i%50 == 25:
			out = append(out, mutate(lines[rng.IntN(len(lines))]))
		case i%50 == 10:
			out = append(out, mutate(seeds[rng.IntN(len(seeds))]))
		}
	}
	out = append(out, "\xff\xfe invalid utf-8 \xc3\x28")
	log := filepath.Join(dir, "mixed.log")
	writeLines(t, log, out)
	if info, _ := os.Stat(log); info.Size() < 8<<20 {
		t.Fatalf("the log is %d bytes: too small to be read in parts", info.Size())
	}
	sum, took := sameWithFastPath(t, log)
	if took*10 < int64(len(out))*8 {
		t.Errorf("the fast path took %d of %d lines", took, len(out))
	}
	rejected := sum.Sources[0].FirstRejected
	if last := rejected[len(rejected)-1]; last.Line != int64(len(out)) || !strings.Contains(last.Text, "invalid utf-8") {
		t.Errorf("the last rejected line is %+v, want line %d", last, len(out))
	}

	withCR := filepath.Join(dir, "cr.log")
	writeLines(t, withCR, append(append(append([]string{}, lines[:2000]...), lines[2000]+"\r", lines[2001]+"\r"+lines[2002], "\xff"), lines[2003:4000]...))
	sum, took = sameWithFastPath(t, withCR)
	if took != 0 || sum.Sources[0].LinesRejected == 0 {
		t.Errorf("a log with carriage returns: the fast path took %d lines; %+v", took, sum.Sources[0])
	}
}

// sameWithFastPath ingests log with the fast path and without, fails the
// test where anything differs, and returns the summary and the rows the
// fast path wrote.
func sameWithFastPath(t *testing.T, log string) (Summary, int64) {
	t.Helper()
	run := func(fast bool) (Summary, []string, int64) {
		fastEnabled = fast
		defer func() { fastEnabled = true }()
		root := t.TempDir()
		sum := ingestFiles(t, root, Options{Company: "1690", Samples: 100000}, log)
		if sum.Sources[0].Error != "" {
			t.Fatalf("fast path %v: %s", fast, sum.Sources[0].Error)
		}
		db, err := sql.Open("duckdb", "")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var byUs int64
		if err := db.QueryRow(`SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata('` + root + `/*/*/*.parquet') WHERE created_by LIKE 'lambduck%'`).Scan(&byUs); err != nil {
			t.Fatal(err)
		}
		sum.DurationMS = 0
		sum.Sources[0].Files = 0
		rows := rowsIn(t, root)
		sort.Strings(rows) // the order of rows with equal sort keys is not defined
		return sum, rows, byUs
	}
	slowSum, slowRows, _ := run(false)
	fastSum, fastRows, took := run(true)
	fr, sr := fastSum.Sources[0].FirstRejected, slowSum.Sources[0].FirstRejected
	for i := range min(len(fr), len(sr)) {
		if fr[i] != sr[i] {
			t.Errorf("rejected #%d with the fast path %+v, without %+v", i+1, fr[i], sr[i])
			break
		}
	}
	fastSum.Sources[0].FirstRejected, slowSum.Sources[0].FirstRejected = nil, nil
	if !reflect.DeepEqual(fastSum, slowSum) || len(fr) != len(sr) {
		t.Errorf("summary with the fast path\n%+v\nwithout\n%+v", fastSum, slowSum)
	}
	if len(fastRows) != len(slowRows) {
		t.Fatalf("%d rows with the fast path, %d without", len(fastRows), len(slowRows))
	}
	diff := 0
	for i := range fastRows {
		if fastRows[i] != slowRows[i] && diff < 5 {
			diff++
			t.Errorf("row %d:\nfast %s\nSQL  %s", i, fastRows[i], slowRows[i])
		}
	}
	fastSum.Sources[0].FirstRejected = fr
	return fastSum, took
}

// A fast-path file has exactly the schema of the SQL's (DuckDB's types, in layout's order).
func TestFastPathSchema(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "a.log")
	writeLines(t, log, []string{`203.0.113.7 - - [01/Apr/2025:10:00:00 +0000] "GET /a?x=1 HTTP/1.1" 200 512 "https://example.com/" "Mozilla/5.0"`})
	describe := func(fast bool) string {
		fastEnabled = fast
		defer func() { fastEnabled = true }()
		root := t.TempDir()
		ingestFiles(t, root, Options{Company: "1690"}, log)
		db, err := sql.Open("duckdb", "")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var s, by string
		if err := db.QueryRow(`SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE SELECT * FROM read_parquet('` + root + `/*/*/*.parquet', hive_partitioning = false))`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT any_value(created_by) FROM parquet_file_metadata('` + root + `/*/*/*.parquet')`).Scan(&by); err != nil {
			t.Fatal(err)
		}
		return by + ": " + s
	}
	fast, slow := describe(true), describe(false)
	if !strings.HasPrefix(fast, "lambduck") || strings.SplitN(fast, ": ", 2)[1] != strings.SplitN(slow, ": ", 2)[1] {
		t.Errorf("fast path %s\nSQL %s", fast, slow)
	}
}

// The fast path's date arithmetic agrees with package time on every day it reads.
func TestCombinedTimeCalendar(t *testing.T) {
	for d := time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2101; d = d.AddDate(0, 0, 1) {
		s := d.Format("02/Jan/2006:15:04:05 -0700")
		got, ok := combinedTime([]byte(s))
		if !ok || got != d.Unix() {
			t.Fatalf("%s: %d %v, want %d", s, got, ok, d.Unix())
		}
		if next := d.AddDate(0, 0, 1); next.Day() == 1 { // the day after the month's last is not a date
			bad := []byte(s)
			copy(bad, fmt.Sprintf("%02d", d.Day()+1))
			if _, ok := combinedTime(bad); ok {
				t.Fatalf("%s read as a date", bad)
			}
		}
	}
	for _, s := range []string{"01/Apr/2025:10:00:00 +0530", "01/Apr/2025:10:00:00 -0930", "29/Feb/2024:23:59:59 +1459"} {
		want, _ := time.Parse("02/Jan/2006:15:04:05 -0700", s)
		if got, ok := combinedTime([]byte(s)); !ok || got != want.Unix() {
			t.Errorf("%s: %d %v, want %d", s, got, ok, want.Unix())
		}
	}
}
