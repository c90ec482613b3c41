package dashboard

import (
	"sort"
	"strings"

	useragent "github.com/medama-io/go-useragent"
)

// Other is the name of user agents (or places) the parser or database does
// not know.
const Other = "Other"

// counts adds hits and visitors by name. Visitors add exactly: a visitor
// is one (client_ip, date, user_agent), so it has one user agent and one
// client IP, hence one browser, one system, one country.
type counts map[string]*Group

func (c counts) add(name string, hits, visitors int64) {
	g := c[name]
	if g == nil {
		g = &Group{Name: name}
		c[name] = g
	}
	g.Hits += hits
	g.UniqueVisitors += visitors
}

// top is the limit largest by hits, then by name.
func (c counts) top(limit int) []Group {
	out := make([]Group, 0, len(c))
	for _, g := range c {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Hits > out[j].Hits || (out[i].Hits == out[j].Hits && out[i].Name < out[j].Name)
	})
	return out[:min(len(out), limit)]
}

// agentCounts files each user agent under its browser and operating system
// (people), or under its crawler's name (bots, scanners, HTTP libraries),
// with medama-io/go-useragent.
type agentCounts struct {
	parser                      *useragent.Parser
	browsers, systems, crawlers counts
}

func newAgentCounts() *agentCounts {
	return &agentCounts{parser: useragent.NewParser(), browsers: counts{}, systems: counts{}, crawlers: counts{}}
}

func (a *agentCounts) add(ua string, hits, visitors int64) {
	browser, system, crawler := classify(a.parser, ua)
	if crawler != "" {
		a.crawlers.add(crawler, hits, visitors)
		return
	}
	a.browsers.add(browser, hits, visitors)
	a.systems.add(system, hits, visitors)
}

// ClassifyAgent names a user agent's browser and operating system (Other
// when unknown), or, for a bot, its crawler (and no browser or system).
func ClassifyAgent(ua string) (browser, system, crawler string) {
	return classify(useragent.NewParser(), ua)
}

func classify(p *useragent.Parser, ua string) (browser, system, crawler string) {
	a := p.Parse(ua)
	if a.IsBot() {
		return "", "", crawlerName(ua)
	}
	browser, system = string(a.Browser()), string(a.OS())
	if browser == "" {
		browser = Other
	}
	if system == "" {
		system = Other
	}
	return browser, system, ""
}

// crawlerName is the product a bot's user agent names: the token after
// "compatible;" (Mozilla/5.0 (compatible; Googlebot/2.1; …) → Googlebot),
// else its first product (curl/8.5.0 → curl).
func crawlerName(ua string) string {
	s := ua
	if _, after, ok := strings.Cut(ua, "compatible;"); ok {
		s = after
	}
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "/;() "); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return Other
	}
	return s
}
