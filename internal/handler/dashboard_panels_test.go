package handler

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"lambduck/internal/dashboard"
)

// writeMMDB writes a MaxMind-format database of kind (GeoLite2-Country or
// GeoLite2-ASN) holding nets → record, as MaxMind's own writer does.
func writeMMDB(t *testing.T, path, kind string, nets map[string]mmdbtype.Map) {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: kind, IncludeReservedNetworks: true, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range nets {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Insert(n, rec); err != nil {
			t.Fatal(cidr, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
}

// The browser, system, crawler, file-kind, country and network panels add
// up per user agent and per client IP exactly as the rows do: each panel
// equals a plain SQL count over the same range, classified by the same
// library and databases; without a GeoIP database the two places panels
// are absent.
func TestDashboardAgentsFilesAndPlaces(t *testing.T) {
	dir := t.TempDir()
	country := func(code string) mmdbtype.Map {
		return mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(code)}}
	}
	writeMMDB(t, filepath.Join(dir, "country.mmdb"), "GeoLite2-Country", map[string]mmdbtype.Map{
		"0.0.0.0/1": country("US"), "128.0.0.0/2": country("JP"), "2000::/3": country("DE")})
	writeMMDB(t, filepath.Join(dir, "asn.mmdb"), "GeoLite2-ASN", map[string]mmdbtype.Map{
		"0.0.0.0/1": {"autonomous_system_number": mmdbtype.Uint32(15169), "autonomous_system_organization": mmdbtype.String("Google LLC")}})
	reports := filepath.Join(dir, "reports")
	os.Mkdir(reports, 0o755)
	os.WriteFile(filepath.Join(reports, "by_agent.sql"), []byte("-- name: by_agent\n-- description: test\n"+
		"SELECT user_agent, count(*) AS hits, count(DISTINCT (client_ip, date, user_agent)) FILTER (WHERE status NOT BETWEEN 400 AND 499) AS unique_visitors FROM access_logs GROUP BY ALL\n"), 0o644)
	os.WriteFile(filepath.Join(reports, "by_client.sql"), []byte("-- name: by_client\n-- description: test\n"+
		"SELECT client_ip, count(*) AS hits, count(DISTINCT (client_ip, date, user_agent)) FILTER (WHERE status NOT BETWEEN 400 AND 499) AS unique_visitors FROM access_logs GROUP BY ALL\n"), 0o644)
	os.WriteFile(filepath.Join(reports, "by_path.sql"), []byte("-- name: by_path\n-- description: test\n"+
		"SELECT path, count(*) AS hits, coalesce(sum(bytes), 0)::BIGINT AS bandwidth FROM access_logs GROUP BY ALL\n"), 0o644)

	os.WriteFile(filepath.Join(reports, "methods_by_day.sql"), []byte("-- name: methods_by_day\n-- description: test\n-- dashboard: <b>Methods</b> by day\n"+
		"SELECT date, method, count(*) AS hits FROM access_logs GROUP BY ALL ORDER BY date, method\n"), 0o644)
	cfg := testConfig(t)
	cfg.Reports = reports
	h := newHandler(t, cfg)
	ctx := context.Background()
	plain, err := h.Dashboard(ctx, "1690", day("2025-04-02"), day("2025-04-05"))
	if err != nil {
		t.Fatal(err)
	}
	if plain.Countries != nil || plain.Networks != nil {
		t.Errorf("without a database: countries %v, networks %v", plain.Countries, plain.Networks)
	}
	cfg.GeoIP = []string{filepath.Join(dir, "country.mmdb"), filepath.Join(dir, "asn.mmdb")}
	h = newHandler(t, cfg)
	d, err := h.Dashboard(ctx, "1690", day("2025-04-02"), day("2025-04-05"))
	if err != nil {
		t.Fatal(err)
	}
	rng := `"company_id": "1690", "start_date": "2025-04-02", "end_date": "2025-04-05"`
	rows := func(name string) [][]any {
		_, b := call(t, h, `{"report": "`+name+`", `+rng+`}`)
		if b.Error != "" {
			t.Fatal(b.Error)
		}
		return b.Data
	}
	type hv struct{ hits, visitors int64 }
	add := func(m map[string]hv, k string, r []any) {
		x := m[k]
		x.hits += int64(r[1].(float64))
		x.visitors += int64(r[2].(float64))
		m[k] = x
	}
	check := func(what string, got []dashboard.Group, want map[string]hv) {
		t.Helper()
		if len(got) == 0 || len(got) > dashboard.DefaultLimit {
			t.Errorf("%s: %d rows", what, len(got))
		}
		for _, g := range got {
			if w := want[g.Name]; w.hits != g.Hits || w.visitors != g.UniqueVisitors {
				t.Errorf("%s %q: %d hits %d visitors, want %d %d", what, g.Name, g.Hits, g.UniqueVisitors, w.hits, w.visitors)
			}
		}
		for i := 1; i < len(got); i++ {
			if got[i].Hits > got[i-1].Hits {
				t.Errorf("%s: not by hits: %v", what, got)
			}
		}
	}
	browsers, systems, crawlers := map[string]hv{}, map[string]hv{}, map[string]hv{}
	for _, r := range rows("by_agent") {
		ua, _ := r[0].(string)
		b, s, c := dashboard.ClassifyAgent(ua)
		if c != "" {
			add(crawlers, c, r)
		} else {
			add(browsers, b, r)
			add(systems, s, r)
		}
	}
	check("browsers", d.Browsers, browsers)
	check("systems", d.Systems, systems)
	check("crawlers", d.Crawlers, crawlers)
	if len(crawlers) == 0 || len(browsers) < 3 {
		t.Errorf("the test data has browsers %v and crawlers %v", browsers, crawlers)
	}

	countries, networks := map[string]hv{}, map[string]hv{}
	for _, r := range rows("by_client") {
		ip := r[0].(string)
		c, n := "Other", "Other"
		if a := net.ParseIP(ip); a != nil && a.To4() != nil && a.To4()[0] < 128 {
			c, n = "US", "AS15169 Google LLC"
		} else if a != nil && a.To4() != nil && a.To4()[0] < 192 {
			c = "JP"
		} else if a != nil && a.To4() == nil && a[0]&0xe0 == 0x20 {
			c = "DE"
		}
		add(countries, c, r)
		add(networks, n, r)
	}
	check("countries", d.Countries, countries)
	check("networks", d.Networks, networks)
	if len(countries) < 2 {
		t.Errorf("the test data's clients fall in %v", countries)
	}

	// A user's report marked for the dashboard is a panel with its rows.
	want := rows("methods_by_day")
	if len(d.Panels) != 1 || d.Panels[0].Title != "<b>Methods</b> by day" || len(d.Panels[0].Rows) != len(want) || len(want) < 4 ||
		strings.Join(d.Panels[0].Columns, ",") != "date,method,hits" || d.Panels[0].More {
		t.Fatalf("panels %+v, want the rows %v", d.Panels, want)
	}
	for i, r := range d.Panels[0].Rows {
		if fmt.Sprint(r[1], r[2]) != fmt.Sprint(want[i][1], want[i][2]) {
			t.Errorf("panel row %d: %v, want %v", i, r, want[i])
		}
	}
	var page strings.Builder
	if err := dashboard.HTML(&page, d, "en"); err != nil || !strings.Contains(page.String(), "&lt;b&gt;Methods&lt;/b&gt; by day") {
		t.Errorf("the page lacks the panel's title as text: %v", err)
	}

	// Static files as GoAccess's default list has them, against pages.
	static := regexp.MustCompile(dashboard.StaticPattern)
	kinds := map[string]dashboard.Kind{}
	top := map[string][2]int64{}
	for _, r := range rows("by_path") {
		p := r[0].(string)
		k := "pages"
		if static.MatchString(p) {
			k = "static"
			top[p] = [2]int64{int64(r[1].(float64)), int64(r[2].(float64))}
		}
		x := kinds[k]
		x.Kind, x.Hits, x.Bandwidth, x.UniquePaths = k, x.Hits+int64(r[1].(float64)), x.Bandwidth+int64(r[2].(float64)), x.UniquePaths+1
		kinds[k] = x
	}
	if len(d.Kinds) != 2 || d.Kinds[0] != kinds["pages"] || d.Kinds[1] != kinds["static"] {
		t.Errorf("files %v, want %v", d.Kinds, kinds)
	}
	if len(d.StaticFiles) != min(len(top), dashboard.DefaultLimit) {
		t.Errorf("static files %v of %v", d.StaticFiles, top)
	}
	for _, f := range d.StaticFiles {
		if w := top[f.Path]; w[0] != f.Hits || w[1] != f.Bandwidth || !strings.Contains(f.Path, ".") {
			t.Errorf("static file %v, want %v", f, w)
		}
	}
}
