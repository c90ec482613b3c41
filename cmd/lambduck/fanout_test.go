package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"lambduck/internal/rie"
	"lambduck/internal/s3test"
)

// fanOutRig is a coordinator function under one emulator whose shards go,
// through the dispatcher, to n worker functions under their own emulators,
// every one reading data from and writing parts to a Versity Gateway.
type fanOutRig struct {
	coord   *emulator
	workers []*rie.Emulator
	disp    *rie.Dispatcher
	srv     *s3test.Server
}

func startFanOut(t *testing.T, workers int) *fanOutRig { return startFanOutOn(t, workers, dataRoot) }

// startFanOutOn is startFanOut with the data of the folder data.
func startFanOutOn(t *testing.T, workers int, data string) *fanOutRig {
	t.Helper()
	if rieBin == "" {
		t.Skip("LAMBDUCK_RIE is not set")
	}
	srv := s3test.Start(t, "lake")
	if err := srv.Client().UploadTree(context.Background(), data, "lake", "data/"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LAMBDUCK_DATA": "s3://lake/data/", "LAMBDUCK_OUTPUT": "s3://lake/out/",
		"AWS_LAMBDA_FUNCTION_NAME": "lambduck", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"}
	for _, kv := range srv.EnvList() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	var pool []*rie.Emulator
	for range workers {
		wenv := map[string]string{"LAMBDUCK_INLINE_BYTES": "4096"} // larger parts go through the output root
		for k, v := range env {
			wenv[k] = v
		}
		pool = append(pool, startEmulator(t, wenv).Emulator)
	}
	d := rie.NewDispatcher(pool)
	t.Cleanup(d.Close)
	env["AWS_ENDPOINT_URL_LAMBDA"] = d.URL
	return &fanOutRig{coord: startEmulator(t, env), workers: pool, disp: d, srv: srv}
}

// answer is a report's data exactly as written, and the stats.
type answer struct {
	status int
	data   string
	error  string
	stats  struct {
		Shards     int     `json:"shards"`
		Workers    int     `json:"workers"`
		Retries    int     `json:"retries"`
		Duplicates int     `json:"duplicates"`
		GBSeconds  float64 `json:"gb_seconds"`
		Files      int     `json:"files"`
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
func killSoon(em *rie.Emulator) {
	go func() {
		time.Sleep(40 * time.Millisecond)
		em.Stop()
	}()
}

// partsLeft lists what is under the output root's _partials/.
func (r *fanOutRig) partsLeft(t *testing.T) []string {
	t.Helper()
	return s3test.Keys(t, r.srv, "lake", "out/_partials/")
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
		before := r.disp.Calls()
		got := r.ask(t, ev(c.workers))
		if single.status != 200 || got.status != 200 || got.data != single.data || len(got.data) < 10 {
			t.Errorf("%s over %d shards: %d %s %s\nwant %d %s", c.report, c.workers, got.status, got.error, got.data, single.status, single.data)
		}
		if got.stats.Shards != c.workers || r.disp.Calls()-before != int64(c.workers+got.stats.Duplicates) || got.stats.Files != single.stats.Files {
			t.Errorf("%s: stats %+v (one invocation %+v), %d invocations", c.report, got.stats, single.stats, r.disp.Calls()-before)
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
	r.disp.OnCall = func(n int64, em *rie.Emulator) {
		once.Do(func() { killSoon(em) }) // the first worker to get a shard dies with it
	}
	got := r.ask(t, fmt.Sprintf(ev, 3))
	if got.status != 200 || got.data != single.data || got.stats.Retries < 1 {
		t.Errorf("a worker killed mid-shard: %d %s retries %d\n%s\nwant %s", got.status, got.error, got.stats.Retries, got.data, single.data)
	}
	r.disp.OnCall = func(n int64, em *rie.Emulator) { killSoon(em) } // every worker dies
	got = r.ask(t, fmt.Sprintf(ev, 3))
	if got.status != 502 || !strings.Contains(got.error, "shard 2025-04-") || !strings.Contains(got.error, "attempts") {
		t.Errorf("every worker killed: %d %q", got.status, got.error)
	}
	if left := r.partsLeft(t); len(left) > 0 {
		t.Errorf("parts left in the output root: %v", left)
	}
}
