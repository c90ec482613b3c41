package handler

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"lambduck/internal/engine"
	"lambduck/internal/request"
)

// Close leaves nothing behind: no DuckDB instance (neither the one kept for
// the next request nor the spare) and nothing in scratch.
func TestCloseLeavesNoInstanceOrScratch(t *testing.T) {
	before := engine.LiveInstances()
	cfg := testConfig(t)
	cfg.Output = t.TempDir()
	h := newHandler(t, cfg)
	for _, ev := range []string{seedEvent, seedEvent, `{"report": "hello"}`,
		`{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-01", "report": "status_codes", "format": "csv"}`} {
		if status, b := call(t, h, ev); status != 200 {
			t.Fatalf("%s: %d %s", ev, status, b.Error)
		}
	}
	if engine.LiveInstances() <= before {
		t.Fatal("no instance open after four requests: the check below would prove nothing")
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if n := engine.LiveInstances(); n != before {
		t.Errorf("%d DuckDB instances open after Close, %d before the handler", n, before)
	}
	if left, err := os.ReadDir(cfg.Scratch); err != nil || len(left) != 0 {
		t.Errorf("scratch after Close: %v %v", left, err)
	}
}

// The inline limit is on the whole response as Lambda returns it, the body
// escaped inside it: a result whose response is exactly the limit stays
// inline, one byte more is exported. Each '"' of the result costs 4 bytes
// there (\\\" inside the body string), so a limit counted on raw rows or on
// the body alone would get both cases wrong.
func TestInlineLimitAtItsEdge(t *testing.T) {
	reports := t.TempDir()
	if err := os.WriteFile(filepath.Join(reports, "quotes.sql"),
		[]byte("-- param: n integer default 1\nSELECT repeat('\"', $n) AS s"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Reports, cfg.Output = reports, t.TempDir()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "edge"})
	fixed := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	size := func(limit int) (inline bool, responseBytes int) {
		t.Helper()
		c := cfg
		c.InlineBytes = limit
		h := newHandler(t, c)
		h.now = func() time.Time { return fixed } // duration_ms is 0: the size is exact
		defer h.Close()
		resp := h.Handle(ctx, []byte(`{"report": "quotes", "params": {"n": 1000}}`))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, resp.Body)
		}
		var b struct {
			Data     [][]string `json:"data"`
			Location string     `json:"location"`
		}
		if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
			t.Fatal(err)
		}
		whole, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		if (b.Location == "") != (b.Data != nil) {
			t.Fatalf("inline and exported at once: %s", resp.Body)
		}
		return b.Location == "", len(whole)
	}
	inline, exact := size(6_000_000)
	if !inline || exact < 4000 {
		t.Fatalf("under a large limit: inline %v, %d bytes", inline, exact)
	}
	if inline, n := size(exact); !inline || n != exact {
		t.Errorf("a response of exactly the limit (%d bytes): inline %v, %d bytes", exact, inline, n)
	}
	if inline, _ := size(exact - 1); inline {
		t.Errorf("a response one byte over the limit (%d) stayed inline", exact-1)
	}
}

// The typed core answers without any JSON in between: rows are values.
func TestAnswerIsTyped(t *testing.T) {
	h := newHandler(t, testConfig(t))
	defer h.Close()
	req, err := request.Decode([]byte(`{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-01", "report": "access_daily"}`), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Answer(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0][0] != "2025-04-01" || res.Rows[0][1] != int64(700) || res.RowCount != 1 {
		t.Errorf("rows %#v", res.Rows)
	}
	if _, err := h.Answer(context.Background(), &request.Request{Report: "nope", Format: "json"}); Status(err) != http.StatusNotFound {
		t.Errorf("unknown report: %v (%d)", err, Status(err))
	}
}
