package handler

// Fan-out: a report request over a large selection is split into whole-day
// shards, each answered by an invocation of the function (a worker, an
// ordinary request with "shard": true), and the parts are merged with DuckDB
// as the report's merge declaration says (docs/decisions.md, "Fan-out").

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"lambduck/internal/engine"
	"lambduck/internal/layout"
	"lambduck/internal/report"
	"lambduck/internal/request"
	"lambduck/internal/storage"
	"lambduck/internal/store"
	"lambduck/internal/words"
)

// Fault rules (docs/decisions.md): a failed attempt is retried up to
// shardAttempts attempts in all; a throttled one up to throttleAttempts,
// after a backoff; a shard running stragglerFactor times the finished
// shards' median (and at least stragglerMin) gets one duplicate.
const (
	shardAttempts    = 3
	throttleAttempts = 6
	throttleBackoff  = 100 * time.Millisecond
	stragglerFactor  = 3
	stragglerMin     = 250 * time.Millisecond
	// mergeReserve is kept for the merge and the answer when the
	// coordinator's deadline decides whether another shard may start.
	mergeReserve = 500 * time.Millisecond
)

// partialPrefix is where a shard's part that does not fit inline goes in
// the output root: _partials/<report>/<company>/<worker request id>.parquet.
const partialPrefix = "_partials/"

var (
	unsafeID    = regexp.MustCompile(`[^A-Za-z0-9_-]`)
	partialName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}\.parquet$`)
)

func partialKey(report, company, id string) string {
	return partialPrefix + report + "/" + company + "/" + unsafeID.ReplaceAllString(id, "_") + ".parquet"
}

// checkShard refuses what a shard request may not be: a part of a report
// that declares no merge, in another format, or one that would split again.
func checkShard(req *request.Request, rep *report.Report) error {
	if !req.Shard {
		return nil
	}
	switch {
	case rep.Merge == nil:
		return &request.Error{Field: "shard", Msg: fmt.Sprintf("report %s declares no merge, so it has no parts", rep.Name)}
	case req.Format != "json":
		return &request.Error{Field: "shard", Msg: "a part is answered as json"}
	case req.Workers != 0:
		return &request.Error{Field: "workers", Msg: "a shard never fans out again"}
	}
	return nil
}

// shard is one contiguous whole-day part of a request's range.
type shard struct {
	From, To time.Time
	Bytes    int64
}

func (s shard) String() string {
	return s.From.Format(layout.DateFormat) + "…" + s.To.Format(layout.DateFormat)
}

// ShardError is a shard that failed after its retries: the request fails
// with 502 naming the shard's dates.
type ShardError struct {
	Shard    string // from…to
	Attempts int
	Err      error
	// Unreached: the last attempt never reached a worker — the Invoke API
	// refused or throttled it, or the call failed (no credentials, no
	// permission, no such function). The coordinator then answers itself.
	Unreached bool
}

func (e *ShardError) Error() string {
	return fmt.Sprintf("shard %s failed after %s: %v", e.Shard, words.Plural(e.Attempts, "attempt"), e.Err)
}

func (e *ShardError) Unwrap() error { return e.Err }

// failedShards is the failed shard attempts an error of Answer counts.
func failedShards(err error) int {
	var se *ShardError
	if errors.As(err, &se) {
		return se.Attempts
	}
	return 0
}

// split decides whether the request fans out and makes its shards: nil
// means this invocation answers it. days are the range's listed files.
func (h *Handler) split(req *request.Request, rep *report.Report, days []store.DayFiles, res *Result) []shard {
	if req.Shard || req.Workers == 1 || h.cfg.Workers == 1 {
		return nil
	}
	var total int64
	for _, d := range days {
		total += d.Bytes
	}
	forced := req.Workers >= 2
	if !forced && total <= h.cfg.FanoutBytes {
		return nil
	}
	all := layout.Days(req.StartDate, req.EndDate)
	switch {
	case rep.Merge == nil:
		res.Stats.NotSplit = fmt.Sprintf("report %s declares no merge, so it is answered in one invocation", rep.Name)
		return nil
	case h.invoker == nil:
		res.Stats.NotSplit = "no function to invoke for shards: LAMBDUCK_FUNCTION is not set"
		return nil
	case len(all) < 2:
		res.Stats.NotSplit = "a one-day range is answered in one invocation"
		return nil
	}
	n := req.Workers
	if !forced {
		n = int((total + h.cfg.FanoutBytes - 1) / h.cfg.FanoutBytes)
	}
	n = min(n, len(all))
	if n < 2 {
		return nil
	}
	weights := make([]int64, len(all))
	byDate := map[string]int64{}
	for _, d := range days {
		byDate[d.Date] = d.Bytes
	}
	for i, d := range all {
		weights[i] = byDate[d.Format(layout.DateFormat)]
	}
	return splitDays(all, weights, n)
}

// splitDays cuts days into n contiguous shards of about equal weight (the
// k-th cut after the day where the running total reaches k/n of the
// whole), each at least one day. With no weight at all it splits by days.
func splitDays(days []time.Time, weights []int64, n int) []shard {
	var total int64
	for _, w := range weights {
		total += w
	}
	if total == 0 {
		for i := range weights {
			weights[i], total = 1, total+1
		}
	}
	var (
		out      []shard
		from     int
		acc, cur int64
	)
	for i := range days {
		acc += weights[i]
		cur += weights[i]
		shardsLeft := n - len(out) - 1 // after the current one
		if shardsLeft == 0 {
			continue
		}
		if len(days)-i-1 == shardsLeft || acc*int64(n) >= total*int64(len(out)+1) {
			out = append(out, shard{From: days[from], To: days[i], Bytes: cur})
			from, cur = i+1, 0
		}
	}
	return append(out, shard{From: days[from], To: days[len(days)-1], Bytes: cur})
}

// part is a worker's answer for one shard.
type part struct {
	Report    string          `json:"report"`
	CompanyID string          `json:"company_id"`
	StartDate string          `json:"start_date"`
	EndDate   string          `json:"end_date"`
	Columns   []string        `json:"columns"`
	Types     []string        `json:"types"`
	Data      json.RawMessage `json:"data"`
	RowCount  int64           `json:"row_count"`
	Location  string          `json:"location"`
	Stats     Stats           `json:"stats"`
	Error     string          `json:"error"`

	key string // Location's key in the output root, once checked
}

// fanStats are what running the shards cost.
type fanStats struct {
	workers, retries, duplicates int
	gbSeconds                    float64
}

// attempt is the outcome of one copy of a shard (its first run or a
// duplicate), after its retries.
type attempt struct {
	shard int
	part  *part
	err   error
	took  time.Duration
	fanStats
}

// errFallBack: the fan-out could not start its workers; the request is
// answered in this invocation.
var errFallBack = errors.New("fan-out: answer in one invocation")

// fanOut answers req by its shards: run them, merge their parts, answer as
// any request does. Every part it received in the output root is removed.
func (h *Handler) fanOut(ctx context.Context, start time.Time, req *request.Request, rep *report.Report, params map[string]any, res *Result, shards []shard, lists int) (*Result, error) {
	h.log.Info("fanning out", "request_id", res.RequestID, "report", rep.Name, "company_id", req.CompanyID, "shards", len(shards))
	parts, st, err := h.runShards(ctx, req, rep, params, shards)
	defer h.removeParts(parts)
	res.Stats.Shards, res.Stats.Workers, res.Stats.Retries, res.Stats.Duplicates = len(shards), st.workers, st.retries, st.duplicates
	res.Stats.GBSeconds = st.gbSeconds
	var se *ShardError
	if errors.As(err, &se) && se.Unreached {
		// Workers could not be invoked at all: that says nothing about the
		// data, so this invocation answers (a worker that failed does, and
		// is a 502).
		h.log.Warn("workers could not be invoked; answering in one invocation", "request_id", res.RequestID,
			"function", h.cfg.Function, "error", err.Error())
		res.Stats.Workers, res.Stats.NotSplit = 0, "the workers could not be invoked ("+se.Err.Error()+"); answered in one invocation"
		return nil, errFallBack
	}
	if err != nil {
		return nil, err
	}
	remote := false
	var downloaded int64
	for _, p := range parts {
		res.Stats.Files += p.Stats.Files
		res.Stats.BytesRead += p.Stats.BytesRead
		if p.Stats.BytesDownloaded != nil {
			remote, downloaded = true, downloaded+*p.Stats.BytesDownloaded
		}
	}
	if remote {
		res.Stats.BytesDownloaded, res.Stats.ListRequests = &downloaded, &lists
	}
	if res.Stats.Files == 0 {
		res.Warnings = append(res.Warnings, h.noData(res.RequestID, req.CompanyID, req.StartDate, req.EndDate))
	}
	return h.merge(ctx, start, req, rep, params, res, parts)
}

// runShards invokes a worker for every shard, at most LAMBDUCK_WORKERS at
// once, with the fault rules above, and returns the parts in shard order.
// On failure it stops starting shards, waits for those running and returns
// the parts received so far (for removal) with the error.
func (h *Handler) runShards(ctx context.Context, req *request.Request, rep *report.Report, params map[string]any, shards []shard) ([]*part, fanStats, error) {
	n := len(shards)
	st := fanStats{workers: min(h.cfg.Workers, n)}
	sem := make(chan struct{}, st.workers)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel() // losing duplicates still running are abandoned
	results := make(chan attempt, 2*n)
	var (
		stop    atomic.Bool
		mu      sync.Mutex
		started = make([]time.Time, n)
	)
	payloads := make([][]byte, n)
	for i, s := range shards {
		b, err := json.Marshal(map[string]any{"company_id": req.CompanyID, "report": rep.Name, "format": "json", "shard": true,
			"start_date": s.From.Format(layout.DateFormat), "end_date": s.To.Format(layout.DateFormat), "params": displayParams(params)})
		if err != nil {
			return nil, st, err
		}
		payloads[i] = b
	}
	launch := func(i int, dup bool) {
		go func() {
			results <- h.runShard(runCtx, sem, &stop, i, shards[i], payloads[i], rep, req, dup, func(running bool) {
				mu.Lock()
				defer mu.Unlock()
				if dup {
					return // the first copy's attempts are what is timed
				}
				started[i] = time.Time{}
				if running {
					started[i] = h.now()
				}
			})
		}()
	}
	for i := range shards {
		launch(i, false)
	}
	parts := make([]*part, n)
	running := make([]int, n) // copies of each shard still running
	duplicated := make([]bool, n)
	for i := range running {
		running[i] = 1
	}
	var (
		took     []time.Duration
		done     int
		firstErr error
		tick     = time.NewTicker(20 * time.Millisecond)
	)
	defer tick.Stop()
	outstanding := n
	for outstanding > 0 && done < n {
		select {
		case a := <-results:
			outstanding--
			running[a.shard]--
			st.retries += a.retries
			st.gbSeconds += a.gbSeconds
			switch {
			case a.err == nil && parts[a.shard] == nil && firstErr == nil:
				parts[a.shard] = a.part
				done++
				took = append(took, a.took)
			case a.err == nil:
				// A losing duplicate, or a shard that finished after another failed.
				h.removeParts([]*part{a.part})
			case parts[a.shard] == nil && running[a.shard] == 0 && firstErr == nil:
				firstErr = a.err
				stop.Store(true)
			}
		case <-tick.C:
			if firstErr != nil || len(took) < max(1, n/2) {
				continue
			}
			median := slices.Clone(took)
			slices.Sort(median)
			limit := max(stragglerFactor*median[len(median)/2], stragglerMin)
			mu.Lock()
			for i := range shards {
				if parts[i] == nil && !duplicated[i] && running[i] > 0 && !started[i].IsZero() && h.now().Sub(started[i]) > limit {
					duplicated[i] = true
					running[i]++
					outstanding++
					st.duplicates++
					h.log.Info("shard is straggling; starting a duplicate", "shard", shards[i].String(), "running_for_ms", ms(h.now().Sub(started[i])), "limit_ms", ms(limit))
					launch(i, true)
				}
			}
			mu.Unlock()
		}
	}
	if firstErr != nil {
		return parts, st, firstErr
	}
	return parts, st, nil
}

// runShard runs one copy of shard i: a first run retries (throttles with
// backoff), a duplicate has one attempt. mark(true) says an attempt is
// running, mark(false) that it ended: only a slow attempt is a straggler,
// not a shard waiting to retry.
func (h *Handler) runShard(ctx context.Context, sem chan struct{}, stop *atomic.Bool, i int, s shard, payload []byte, rep *report.Report, req *request.Request, dup bool, mark func(running bool)) attempt {
	a := attempt{shard: i}
	tries, throttles, fails := 0, 0, 0
	for {
		if stop.Load() {
			a.err = errors.New("not started: another shard failed")
			return a
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			a.err = &ShardError{Shard: s.String(), Attempts: tries, Err: ctx.Err()}
			return a
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < mergeReserve {
			<-sem
			a.err = &ShardError{Shard: s.String(), Attempts: tries, Err: fmt.Errorf("not started, the deadline is near: %w", context.DeadlineExceeded)}
			return a
		}
		mark(true)
		tries++
		t0 := h.now()
		out, err := h.invoker.Invoke(ctx, payload)
		took := h.now().Sub(t0)
		mark(false)
		<-sem
		var fe *FunctionError
		unreached := err != nil && !errors.As(err, &fe)
		var p *part
		if err == nil {
			p, err = h.checkPart(out, rep, req, s)
		}
		if p != nil && p.Stats.GBSeconds > 0 {
			a.gbSeconds += p.Stats.GBSeconds
		} else {
			a.gbSeconds += h.gbSeconds(took) // the worker did not say: what the call took
		}
		if err == nil {
			a.part, a.took = p, took
			return a
		}
		h.log.Warn("shard attempt failed", "shard", s.String(), "attempt", tries, "duplicate", dup, "error", err.Error())
		var perm *permanentError
		switch {
		case errors.As(err, &perm), ctx.Err() != nil, dup:
		case isThrottle(err) && throttles < throttleAttempts-1:
			throttles++
			a.retries++
			backoff := throttleBackoff<<throttles + rand.N(throttleBackoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			continue
		case !isThrottle(err) && fails < shardAttempts-1:
			fails++
			a.retries++
			continue
		}
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w: %v", ctx.Err(), err)
		}
		a.err = &ShardError{Shard: s.String(), Attempts: tries, Err: err, Unreached: unreached && ctx.Err() == nil}
		return a
	}
}

// permanentError is a worker's answer that another attempt would not
// change: a refusal (4xx) or a part that is not the shard's.
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

// checkPart reads a worker's response and checks that it is the part of
// exactly this shard: same report, company and dates, columns the merge
// knows, and a location (when the part did not fit inline) that is a part's
// key in this deployment's output root — nothing else is ever read.
func (h *Handler) checkPart(out []byte, rep *report.Report, req *request.Request, s shard) (*part, error) {
	var resp Response
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		return nil, fmt.Errorf("the worker's answer is not a response: %.200s", out)
	}
	var p part
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		return nil, fmt.Errorf("the worker's body is not JSON: %v", err)
	}
	switch {
	case resp.StatusCode >= 500:
		return nil, fmt.Errorf("the worker answered %d: %s", resp.StatusCode, p.Error)
	case resp.StatusCode != http.StatusOK:
		return nil, &permanentError{fmt.Sprintf("the worker refused the shard (%d): %s", resp.StatusCode, p.Error)}
	}
	bad := func(format string, args ...any) (*part, error) {
		return nil, &permanentError{"the worker's part is not the shard's: " + fmt.Sprintf(format, args...)}
	}
	switch {
	case p.Report != rep.Name || p.CompanyID != req.CompanyID:
		return bad("report %q, company %q", p.Report, p.CompanyID)
	case p.StartDate != s.From.Format(layout.DateFormat) || p.EndDate != s.To.Format(layout.DateFormat):
		return bad("dates %s…%s", p.StartDate, p.EndDate)
	case len(p.Columns) == 0 || len(p.Types) != len(p.Columns):
		return bad("%d columns, %d types", len(p.Columns), len(p.Types))
	}
	if err := rep.Merge.Check(p.Columns); err != nil {
		return bad("%v", err)
	}
	if p.Location == "" {
		if len(p.Data) == 0 || p.Data[0] != '[' {
			return bad("neither rows nor a location")
		}
		return &p, nil
	}
	if h.output == nil {
		return bad("a location, and this deployment has no output root")
	}
	dir := partialPrefix + rep.Name + "/" + req.CompanyID + "/"
	name, ok := strings.CutPrefix(p.Location, h.output.Location(dir))
	if !ok || !partialName.MatchString(name) || storage.CheckKey(dir+name) != nil {
		return bad("location %q is not a part's place in the output root", p.Location)
	}
	p.key = dir + name
	return &p, nil
}

// removeParts removes the parts' files from the output root (best effort:
// a part left behind is in _partials/, which an expiry rule clears).
func (h *Handler) removeParts(parts []*part) {
	for _, p := range parts {
		if p == nil || p.key == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := h.output.Remove(ctx, p.key); err != nil {
			h.log.Warn("part not removed", "key", p.key, "error", err.Error())
		}
		cancel()
	}
}

// merge loads the parts into a locked DuckDB instance — the inline ones as
// JSON lines with the parts' types, the others as the workers' Parquet —
// and answers the merge statement as any result is answered.
func (h *Handler) merge(ctx context.Context, start time.Time, req *request.Request, rep *report.Report, params map[string]any, res *Result, parts []*part) (_ *Result, err error) {
	cols, types := parts[0].Columns, parts[0].Types
	for _, p := range parts[1:] {
		if !slices.Equal(p.Columns, cols) || !slices.Equal(p.Types, types) {
			return nil, fmt.Errorf("the shards' parts differ in columns: %v %v against %v %v", p.Columns, p.Types, cols, types)
		}
	}
	dir, err := os.MkdirTemp(h.cfg.Scratch, "merge-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var jsonFiles, parquetFiles []string
	for i, p := range parts {
		if p.key != "" {
			path, err := h.output.Fetch(ctx, storage.Object{Key: p.key}, filepath.Join(dir, fmt.Sprintf("part-%d.parquet", i)))
			if err != nil {
				return nil, fmt.Errorf("reading shard part: %w", err)
			}
			parquetFiles = append(parquetFiles, path)
			continue
		}
		path := filepath.Join(dir, fmt.Sprintf("part-%d.ndjson", i))
		if err := writeLines(path, cols, p.Data); err != nil {
			return nil, err
		}
		jsonFiles = append(jsonFiles, path)
	}
	view, err := partsView(cols, types, jsonFiles, parquetFiles)
	if err != nil {
		return nil, err
	}
	args := map[string]any{}
	if rep.Merge.Limit != "" {
		args[rep.Merge.Limit] = params[rep.Merge.Limit]
	}
	sess, err := h.engine.Open(ctx, engine.Job{ID: res.RequestID, Tenant: req.CompanyID, SQL: rep.Merge.MergeSQL("parts", cols, types),
		Args: args, Files: append(jsonFiles, parquetFiles...), Views: []string{view}})
	if err != nil {
		return nil, err
	}
	defer sess.Close() // its files are gone after this request: never kept
	return h.deliver(ctx, sess, req, res, start)
}

// writeLines writes rows (a JSON array of arrays) as JSON lines of objects
// keyed by column, which DuckDB's read_json reads with given types.
func writeLines(path string, cols []string, data json.RawMessage) error {
	var rows [][]json.RawMessage
	if err := json.Unmarshal(data, &rows); err != nil {
		return fmt.Errorf("a shard's rows: %w", err)
	}
	var b bytes.Buffer
	keys := make([][]byte, len(cols))
	for i, c := range cols {
		keys[i], _ = json.Marshal(c)
	}
	for _, row := range rows {
		if len(row) != len(cols) {
			return fmt.Errorf("a shard's row has %d values for %d columns", len(row), len(cols))
		}
		b.WriteByte('{')
		for i, v := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(keys[i])
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteString("}\n")
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// typeRE is what a part's column type may be (checked before it is
// written into the view's SQL).
var typeRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]*(\([0-9, ]+\))?(\[\])*$`)

// partsView is the view "parts" over the parts' files, every column cast
// to the parts' type.
func partsView(cols, types, jsonFiles, parquetFiles []string) (string, error) {
	var fields, casts []string
	for i, c := range cols {
		if !typeRE.MatchString(types[i]) {
			return "", fmt.Errorf("a shard's column %s has a type this merge does not load: %q", c, types[i])
		}
		fields = append(fields, engine.Quote(c)+": "+engine.Quote(types[i]))
		casts = append(casts, "CAST("+report.Ident(c)+" AS "+types[i]+") AS "+report.Ident(c))
	}
	var sources []string
	if len(jsonFiles) > 0 {
		list, err := engine.QuoteList(jsonFiles)
		if err != nil {
			return "", err
		}
		sources = append(sources, "SELECT "+strings.Join(casts, ", ")+" FROM read_json("+list+
			", format = 'newline_delimited', columns = {"+strings.Join(fields, ", ")+"})")
	}
	if len(parquetFiles) > 0 {
		list, err := engine.QuoteList(parquetFiles)
		if err != nil {
			return "", err
		}
		sources = append(sources, "SELECT "+strings.Join(casts, ", ")+" FROM read_parquet("+list+")")
	}
	return "CREATE VIEW parts AS " + strings.Join(sources, " UNION ALL "), nil
}
