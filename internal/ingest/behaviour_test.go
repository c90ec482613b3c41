package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lambduck/internal/gen"
	"lambduck/internal/layout"
	"lambduck/internal/storage"
)

func genCombined(t *testing.T, path string, rowsPerDay int, seed int64) {
	t.Helper()
	_, err := gen.Raw(context.Background(), newEngine(t), gen.RawOptions{
		Options: gen.Options{Root: storage.Folder(filepath.Dir(path)), Companies: []string{"1690"}, Start: day("2025-04-01"), End: day("2025-04-03"),
			RowsPerDay: rowsPerDay, Seed: seed, TimeZone: time.UTC},
		Format: "combined", Key: filepath.Base(path),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// linesOf returns the lines of the file at path that contain day.
func linesOf(t *testing.T, path, day string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, day) {
			out = append(out, l)
		}
	}
	return out
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestReingestReplacesAndSourcesAddUp(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	genCombined(t, a, 1000, 1)
	genCombined(t, b, 500, 2)
	ingestFiles(t, root, Options{Company: "1690"}, a)
	once := len(rowsIn(t, root))
	ingestFiles(t, root, Options{Company: "1690"}, a)
	if twice := len(rowsIn(t, root)); twice != once || once != 3000 {
		t.Errorf("after one ingest %d rows, after two %d; want 3000 both times", once, twice)
	}
	ingestFiles(t, root, Options{Company: "1690"}, b)
	if n := len(rowsIn(t, root)); n != 4500 {
		t.Errorf("two sources for the same days: %d rows, want 4500", n)
	}
	// A source that shrank to one day: its files on the other days go.
	writeLines(t, a, linesOf(t, a, "01/Apr/2025"))
	ingestFiles(t, root, Options{Company: "1690"}, a)
	if n := len(rowsIn(t, root)); n != 1000+1500 {
		t.Errorf("after re-ingesting a one-day source: %d rows, want 2500", n)
	}
}

// 1% garbage: every line is accounted for, the garbage is reported with its
// line numbers, the rest is ingested.
func TestGarbageLinesCountedAndReported(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	clean := filepath.Join(dir, "clean.log")
	genCombined(t, clean, 1000, 3)
	text, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := []string{
		"this is not a log line",
		`1.2.3.4 - - [32/Foo/2025:99:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`1.2.3.4 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 999 1 "-" "x"`,
		"\xff\xfe invalid utf-8 \xc3\x28",
		`{"json": "in a combined log"}`,
		"col\x01with a control character",
	}
	var out []string
	var wantLines []int64
	for i, l := range lines {
		out = append(out, l)
		if i%100 == 50 {
			out = append(out, garbage[rng.IntN(len(garbage))])
			wantLines = append(wantLines, int64(len(out)))
		}
	}
	dirty := filepath.Join(dir, "dirty.log")
	if err := os.WriteFile(dirty, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	s := ingestFiles(t, root, Options{Company: "1690"}, dirty).Sources[0]
	if s.Error != "" {
		t.Fatal(s.Error)
	}
	if s.LinesRead != int64(len(out)) || s.RowsWritten != 3000 || s.LinesRejected != int64(len(wantLines)) {
		t.Errorf("read %d written %d rejected %d; want %d, 3000, %d", s.LinesRead, s.RowsWritten, s.LinesRejected, len(out), len(wantLines))
	}
	if len(s.FirstRejected) != 5 {
		t.Fatalf("first rejected: %+v", s.FirstRejected)
	}
	for i, r := range s.FirstRejected {
		if r.Line != wantLines[i] {
			t.Errorf("rejected #%d at line %d, want %d (%q)", i+1, r.Line, wantLines[i], r.Text)
		}
	}
	if n := len(rowsIn(t, root)); n != 3000 {
		t.Errorf("%d rows ingested, want 3000", n)
	}
}

// A file that is not a log at all is rejected whole; nothing of it is written.
func TestNotALogRejectedWhole(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	good := filepath.Join(dir, "good.log")
	genCombined(t, good, 100, 4)
	binary := filepath.Join(dir, "binary.log")
	if err := os.WriteFile(binary, append([]byte("\x7fELF\x02\x01\x01\x00"), bytes.Repeat([]byte{0, 1, 2, 3}, 1000)...), 0o644); err != nil {
		t.Fatal(err)
	}
	prose := filepath.Join(dir, "prose.log")
	if err := os.WriteFile(prose, []byte(strings.Repeat("It was a bright cold day in April, and the clocks were striking thirteen.\n", 50)), 0o644); err != nil {
		t.Fatal(err)
	}
	mostlyBad := filepath.Join(dir, "mostly-bad.log")
	goodText, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(string(goodText), "\n", 3)
	if err := os.WriteFile(mostlyBad, []byte(first[0]+"\n"+first[1]+"\n"+strings.Repeat("garbage\n", 10)), 0o644); err != nil {
		t.Fatal(err)
	}

	sum := ingestFiles(t, root, Options{Company: "1690", Format: "combined"}, good, binary, prose, mostlyBad)
	if sum.FailedSources != 3 || sum.Sources[0].Error != "" {
		t.Fatalf("%+v", sum)
	}
	for _, s := range sum.Sources[1:] {
		if s.Error == "" || s.RowsWritten != 0 {
			t.Errorf("%s: %+v", s.Source, s)
		}
	}
	if !strings.Contains(sum.Sources[1].Error, "binary") || !strings.Contains(sum.Sources[3].Error, "not a combined log: 10 of 12 lines did not parse") {
		t.Errorf("messages: %q / %q", sum.Sources[1].Error, sum.Sources[3].Error)
	}
	if n := len(rowsIn(t, root)); n != 300 {
		t.Errorf("%d rows: only good.log's 300 may be written", n)
	}
	for _, f := range files(t, root) {
		if !strings.HasPrefix(filepath.Base(f), Source{Identity: mustAbs(good)}.ID()) {
			t.Errorf("a rejected file left %s", f)
		}
	}
	// Detection, without --format: the same verdicts.
	sum = ingestFiles(t, t.TempDir(), Options{Company: "1690"}, binary, prose)
	if sum.FailedSources != 2 {
		t.Errorf("detection: %+v", sum)
	}
}

// A run of NUL bytes (a crash's leftover) in the first 64 KiB makes a log
// neither binary nor unreadable: the NUL line is one rejected line, with its
// number, as it is further down; a file that is all NULs is not a log.
func TestNULRunIsARejectedLineNotABinaryFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.log")
	genCombined(t, good, 100, 3)
	text, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(text), "\n")
	crashed := filepath.Join(dir, "crashed.log")
	withNULs := strings.Join(lines[:2], "") + strings.Repeat("\x00", 4096) + "\n" + strings.Join(lines[2:], "")
	if err := os.WriteFile(crashed, []byte(withNULs), 0o644); err != nil {
		t.Fatal(err)
	}
	zeros := filepath.Join(dir, "zeros.log")
	if err := os.WriteFile(zeros, make([]byte, 8192), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := ingestFiles(t, t.TempDir(), Options{Company: "1690"}, crashed, zeros)
	s := sum.Sources[0]
	if s.Error != "" || s.RowsWritten != 300 || s.LinesRejected != 1 || len(s.FirstRejected) != 1 || s.FirstRejected[0].Line != 3 {
		t.Errorf("a NUL run on line 3: %+v", s)
	}
	if z := sum.Sources[1]; !z.Rejected || !strings.Contains(z.Error, "binary") {
		t.Errorf("a file of NULs: %+v", z)
	}
}

func mustAbs(p string) string { a, _ := filepath.Abs(p); return a }

func TestGzipStdinAndCompanyFromPath(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	plain := filepath.Join(dir, "company_id=acme", "2025", "access.log")
	if err := os.MkdirAll(filepath.Dir(plain), 0o755); err != nil {
		t.Fatal(err)
	}
	genCombined(t, plain, 200, 5)
	text, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(text)
	zw.Close()
	zipped := filepath.Join(dir, "company_id=acme", "2025", "access.log.1.gz")
	if err := os.WriteFile(zipped, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	// A folder: both files, the company from the path, gzip detected.
	sum := ingestFiles(t, root, Options{}, filepath.Join(dir, "company_id=acme"))
	if sum.FailedSources != 0 || len(sum.Sources) != 2 || sum.RowsWritten != 1200 {
		t.Fatalf("%+v", sum)
	}
	for _, s := range sum.Sources {
		if s.Company != "acme" || s.Format != "combined" {
			t.Errorf("%+v", s)
		}
	}
	// Standard input, gzip: the same rows; again: replaced, not added.
	root2 := t.TempDir()
	for range 2 {
		sources, err := Expand(context.Background(), []string{"-"}, bytes.NewReader(gz.Bytes()), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(context.Background(), newEngine(t), sources, Options{Root: storage.Folder(root2), Company: "acme"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(rowsIn(t, root2)); n != 600 {
		t.Errorf("stdin twice: %d rows, want 600", n)
	}
	// No company anywhere: a clear error.
	loose := filepath.Join(dir, "loose.log")
	if err := os.WriteFile(loose, text, 0o644); err != nil {
		t.Fatal(err)
	}
	if s := ingestFiles(t, t.TempDir(), Options{}, loose).Sources[0]; !strings.Contains(s.Error, "--company") {
		t.Errorf("no company: %q", s.Error)
	}
}

// The partition date is the calendar date in LAMBDUCK_TIMEZONE.
func TestPartitionDateFollowsTimeZone(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "tz.log")
	if err := os.WriteFile(log, []byte(`192.0.2.1 - - [01/Apr/2025:00:30:00 +0900] "GET / HTTP/1.1" 200 1 "-" "x"`+"\n"+
		`192.0.2.1 - - [01/Apr/2025:23:30:00 +0900] "GET / HTTP/1.1" 200 1 "-" "x"`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	for tz, want := range map[*time.Location]string{
		tokyo:    "[2025-04-01 2025-04-01]",
		time.UTC: "[2025-03-31 2025-04-01]",
	} {
		root := t.TempDir()
		ingestFiles(t, root, Options{Company: "c", TimeZone: tz}, log)
		var days []string
		for _, r := range rowsIn(t, root) {
			days = append(days, strings.Split(r, " | ")[1])
		}
		if fmt.Sprint(days) != want {
			t.Errorf("%s: days %v, want %s", tz, days, want)
		}
	}
}

func TestDetect(t *testing.T) {
	for file, want := range map[string]string{"combined.log": "combined", "common.log": "common", "vcombined.log": "vcombined", "vcommon.log": "vcommon", "caddy.log": "caddy", "awss3.log": "awss3", "awselb.log": "awselb", "squid.log": "squid", "cloudstorage.log": "cloudstorage", "w3c.log": "w3c", "realworld-combined.log": "combined", "alb.log": "alb", "cloudfront.log": "cloudfront", "jsonl.log": "jsonl"} {
		head, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Detect(head); got != want {
			t.Errorf("%s: %q %v", file, got, err)
		}
	}
	if layout.CompanyFromPath("s3://bucket/raw/company_id=1690/2025/04/a.log.gz") != "1690" || layout.CompanyFromPath("/var/log/a.log") != "" {
		t.Error("CompanyFromPath")
	}
}

// Progress is reported inside one file, not only when a source is done:
// several increasing figures while it is read, none past the file's size.
func TestProgressInsideAFile(t *testing.T) {
	if _, ok := processReadBytes(); !ok {
		t.Skip("no /proc/self/io")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "big.log")
	genCombined(t, log, 150000, 5)
	sources, err := Expand(context.Background(), []string{log}, nil, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var seen []int64
	sum, err := Run(context.Background(), newEngine(t), sources, Options{Root: storage.Folder(t.TempDir()), Company: "1690"},
		func(n int64) { seen = append(seen, n) })
	if err != nil || sum.RowsWritten != 450000 {
		t.Fatalf("%v %+v", err, sum)
	}
	size := sources[0].Size
	inside := 0
	for i, n := range seen {
		if n > size || (i > 0 && n < seen[i-1]) {
			t.Fatalf("progress %v: past %d bytes or going back", seen, size)
		}
		if n > 0 && n < size {
			inside++
		}
	}
	if inside < 2 || seen[len(seen)-1] != size {
		t.Errorf("progress %v for a %d-byte file: want figures inside the file, then its size", seen, size)
	}
}

// The message says "an alb log" (English, not "a alb log").
func TestNotALogMessageReads(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	prose := filepath.Join(dir, "prose.log")
	if err := os.WriteFile(prose, []byte("not\nan\nalb\nlog\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := ingestFiles(t, root, Options{Company: "1690", Format: "alb"}, prose)
	if e := sum.Sources[0].Error; !strings.Contains(e, "not an alb log: 4 of 4 lines did not parse") {
		t.Errorf("%q", e)
	}
}

// A log that grew is the same source with new bytes: its record follows it
// (one record by id, one by the new fingerprint, none by the old), and it
// is not "the same bytes" as anything.
func TestRecordFollowsAGrowingLog(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	log := filepath.Join(dir, "access.log")
	genCombined(t, log, 100, 4)
	if s := ingestFiles(t, root, Options{Company: "1690", Format: "combined"}, log); s.FailedSources != 0 || s.Sources[0].SameBytesAs != nil {
		t.Fatalf("%+v", s)
	}
	b, _ := os.ReadFile(log)
	f, _ := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(b[:strings.Index(string(b), "\n")+1]) // one more line
	f.Close()
	if s := ingestFiles(t, root, Options{Company: "1690", Format: "combined"}, log); s.FailedSources != 0 || s.Sources[0].SameBytesAs != nil || s.Sources[0].RowsWritten != 301 {
		t.Fatalf("%+v", s)
	}
	records, _ := filepath.Glob(filepath.Join(root, "company_id=1690", "_sources", "*.json"))
	markers, _ := filepath.Glob(filepath.Join(root, "company_id=1690", "_sources", "*", "*.json"))
	if len(records) != 1 || len(markers) != 1 {
		t.Fatalf("records %v, markers %v", records, markers)
	}
	list, err := Sources(context.Background(), storage.Folder(root), "1690")
	fp, _, _ := Fingerprint(log)
	if err != nil || len(list) != 1 || list[0].Rows != 301 || list[0].Fingerprint != fp || list[0].Identity != log || !strings.Contains(markers[0], fp) {
		t.Errorf("%v %+v", err, list)
	}
}
