package report

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseHeader(t *testing.T) {
	r, err := Parse("top_paths", SourceBuiltin, `-- name: top_paths
-- description: Most requested paths
-- param: limit integer default 20
-- param: prefix string default /blog posts
-- param: since date
SELECT path FROM access_logs WHERE path LIKE $prefix || '%' AND date >= $since LIMIT $limit`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Description != "Most requested paths" || !r.NeedsData {
		t.Errorf("description %q, needsData %v", r.Description, r.NeedsData)
	}
	if len(r.Params) != 3 {
		t.Fatalf("params: %+v", r.Params)
	}
	if p := r.Params[0]; p.Name != "limit" || p.Type != Integer || p.Default != int64(20) || p.Required {
		t.Errorf("limit: %+v", p)
	}
	if p := r.Params[1]; p.Default != "/blog posts" {
		t.Errorf("string default with a space: %+v", p)
	}
	if p := r.Params[2]; !p.Required || p.Type != Date {
		t.Errorf("since: %+v", p)
	}
}

func TestParseRejects(t *testing.T) {
	cases := []struct {
		name, text, want string
	}{
		{"wrong_name", "-- name: other\nSELECT 1", "differs from the file name"},
		{"bad_type", "-- param: x float\nSELECT $x", "unknown type"},
		{"bad_default", "-- param: x integer default ten\nSELECT $x", "not an integer"},
		{"undeclared", "SELECT $limit", "does not declare"},
		{"positional", "SELECT $1", "by name"},
		{"question", "SELECT ?", "by name"},
		{"two_statements", "SELECT 1; SELECT 2", "only one statement"},
		{"not_select", "COPY (SELECT 1) TO '/tmp/x'", "SELECT or WITH"},
		{"attach", "ATTACH '/tmp/x.db'", "SELECT or WITH"},
		{"set", "SET enable_external_access = true", "SELECT or WITH"},
		{"reserved_param", "-- param: company_id string\nSELECT 1", "always bound"},
		{"twice", "-- param: a integer\n-- param: a integer\nSELECT $a", "declared twice"},
		{"unknown_key", "-- limit: 5\nSELECT 1", "unknown header key"},
		{"unterminated", "SELECT 'abc", "unterminated"},
		{"Bad-Name", "SELECT 1", "name must match"},
		{"bound_on_string", "-- param: x string min a\nSELECT $x", "a string has no min"},
		{"min_above_max", "-- param: x integer min 5 max 1\nSELECT $x", "min 5 is above max 1"},
		{"default_out_of_bounds", "-- param: x integer default 0 min 1\nSELECT $x", "default: 0 is below the minimum 1"},
		{"bound_no_value", "-- param: x integer default 1 max\nSELECT $x", `"max" needs a value`},
		{"bad_bound", "-- param: x date max soon\nSELECT $x", "max"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.name, "test", c.text)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestScanIgnoresStringsAndComments(t *testing.T) {
	r, err := Parse("x", "test", `-- a comment with $notaparam and ;
SELECT '$alsonot; ' AS a, "$col" AS b, $$ $inside $$ AS c /* $no; */ , 1 AS d;
`)
	if err != nil {
		t.Fatal(err)
	}
	if r.NeedsData {
		t.Error("a report that reads no data and names no company must not need data")
	}
}

func TestNeedsData(t *testing.T) {
	for text, want := range map[string]bool{
		"SELECT count(*) FROM access_logs":            true,
		`SELECT count(*) FROM "ACCESS_LOGS"`:          true,
		"SELECT $company_id AS c":                     true,
		"SELECT 'access_logs' AS not_a_table":         false,
		"WITH t AS (SELECT 1 AS x) SELECT x FROM t":   false,
		"SELECT * FROM range(3) -- access_logs later": false,
	} {
		r, err := Parse("x", "test", text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if r.NeedsData != want {
			t.Errorf("%s: NeedsData = %v, want %v", text, r.NeedsData, want)
		}
	}
}

func TestBind(t *testing.T) {
	r, err := Parse("x", "test", "-- param: limit integer default 20\n-- param: ratio double default 0.5\n-- param: on boolean default false\n-- param: day date\n-- param: q string default a\nSELECT $limit, $ratio, $on, $day, $q")
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Bind(map[string]any{"limit": json.Number("5"), "day": "2025-04-01", "on": true, "ratio": "0.25"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"limit": int64(5), "ratio": 0.25, "on": true, "day": time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), "q": "a"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}

	// null means the default; a required parameter stays required.
	if got, err := r.Bind(map[string]any{"day": "2025-04-01", "limit": nil}); err != nil || got["limit"] != int64(20) {
		t.Errorf("limit null: %v, %v; want the default 20", got["limit"], err)
	}
	if _, err := r.Bind(map[string]any{"day": nil}); err == nil || !strings.Contains(err.Error(), "params.day: required") {
		t.Errorf("day null: %v; want it required", err)
	}

	bad := []struct {
		given map[string]any
		want  string
	}{
		{map[string]any{}, "params.day: required"},
		{map[string]any{"day": "2025-04-01", "limit": true}, "want an integer"},
		{map[string]any{"day": "2025-02-30"}, "params.day"},
		{map[string]any{"day": "2025-04-01", "limit": json.Number("1.5")}, "params.limit"},
		{map[string]any{"day": "2025-04-01", "limit": true}, "params.limit: is a JSON boolean"},
		{map[string]any{"day": "2025-04-01", "limit": "1; DROP TABLE x"}, "params.limit"},
		{map[string]any{"day": "2025-04-01", "on": "maybe"}, "params.on"},
		{map[string]any{"day": "2025-04-01", "ratio": "NaN"}, "params.ratio"},
		{map[string]any{"day": "2025-04-01", "limt": json.Number("5")}, "params.limt: report x has no such parameter"},
		{map[string]any{"day": "2025-04-01", "q": strings.Repeat("a", 5000)}, "params.q"},
	}
	for _, b := range bad {
		_, err := r.Bind(b.given)
		if err == nil || !strings.Contains(err.Error(), b.want) || !errors.As(err, new(*ParamError)) {
			t.Errorf("Bind(%v) = %v, want a ParamError containing %q", b.given, err, b.want)
		}
	}
}

// Bounds from the header are checked with the other parameter checks and
// named in the error: a negative limit is the caller's mistake, not DuckDB's.
func TestBounds(t *testing.T) {
	r, err := Parse("x", "test", "-- param: limit integer default 10 min 1 max 10000\n-- param: ratio double default 0.5 min 0 max 1\n-- param: since date default 2025-01-01 min 2020-01-01\n-- param: q string default a max b\nSELECT $limit, $ratio, $since, $q")
	if err != nil {
		t.Fatal(err)
	}
	if q := r.Params[3]; q.DefaultText() != "a max b" || q.Bounds() != "" {
		t.Errorf("a string's default is the rest of the line: %q, bounds %q", q.DefaultText(), q.Bounds())
	}
	if b := r.Params[0].Bounds(); b != "1…10000" {
		t.Errorf("limit bounds %q", b)
	}
	for _, ok := range []map[string]any{{"limit": json.Number("1")}, {"limit": "10000"}, {"ratio": json.Number("0")}, {"since": "2020-01-01"}} {
		if _, err := r.Bind(ok); err != nil {
			t.Errorf("Bind(%v): %v", ok, err)
		}
	}
	for given, want := range map[string]string{
		`{"limit": -1}`:           "params.limit: -1 is below the minimum 1",
		`{"limit": 0}`:            "params.limit: 0 is below the minimum 1",
		`{"limit": "10001"}`:      "params.limit: 10001 is above the maximum 10000",
		`{"ratio": 1.5}`:          "params.ratio: 1.5 is above the maximum 1",
		`{"since": "2019-12-31"}`: "params.since: 2019-12-31 is below the minimum 2020-01-01",
	} {
		dec := json.NewDecoder(strings.NewReader(given))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		_, err := r.Bind(m)
		if err == nil || err.Error() != want || !errors.As(err, new(*ParamError)) {
			t.Errorf("Bind(%s) = %v, want %q", given, err, want)
		}
	}
}

func TestBuiltinCatalog(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{ // name → needs data
		"hello": false, "sales_cumulative": false,
		"access_summary": true, "access_daily": true, "status_codes": true, "top_paths": true,
		"not_found": true, "referrers": true, "hourly": true,
	}
	for name, needs := range want {
		r, ok := c.Lookup(name)
		if !ok {
			t.Errorf("built-in report %s missing", name)
			continue
		}
		if r.NeedsData != needs || r.Source != SourceBuiltin || r.Description == "" {
			t.Errorf("%s: needsData %v source %q description %q", name, r.NeedsData, r.Source, r.Description)
		}
	}
}

func TestUserReportsAndShadowing(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("mine.sql", "-- description: mine\nSELECT count(*) AS n FROM access_logs")
	write("hello.sql", "SELECT 'hijacked' AS greeting")
	write("notes.txt", "not a report")
	c, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := c.Lookup("mine"); !ok || r.Source != filepath.Join(dir, "mine.sql") {
		t.Errorf("user report not loaded: %+v", r)
	}
	if r, _ := c.Lookup("hello"); r.Source != SourceBuiltin {
		t.Errorf("a user file replaced the built-in hello")
	}
	if len(c.Shadowed) != 1 || !strings.HasSuffix(c.Shadowed[0], "hello.sql") {
		t.Errorf("shadowed = %v", c.Shadowed)
	}

	write("broken.sql", "SELECT $nope")
	if _, err := Load(dir, nil); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("a broken user report must stop the load, got %v", err)
	}
}
