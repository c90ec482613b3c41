package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"lambduck/internal/layout"
	"lambduck/internal/report"
)

// workerPool answers shard invocations in-process with a worker handler,
// one call at a time (as one Lambda sandbox does). fault, when set, may
// replace an invocation's outcome: it gets the call's number (from 1) and
// the shard's start date.
type workerPool struct {
	h     *Handler
	mu    sync.Mutex
	calls atomic.Int64
	fault func(n int64, start string) ([]byte, error, bool)
}

func (w *workerPool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	n := w.calls.Add(1)
	var ev struct {
		StartDate string `json:"start_date"`
	}
	json.Unmarshal(payload, &ev)
	if w.fault != nil {
		if out, err, ok := w.fault(n, ev.StartDate); ok {
			return out, err
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.h.Invoke(ctx, payload)
}

// fanOutPair is a coordinator whose shards go to an in-process worker; both
// share the data and an output root.
func fanOutPair(t *testing.T, workerInline int) (*Handler, *workerPool, string) {
	t.Helper()
	out := t.TempDir()
	cfg := testConfig(t)
	cfg.Output = out
	coord := newHandler(t, cfg)
	t.Cleanup(func() { coord.Close() })
	wcfg := testConfig(t)
	wcfg.Output = out
	if workerInline > 0 {
		wcfg.InlineBytes = workerInline
	}
	worker := newHandler(t, wcfg)
	t.Cleanup(func() { worker.Close() })
	pool := &workerPool{h: worker}
	coord.invoker = pool
	return coord, pool, out
}

// rawData is the answer's status, its "data" exactly as written, and its stats.
func rawData(t *testing.T, h *Handler, event string) (int, string, Stats, string) {
	t.Helper()
	resp := h.Handle(context.Background(), []byte(event))
	var b struct {
		Data  json.RawMessage `json:"data"`
		Stats Stats           `json:"stats"`
		Error string          `json:"error"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
		t.Fatalf("%v: %s", err, resp.Body)
	}
	if os.Getenv("DEBUGBODY") != "" {
		t.Log(resp.Body)
	}
	return resp.StatusCode, string(b.Data), b.Stats, b.Error
}

// partialsLeft lists what is left under the output root's _partials/.
func partialsLeft(t *testing.T, out string) []string {
	t.Helper()
	var left []string
	filepath.WalkDir(filepath.Join(out, "_partials"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	return left
}

func TestFanOutEqualsOneInvocation(t *testing.T) {
	// The worker's small inline limit sends the larger parts through the
	// output root as Parquet; the small ones come back inline.
	coord, pool, out := fanOutPair(t, 4096)
	merged := 0
	for _, rep := range coord.Catalog().All() {
		if rep.Merge == nil {
			continue
		}
		merged++
		params := `{}`
		if rep.Merge.Limit != "" {
			params = `{"limit": 7}`
		}
		for _, company := range []string{"1690", "2001"} {
			ev := func(workers int) string {
				return fmt.Sprintf(`{"company_id":%q,"start_date":"2025-03-28","end_date":"2025-04-05","report":%q,"params":%s,"workers":%d}`,
					company, rep.Name, params, workers)
			}
			status, single, st, msg := rawData(t, coord, ev(1))
			if status != 200 || st.Shards != 1 || len(single) < 3 {
				t.Fatalf("%s single: %d %s %+v", rep.Name, status, msg, st)
			}
			for _, n := range []int{2, 3, 7} {
				before := pool.calls.Load()
				status, data, st, msg := rawData(t, coord, ev(n))
				if status != 200 {
					t.Fatalf("%s over %d shards: %d %s", rep.Name, n, status, msg)
				}
				if data != single {
					t.Errorf("%s %s over %d shards:\n%s\nwant (one invocation)\n%s", rep.Name, company, n, data, single)
				}
				// A loaded machine may start straggler duplicates: each is one more call.
				if st.Shards != n || pool.calls.Load()-before != int64(n+st.Duplicates) || st.Retries != 0 {
					t.Errorf("%s over %d: stats %+v, %d calls", rep.Name, n, st, pool.calls.Load()-before)
				}
			}
		}
	}
	if merged < 7 {
		t.Errorf("%d built-in reports declare a merge, want every access report (7)", merged)
	}
	if left := partialsLeft(t, out); len(left) > 0 {
		t.Errorf("parts left in the output root: %v", left)
	}
	// Parquet parts were used: top_paths' whole shard of paths does not fit 4 KB.
	if pool.h.cfg.InlineBytes != 4096 {
		t.Fatal("worker inline limit not applied")
	}
}

func TestFanOutWhenAndWhenNot(t *testing.T) {
	coord, pool, _ := fanOutPair(t, 0)
	ev := `{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-01","workers":7}`
	if status, _, st, _ := rawData(t, coord, ev); status != 200 || st.Shards != 1 || pool.calls.Load() != 0 ||
		!strings.Contains(st.NotSplit, "one-day") {
		t.Errorf("a one-day request: %d %+v, %d calls", status, st, pool.calls.Load())
	}
	// A small request never fans out on its own; a large one does.
	ev = `{"company_id":"1690","start_date":"2025-03-28","end_date":"2025-04-05"}`
	if status, _, st, _ := rawData(t, coord, ev); status != 200 || st.Shards != 1 || pool.calls.Load() != 0 {
		t.Errorf("a small request: %d %+v", status, st)
	}
	_, size := filesUnder(t, "1690", "2025-03-28", "2025-03-29", "2025-03-30", "2025-03-31", "2025-04-01", "2025-04-02", "2025-04-03", "2025-04-04", "2025-04-05")
	coord.cfg.FanoutBytes = size / 3
	if status, _, st, _ := rawData(t, coord, ev); status != 200 || st.Shards != 4 || st.Workers != 4 {
		t.Errorf("over LAMBDUCK_FANOUT_BYTES (%d of %d): %d %+v", coord.cfg.FanoutBytes, size, status, st)
	}
	// A report that declares no merge is never split, and says so.
	user := t.TempDir()
	os.WriteFile(filepath.Join(user, "mine.sql"), []byte("SELECT count(*) AS n FROM access_logs"), 0o644)
	coord.catalog = loadCatalog(t, user)
	calls := pool.calls.Load()
	ev = `{"company_id":"1690","start_date":"2025-03-28","end_date":"2025-04-05","report":"mine","workers":3}`
	if status, _, st, _ := rawData(t, coord, ev); status != 200 || st.Shards != 1 || pool.calls.Load() != calls ||
		!strings.Contains(st.NotSplit, "declares no merge") {
		t.Errorf("a report without a merge: %d %+v", status, st)
	}
	// Without a function to invoke nothing fans out.
	coord.invoker = nil
	ev = `{"company_id":"1690","start_date":"2025-03-28","end_date":"2025-04-05","workers":3}`
	if status, _, st, _ := rawData(t, coord, ev); status != 200 || st.Shards != 1 || !strings.Contains(st.NotSplit, "LAMBDUCK_FUNCTION") {
		t.Errorf("no function: %d %+v", status, st)
	}
}

func TestSplitDays(t *testing.T) {
	days := layout.Days(day("2025-04-01"), day("2025-04-10"))
	for _, c := range []struct {
		weights []int64
		n       int
		want    string
	}{
		{[]int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 2, "01…05 06…10"},
		{[]int64{9, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 2, "01…01 02…10"},
		{[]int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 3, "01…04 05…07 08…10"},
		{[]int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 50}, 3, "01…08 09…09 10…10"},
		{[]int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 10, "01…01 02…02 03…03 04…04 05…05 06…06 07…07 08…08 09…09 10…10"},
	} {
		var got []string
		for _, s := range splitDays(days, c.weights, c.n) {
			got = append(got, s.From.Format("02")+"…"+s.To.Format("02"))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%v into %d: %v, want %s", c.weights, c.n, got, c.want)
		}
	}
}

func TestFanOutFaults(t *testing.T) {
	coord, pool, out := fanOutPair(t, 4096)
	ev := `{"company_id":"1690","start_date":"2025-03-28","end_date":"2025-04-05","report":"top_paths","params":{"limit":5},"workers":%d}`
	_, single, _, _ := rawData(t, coord, fmt.Sprintf(ev, 1))

	// A failing first attempt and a throttled one are retried.
	pool.fault = func(n int64, start string) ([]byte, error, bool) {
		switch n {
		case 1:
			return nil, &FunctionError{Kind: "Unhandled", Payload: `{"errorMessage":"signal: killed"}`}, true
		case 2:
			return nil, &types.TooManyRequestsException{}, true
		}
		return nil, nil, false
	}
	status, data, st, msg := rawData(t, coord, fmt.Sprintf(ev, 3))
	if status != 200 || data != single || st.Retries != 2 {
		t.Errorf("after a crash and a throttle: %d %s %+v %s", status, msg, st, coord.Handle(context.Background(), []byte(fmt.Sprintf(ev, 3))).Body)
	}

	// A shard whose worker fails every attempt fails the request with 502
	// naming its dates; the parts of the others are removed.
	pool.calls.Store(0)
	pool.fault = func(n int64, start string) ([]byte, error, bool) {
		if start == "2025-03-28" {
			return nil, &FunctionError{Kind: "Unhandled", Payload: `{"errorType":"Runtime.OutOfMemory"}`}, true
		}
		return nil, nil, false
	}
	status, data, st, msg = rawData(t, coord, fmt.Sprintf(ev, 3))
	if status != 502 || !strings.Contains(msg, "shard 2025-03-28…2025-03-3") || !strings.Contains(msg, "3 attempts") {
		t.Errorf("a shard failing every attempt: %d %q %s %+v", status, msg, data, st)
	}
	if left := partialsLeft(t, out); len(left) > 0 {
		t.Errorf("parts left after a failure: %v", left)
	}

	// Workers that cannot be invoked at all (no permission, no credentials,
	// throttled through every retry) say nothing about the data: the
	// coordinator answers itself.
	pool.fault = func(n int64, start string) ([]byte, error, bool) {
		return nil, errors.New("get identity: get credentials: no EC2 IMDS role found"), true
	}
	status, data, st, msg = rawData(t, coord, fmt.Sprintf(ev, 3))
	if status != 200 || data != single || st.Shards != 1 || !strings.Contains(st.NotSplit, "could not be invoked") {
		t.Errorf("workers unreachable: %d %s %+v", status, msg, st)
	}
	if left := partialsLeft(t, out); len(left) > 0 {
		t.Errorf("parts left after falling back: %v", left)
	}

	// A straggler gets a duplicate; the first answer wins.
	pool.calls.Store(0)
	var slow atomic.Bool
	pool.fault = func(n int64, start string) ([]byte, error, bool) {
		if start == "2025-03-28" && slow.CompareAndSwap(false, true) {
			time.Sleep(1500 * time.Millisecond)
			return nil, errors.New("too late"), true
		}
		return nil, nil, false
	}
	status, data, st, msg = rawData(t, coord, fmt.Sprintf(ev, 3))
	if status != 200 || data != single || st.Duplicates < 1 {
		t.Errorf("a straggler: %d %s %+v", status, msg, st)
	}

	// The deadline near: no more shards start, and the answer is 504.
	pool.fault = func(n int64, start string) ([]byte, error, bool) {
		time.Sleep(300 * time.Millisecond)
		return nil, nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
	defer cancel()
	coord.cfg.Workers = 2
	resp := coord.Handle(ctx, []byte(fmt.Sprintf(ev, 7)))
	if resp.StatusCode != 504 {
		t.Errorf("near the deadline: %d %s", resp.StatusCode, resp.Body)
	}
	if left := partialsLeft(t, out); len(left) > 0 {
		t.Errorf("parts left after the deadline: %v", left)
	}
}

func TestShardProtocolIsolation(t *testing.T) {
	coord, pool, out := fanOutPair(t, 0)
	// A shard event is an ordinary request: checked like any other.
	for ev, want := range map[string]string{
		`{"company_id":"../1691","start_date":"2025-04-01","end_date":"2025-04-02","shard":true}`:                   "company_id",
		`{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-02","shard":true,"location":"/etc"}`:    "location",
		`{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-02","shard":true,"report":"dashboard"}`: "shard",
		`{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-02","shard":true,"format":"csv"}`:       "shard",
		`{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-02","shard":true,"workers":2}`:          "workers",
		`{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-02","shard":true,"report":"hello"}`:     "shard",
		`{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-02","shard":"yes"}`:                     "shard",
		`{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-02","workers":0}`:                       "workers",
	} {
		status, _, _, msg := rawData(t, pool.h, ev)
		if status != 400 || !strings.HasPrefix(msg, want) {
			t.Errorf("%s: %d %q, want 400 on %s", ev, status, msg, want)
		}
	}
	// A shard answers for its own company and range only: a part is a
	// request's answer, nothing more.
	status, data, _, _ := rawData(t, pool.h, `{"company_id":"1691","start_date":"2025-04-01","end_date":"2025-04-01","shard":true}`)
	if status != 200 || !strings.HasPrefix(data, "[[") {
		t.Errorf("a shard for 1691: %d %s", status, data)
	}

	// A coordinator reads nothing a worker points it at outside its own
	// output root, and takes no part of another company's or range.
	secret := filepath.Join(t.TempDir(), "secret.parquet")
	os.WriteFile(secret, []byte("not yours"), 0o600)
	for name, forge := range map[string]func(map[string]any){
		"a location outside the output root": func(b map[string]any) { b["location"] = secret; b["data"] = nil },
		"a location with ..": func(b map[string]any) {
			b["location"] = filepath.Join(out, "_partials/access_summary/1690/../../../x.parquet")
			b["data"] = nil
		},
		"another company's part": func(b map[string]any) { b["company_id"] = "1691" },
		"another range":          func(b map[string]any) { b["start_date"] = "2025-01-01" },
	} {
		pool.fault = func(n int64, start string) ([]byte, error, bool) {
			real, err := pool.h.Invoke(context.Background(), mustShard(start))
			if err != nil {
				return nil, err, true
			}
			var resp Response
			json.Unmarshal(real, &resp)
			var b map[string]any
			json.Unmarshal([]byte(resp.Body), &b)
			forge(b)
			body, _ := json.Marshal(b)
			resp.Body = string(body)
			forged, _ := json.Marshal(resp)
			return forged, nil, true
		}
		status, _, _, msg := rawData(t, coord, `{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-04","workers":2}`)
		if status != 502 || !strings.Contains(msg, "not the shard's") {
			t.Errorf("%s: %d %q", name, status, msg)
		}
		if pool.calls.Load() > 2*1+2 {
			t.Errorf("%s: a forged part was retried (%d calls)", name, pool.calls.Load())
		}
		pool.calls.Store(0)
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "not yours" {
		t.Error("the file outside the output root was touched")
	}
}

// mustShard is the shard event of access_summary for 1690 from start to
// two days on (what the coordinator sends for 2025-04-01…04 in 2 shards).
func mustShard(start string) []byte {
	from, _ := time.Parse(layout.DateFormat, start)
	return []byte(fmt.Sprintf(`{"company_id":"1690","report":"access_summary","format":"json","shard":true,"start_date":%q,"end_date":%q,"params":{}}`,
		start, from.AddDate(0, 0, 1).Format(layout.DateFormat)))
}

func loadCatalog(t *testing.T, dir string) *report.Catalog {
	t.Helper()
	c, err := report.Load(dir, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
