package dashboard

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
)

// Values from the internet are text on the page, never markup: a path,
// referring site or method that carries a script, an attribute breakout or
// a javascript: URL shows as the characters it is, and the page holds no
// script, no link and nothing fetched from anywhere.
func TestPageEscapesWhatTheLogsSay(t *testing.T) {
	evil := []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(2)>`, `javascript:alert(3)`, `</title><svg onload=alert(4)>`}
	d := &Data{CompanyID: "1690", StartDate: "2025-04-01", EndDate: "2025-04-02", PreviousStart: "2025-03-30", PreviousEnd: "2025-03-31",
		Summary: Summary{Hits: 12345, UniqueVisitors: 678, Bandwidth: 9 << 20}, Previous: Summary{Hits: 10000},
		Daily:  []Day{{Date: "2025-04-01", Hits: 6000, PreviousDate: "2025-03-30", PreviousHits: 5000}, {Date: "2025-04-02", Hits: 6345}},
		Hourly: []Hour{{Hour: 0, Hits: 1}, {Hour: 23, Hits: 5}}, Heatmap: []Cell{{DayOfWeek: 2, Hour: 3, Hits: 4}}}
	for _, e := range evil {
		d.TopPaths = append(d.TopPaths, Path{Path: e, Hits: 1})
		d.NotFound = append(d.NotFound, NotFound{Path: e, Hits: 1})
		d.Referrers = append(d.Referrers, Named{Name: e, Hits: 1})
		d.Methods = append(d.Methods, Named{Name: e, Hits: 1})
	}
	for _, lang := range Langs {
		var b bytes.Buffer
		if err := HTML(&b, d, lang); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		// Every tag is one the template writes, and no tag has an event
		// handler or a URL attribute.
		allowed := map[string]bool{"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "main": true,
			"h1": true, "h2": true, "p": true, "section": true, "div": true, "b": true, "svg": true, "rect": true, "polyline": true,
			"text": true, "table": true, "tr": true, "th": true, "td": true, "footer": true}
		for _, m := range regexp.MustCompile(`<([A-Za-z][A-Za-z0-9]*)([^>]*)>`).FindAllStringSubmatch(page, -1) {
			if !allowed[strings.ToLower(m[1])] || regexp.MustCompile(`(?i)\s(on\w+|src|href|xlink:href)\s*=`).MatchString(m[2]) {
				t.Errorf("%s: markup from the data: %q", lang, m[0])
			}
		}
		if strings.Contains(page, "@import") || strings.Contains(page, "url(") {
			t.Errorf("%s: the style fetches something", lang)
		}
		if !strings.Contains(html.UnescapeString(page), `http-equiv="Content-Security-Policy" content="`+CSP+`"`) {
			t.Errorf("%s: no Content-Security-Policy", lang)
		}
		for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;", "javascript:alert(3)"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the page lacks %q", lang, want)
			}
		}
		if regexp.MustCompile(`https?://`).MatchString(page) {
			t.Errorf("%s: the page names a URL", lang)
		}
	}
	var b bytes.Buffer
	if err := HTML(&b, d, "fr"); err == nil {
		t.Error("an unknown language is an error")
	}
}

func TestPolicyForbidsFetching(t *testing.T) {
	if !strings.HasPrefix(CSP, "default-src 'none';") || strings.Contains(CSP, "script-src") {
		t.Errorf("CSP %q", CSP)
	}
}

func TestNumbersAndDatesForTheLanguage(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{short(12345, "en"), "12.3k"}, {short(12345, "ja"), "1.2万"}, {short(999, "en"), "999"},
		{short(4_500_000, "en"), "4.5M"}, {short(340_000_000, "ja"), "3.4億"}, {number(1234567, "en"), "1,234,567"},
		{date("2025-04-01", "ja"), "2025年4月1日"}, {date("2025-04-01", "en"), "2025-04-01"},

		{delta(110, 100), "+10.0%"}, {delta(90, 100), "-10.0%"}, {delta(0, 0), "±0%"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// User agents as real clients send them: people by browser and system,
// bots, scanners and HTTP libraries apart under their own names.
func TestUserAgents(t *testing.T) {
	for ua, want := range map[string][3]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36":                         {"Chrome", "Windows", ""},
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1": {"Safari", "iOS", ""},
		"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0":                                                                  {"Firefox", "Linux", ""},
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)":                                                                {"", "", "Googlebot"},
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)":                                                                 {"", "", "bingbot"},
		"curl/8.5.0":             {"", "", "curl"},
		"python-requests/2.31.0": {"", "", "python-requests"},
		"-":                      {Other, Other, ""},
		"":                       {Other, Other, ""},
	} {
		b, s, c := ClassifyAgent(ua)
		if [3]string{b, s, c} != want {
			t.Errorf("%q: %q %q %q, want %q", ua, b, s, c, want)
		}
	}
}

// A company-month page stays under 300 KB even with every list full and
// long values: its size is bounded by the panels' limits, not the traffic.
func TestMonthPageSize(t *testing.T) {
	d := &Data{CompanyID: "1690", StartDate: "2025-03-01", EndDate: "2025-03-31", PreviousStart: "2025-01-29", PreviousEnd: "2025-02-28"}
	long := func(i int) string { return "/" + strings.Repeat("segment/", 100) + strings.Repeat("x", i) } // 800+ bytes
	for i := range 31 {
		d.Daily = append(d.Daily, Day{Date: fmt.Sprintf("2025-03-%02d", i+1), Hits: int64(1e6 + i), UniqueVisitors: 1e5, PreviousDate: "2025-02-01", PreviousHits: 9e5})
	}
	for h := range 24 {
		d.Hourly = append(d.Hourly, Hour{Hour: int64(h), Hits: 1e6, UniqueVisitors: 1e5})
		for dow := 1; dow <= 7; dow++ {
			d.Heatmap = append(d.Heatmap, Cell{DayOfWeek: int64(dow), Hour: int64(h), Hits: 1e5})
		}
	}
	for s := 100; s < 600; s += 7 {
		d.StatusCodes = append(d.StatusCodes, Status{Status: int64(s), Hits: 1e5})
	}
	for i := range DefaultLimit {
		p := Path{Path: long(i), Hits: 1e6, UniqueVisitors: 1e5, Bandwidth: 1e9}
		d.TopPaths, d.StaticFiles = append(d.TopPaths, p), append(d.StaticFiles, p)
		d.NotFound = append(d.NotFound, NotFound{Path: long(i), Hits: 1e5})
		d.Referrers = append(d.Referrers, Named{Name: long(i)[:200], Hits: 1e5})
		g := Group{Name: long(i)[:100], Hits: 1e6, UniqueVisitors: 1e5}
		d.Browsers, d.Systems, d.Crawlers, d.Countries, d.Networks = append(d.Browsers, g), append(d.Systems, g), append(d.Crawlers, g), append(d.Countries, g), append(d.Networks, g)
	}
	rows := [][]any{}
	for range PanelRows {
		rows = append(rows, []any{"2025-03-01", long(1)[:200], int64(123456)})
	}
	d.Panels = []Panel{{Report: "mine", Title: "Mine", Columns: []string{"date", "what", "hits"}, Rows: rows}}
	var b bytes.Buffer
	if err := HTML(&b, d, "ja"); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 300<<10 {
		t.Errorf("a full month's page is %d bytes", b.Len())
	}
	t.Logf("%d bytes", b.Len())
}

// A company with no data in the range: the page says so, in its language,
// above the cards of zeros; with data it says nothing of the kind.
func TestPageSaysNoData(t *testing.T) {
	d := &Data{CompanyID: "9", StartDate: "2025-04-01", EndDate: "2025-04-02", PreviousStart: "2025-03-30", PreviousEnd: "2025-03-31", NoData: true}
	for lang, want := range map[string]string{"en": "No data was found for this company in this range", "ja": "この会社・期間のデータは見つかりませんでした"} {
		var b bytes.Buffer
		if err := HTML(&b, d, lang); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), `data-warning="no-data">`+want) || strings.Index(b.String(), "no-data") > strings.Index(b.String(), `class="cards"`) {
			t.Errorf("%s: no notice before the cards", lang)
		}
	}
	d.NoData = false
	var b bytes.Buffer
	if err := HTML(&b, d, "en"); err != nil || strings.Contains(b.String(), "no-data") {
		t.Errorf("a notice without NoData: %v", err)
	}
}
