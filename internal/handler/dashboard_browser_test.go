package handler

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"lambduck/internal/browser"
	"lambduck/internal/dashboard"
	"lambduck/internal/ingest"
	"lambduck/internal/storage"
)

// The dashboard of logs that carry markup, opened in Debian's Chromium: it
// loads with no console message and no request but its own, nothing in it
// runs (no dialog), the hostile values show as text, the figures on the
// page are the JSON dashboard's, and the page is whole at desktop and phone
// sizes and with JavaScript switched off.
func TestDashboardInABrowser(t *testing.T) {
	chromium := os.Getenv(browser.Env)
	if chromium == "" {
		if os.Getenv("LAMBDUCK_INTEGRATION") == "1" {
			t.Fatalf("LAMBDUCK_INTEGRATION=1 but %s is not set: run the tests with the README's test command", browser.Env)
		}
		t.Skipf("%s not set", browser.Env)
	}
	dir := t.TempDir()
	evilPath := `/<script>alert(1)</script>`
	evilPath2 := `/x\"><img src=x onerror=alert(2)>` // a quote escaped as Apache and nginx write it
	var log strings.Builder
	for i := range 300 {
		day := 2 + i%2
		fmt.Fprintf(&log, "198.51.100.%d - - [%02d/Apr/2025:%02d:%02d:00 +0000] \"GET /page/%d HTTP/1.1\" 200 %d \"https://www.example.com/\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\"\n",
			i%50, day, i%24, i%60, i%7, 1000+i)
	}
	for i := range 40 {
		fmt.Fprintf(&log, "203.0.113.%d - - [02/Apr/2025:12:%02d:00 +0000] \"GET %s HTTP/1.1\" 404 12 \"https://evil.example\\\"><svg onload=alert(3)>/\" \"<script>alert(4)</script>\"\n", i%5, i, evilPath)
		fmt.Fprintf(&log, "203.0.113.%d - - [03/Apr/2025:12:%02d:00 +0000] \"GET %s HTTP/1.1\" 200 12 \"javascript:alert(5)\" \"Mozilla/5.0 (compatible; <img src=x onerror=alert(6)>bot/1.0)\"\n", i%5, i, evilPath2)
	}
	logFile := filepath.Join(dir, "access.log")
	os.WriteFile(logFile, []byte(log.String()), 0o644)
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Data = data
	h := newHandler(t, cfg)
	ctx := context.Background()
	sum, err := ingest.Run(ctx, h.engine, []ingest.Source{{Path: logFile, Identity: logFile, Size: int64(log.Len())}},
		ingest.Options{Root: storage.Folder(data), Company: "1690", Format: "combined", TimeZone: time.UTC}, nil)
	if err != nil || sum.FailedSources != 0 || sum.RowsWritten != 380 {
		t.Fatalf("ingest: %v %+v", err, sum)
	}
	d, err := h.Dashboard(ctx, "1690", day("2025-04-02"), day("2025-04-03"))
	if err != nil {
		t.Fatal(err)
	}
	file, size, err := dashboard.WriteTemp(d, "en", dir)
	if err != nil {
		t.Fatal(err)
	}
	if size > 300<<10 {
		t.Errorf("page of %d bytes", size)
	}

	bctx, events, stop, err := browser.Start(ctx, chromium, filepath.Join(dir, "profile"))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	bctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()
	url := "file://" + file
	shots := os.Getenv("LAMBDUCK_SCREENSHOTS") // a folder to keep them in; else the test's own
	if shots == "" {
		shots = dir
	}
	for _, size := range [][2]int64{{1280, 800}, {390, 844}} {
		shot, err := browser.Screenshot(bctx, url, size[0], size[1])
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(shots, fmt.Sprintf("dashboard-%dx%d.png", size[0], size[1]))
		os.WriteFile(name, shot, 0o644)
		if colours := distinctColours(t, shot); colours < 8 {
			t.Errorf("%s: %d colours: blank", name, colours)
		}
		t.Logf("screenshot %s", name)
	}
	requests, console, dialogs := events.Snapshot()
	for _, r := range requests {
		if r != url {
			t.Errorf("the page requested %s", r)
		}
	}
	if len(console) != 0 || len(dialogs) != 0 || len(requests) == 0 {
		t.Errorf("console %q, dialogs %q, requests %q", console, dialogs, requests)
	}

	// What the page shows, read from the DOM.
	type shown struct {
		Cards  map[string]string
		Paths  [][]string
		Text   string
		Svgs   int
		Tables int
	}
	read := func() shown {
		t.Helper()
		got, err := chromedp.Run(bctx, chromedp.Evaluate[shown](`({
			Cards: Object.fromEntries([...document.querySelectorAll('[data-figure]')].map(c => [c.dataset.figure, c.querySelector('.v').title])),
			Paths: [...document.querySelectorAll('[data-panel=top_paths] tr')].slice(1).map(r => [...r.cells].map(c => c.textContent)),
			Text: document.body.innerText,
			Svgs: document.querySelectorAll('svg rect').length,
			Tables: document.querySelectorAll('table tr').length,
		})`))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read()
	s := d.Summary
	for k, v := range map[string]int64{"hits": s.Hits, "unique_visitors": s.UniqueVisitors, "bandwidth": s.Bandwidth,
		"unique_paths": s.UniquePaths, "not_found_hits": s.NotFoundHits, "error_hits": s.ErrorHits} {
		if got.Cards[k] != commas(v) {
			t.Errorf("card %s: %q, JSON %d", k, got.Cards[k], v)
		}
	}
	if len(got.Paths) != len(d.TopPaths) {
		t.Fatalf("top paths on the page %v, JSON %v", got.Paths, d.TopPaths)
	}
	for i, p := range d.TopPaths {
		if got.Paths[i][0] != p.Path || got.Paths[i][1] != commas(p.Hits) || got.Paths[i][2] != commas(p.UniqueVisitors) {
			t.Errorf("top path %d: page %q, JSON %+v", i, got.Paths[i], p)
		}
	}
	for _, text := range []string{evilPath, `"><img src=x onerror=alert(2)>`, `"><svg onload=alert(3)>`} {
		if !strings.Contains(got.Text, text) {
			t.Errorf("the page does not show %q as text", text)
		}
	}

	// Printed: the same cards, charts and tables, on A4 pages.
	if _, err := chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	printed := read()
	if printed.Svgs != got.Svgs || printed.Tables != got.Tables || len(printed.Cards) != 6 {
		t.Errorf("printed: %d chart rects, %d table rows, %d cards", printed.Svgs, printed.Tables, len(printed.Cards))
	}
	pdf, err := chromedp.Run(bctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) || len(pdf) < 10000 {
		t.Errorf("printing: %v, %d bytes", err, len(pdf))
	}
	os.WriteFile(filepath.Join(shots, "dashboard.pdf"), pdf, 0o644)
	chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})

	// The recorder hears what a page that does run something does.
	if err := chromedp.Do(bctx, chromedp.Navigate(`data:text/html,<script>console.log("heard");alert("heard")</script>`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, console, dialogs := events.Snapshot(); len(console) == 0 || len(dialogs) == 0 {
		t.Errorf("a page that logs and alerts: console %q, dialogs %q", console, dialogs)
	}

	// With JavaScript off the page is the same page.
	if _, err := chromedp.Call(bctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	// Evaluate runs in DevTools' own context even with page scripts off.
	off := read()
	if off.Svgs == 0 || off.Svgs != got.Svgs || off.Tables != got.Tables || len(off.Cards) != 6 {
		t.Errorf("without JavaScript: %d chart rects, %d table rows, %d cards; with: %d, %d", off.Svgs, off.Tables, len(off.Cards), got.Svgs, got.Tables)
	}
}

// commas writes n as the page's English numbers do.
func commas(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func distinctColours(t *testing.T, b []byte) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[4]uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 7 {
		for x := r.Min.X; x < r.Max.X; x += 7 {
			c1, c2, c3, c4 := img.At(x, y).RGBA()
			seen[[4]uint32{c1, c2, c3, c4}] = true
		}
	}
	return len(seen)
}
