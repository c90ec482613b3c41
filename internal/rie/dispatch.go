package rie

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"
)

// Dispatcher speaks the Lambda Invoke API for a pool of emulators, each
// serving one invocation at a time (aws-lambda-rie panics on a second
// concurrent call): a call waits for a free emulator, as Lambda waits for a
// free sandbox. An emulator that dies (the connection fails) leaves the
// pool, and the call is answered as Lambda answers for a sandbox that
// crashed: a function error (X-Amz-Function-Error). Point the SDK at URL
// with AWS_ENDPOINT_URL_LAMBDA. The fan-out tests and the benchmark use it.
type Dispatcher struct {
	*httptest.Server
	free  chan *Emulator
	alive atomic.Int64
	calls atomic.Int64
	// OnCall, when set, runs as call n is handed to em (before it is sent).
	OnCall func(n int64, em *Emulator)
}

// NewDispatcher serves the Invoke API over pool until Close.
func NewDispatcher(pool []*Emulator) *Dispatcher {
	d := &Dispatcher{free: make(chan *Emulator, len(pool))}
	for _, e := range pool {
		d.free <- e
	}
	d.alive.Store(int64(len(pool)))
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	return d
}

// Calls is how many invocations were handed to an emulator.
func (d *Dispatcher) Calls() int64 { return d.calls.Load() }

func (d *Dispatcher) serve(w http.ResponseWriter, r *http.Request) {
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
	var em *Emulator
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
	if d.OnCall != nil {
		d.OnCall(n, em)
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
