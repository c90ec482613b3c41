package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lambduck/internal/s3test"
)

// dispatcher speaks the Lambda Invoke API for a pool of aws-lambda-rie
// processes, each running the function and serving one invocation at a time
// (the emulator panics on a second concurrent call): a call waits for a free
// emulator, as Lambda waits for a free sandbox. An emulator that dies (the
// connection fails) leaves the pool, and the call is answered as Lambda
// answers for a sandbox that crashed: a function error.
type dispatcher struct {
	*httptest.Server
	free  chan *emulator
	alive atomic.Int64
	calls atomic.Int64
	// onCall, when set, runs as a call is handed to em (before it is sent).
	onCall func(n int64, em *emulator)
}

func newDispatcher(t *testing.T, workers []*emulator) *dispatcher {
	d := &dispatcher{free: make(chan *emulator, len(workers))}
	for _, w := range workers {
		d.free <- w
	}
	d.alive.Store(int64(len(workers)))
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.Close)
	return d
}

func (d *dispatcher) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/") || !strings.HasSuffix(r.URL.Path, "/invocations") {
		http.Error(w, `{"Type":"User","message":"not the Invoke API"}`, http.StatusNotFound)
		return
	}
	payload, _ := io.ReadAll(r.Body)
	crashed := func(msg string) {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"errorType":"Runtime.ExitError","errorMessage":%q}`, msg)
	}
	var em *emulator
	for em == nil {
		if d.alive.Load() == 0 {
			crashed("no sandbox left")
			return
		}
		select {
		case em = <-d.free:
		case <-time.After(10 * time.Millisecond): // the last ones may have died meanwhile
		case <-r.Context().Done():
			return
		}
	}
	n := d.calls.Add(1)
	if d.onCall != nil {
		d.onCall(n, em)
	}
	resp, err := http.Post(em.InvokeURL(), "application/json", strings.NewReader(string(payload)))
	if err != nil {
		d.alive.Add(-1) // the emulator is gone: not returned to the pool
		crashed("the sandbox stopped: " + err.Error())
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		d.alive.Add(-1)
		crashed(fmt.Sprintf("the sandbox stopped: HTTP %d %v", resp.StatusCode, err))
		return
	}
	d.free <- em
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// fanOutRig is a coordinator function under one emulator whose shards go,
// through the dispatcher, to n worker functions under their own emulators,
// every one reading data from and writing parts to a Versity Gateway.
type fanOutRig struct {
	coord *emulator
	disp  *dispatcher
	srv   *s3test.Server
}

func startFanOut(t *testing.T, workers int) *fanOutRig {
	t.Helper()
	if rieBin == "" {
		t.Skip("LAMBDUCK_RIE is not set")
	}
	srv := s3test.Start(t, "lake")
	if err := srv.Client().UploadTree(context.Background(), dataRoot, "lake", "data/"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LAMBDUCK_DATA": "s3://lake/data/", "LAMBDUCK_OUTPUT": "s3://lake/out/",
		"AWS_LAMBDA_FUNCTION_NAME": "lambduck", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"}
	for _, kv := range srv.EnvList() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	var pool []*emulator
	for range workers {
		wenv := map[string]string{"LAMBDUCK_INLINE_BYTES": "4096"} // larger parts go through the output root
		for k, v := range env {
			wenv[k] = v
		}
		pool = append(pool, startEmulator(t, wenv))
	}
	d := newDispatcher(t, pool)
	env["AWS_ENDPOINT_URL_LAMBDA"] = d.URL
	return &fanOutRig{coord: startEmulator(t, env), disp: d, srv: srv}
}

// answer is a report's data exactly as written, and the stats.
type answer struct {
	status int
	data   string
	error  string
	stats  struct {
		Shards    int     `json:"shards"`
		Workers   int     `json:"workers"`
		Retries   int     `json:"retries"`
		GBSeconds float64 `json:"gb_seconds"`
		Files     int     `json:"files"`
	}
}

func (r *fanOutRig) ask(t *testing.T, event string) answer {
	t.Helper()
	raw, err := r.coord.Invoke(event)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	json.Unmarshal(raw, &resp)
	var b struct {
		Data  json.RawMessage `json:"data"`
		Error string          `json:"error"`
		Stats json.RawMessage `json:"stats"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	a := answer{status: resp.StatusCode, data: string(b.Data), error: b.Error}
	json.Unmarshal(b.Stats, &a.stats)
	return a
}

// killSoon kills the emulator and its function while the call just handed
// to it runs.
func killSoon(em *emulator) {
	go func() {
		time.Sleep(40 * time.Millisecond)
		em.Stop()
	}()
}

// partsLeft lists what is under the output root's _partials/.
func (r *fanOutRig) partsLeft(t *testing.T) []string {
	t.Helper()
	objs, _, err := r.srv.Client().List(context.Background(), "lake", "out/_partials/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

// A coordinator under aws-lambda-rie fans out over worker functions under
// their own emulators, reached with the Lambda Invoke API, data and parts in
// S3: the answers equal one invocation's, byte for byte.
func TestEmulatorFanOut(t *testing.T) {
	r := startFanOut(t, 3)
	for _, c := range []struct {
		report, params string
		workers        int
	}{
		{"access_summary", `{}`, 3},
		{"top_paths", `{"limit": 10}`, 3},
		{"access_daily", `{}`, 7},
		{"hourly", `{}`, 2},
	} {
		ev := func(workers int) string {
			return fmt.Sprintf(`{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-30","report":%q,"params":%s,"workers":%d}`,
				c.report, c.params, workers)
		}
		single := r.ask(t, ev(1))
		before := r.disp.calls.Load()
		got := r.ask(t, ev(c.workers))
		if single.status != 200 || got.status != 200 || got.data != single.data || len(got.data) < 10 {
			t.Errorf("%s over %d shards: %d %s %s\nwant %d %s", c.report, c.workers, got.status, got.error, got.data, single.status, single.data)
		}
		if got.stats.Shards != c.workers || r.disp.calls.Load()-before != int64(c.workers) || got.stats.Files != single.stats.Files {
			t.Errorf("%s: stats %+v (one invocation %+v), %d invocations", c.report, got.stats, single.stats, r.disp.calls.Load()-before)
		}
		if got.stats.GBSeconds <= single.stats.GBSeconds/10 {
			t.Errorf("%s: gb_seconds %v: the workers' are not counted", c.report, got.stats.GBSeconds)
		}
	}
	if left := r.partsLeft(t); len(left) > 0 {
		t.Errorf("parts left in the output root: %v", left)
	}
}

// Killing a worker's emulator while it holds a shard: the shard is retried
// on another and the answer is right; with every worker gone the request
// fails with 502 naming the shard, and no part is left behind.
func TestEmulatorFanOutWorkerKilled(t *testing.T) {
	r := startFanOut(t, 3)
	ev := `{"company_id":"1690","start_date":"2025-04-01","end_date":"2025-04-30","report":"top_paths","params":{"limit":10},"workers":%d}`
	single := r.ask(t, fmt.Sprintf(ev, 1))
	var once sync.Once
	r.disp.onCall = func(n int64, em *emulator) {
		once.Do(func() { killSoon(em) }) // the first worker to get a shard dies with it
	}
	got := r.ask(t, fmt.Sprintf(ev, 3))
	if got.status != 200 || got.data != single.data || got.stats.Retries < 1 {
		t.Errorf("a worker killed mid-shard: %d %s retries %d\n%s\nwant %s", got.status, got.error, got.stats.Retries, got.data, single.data)
	}
	r.disp.onCall = func(n int64, em *emulator) { killSoon(em) } // every worker dies
	got = r.ask(t, fmt.Sprintf(ev, 3))
	if got.status != 502 || !strings.Contains(got.error, "shard 2025-04-") || !strings.Contains(got.error, "attempts") {
		t.Errorf("every worker killed: %d %q", got.status, got.error)
	}
	if left := r.partsLeft(t); len(left) > 0 {
		t.Errorf("parts left in the output root: %v", left)
	}
}
