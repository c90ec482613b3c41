package handler

// Scheduled jobs: every company's reports for a period computed from the
// schedule's time (package schedule), each company's as one worker
// invocation of the function itself, written under
// LAMBDUCK_OUTPUT/scheduled/<label>/company_id=<id>/<report>.<format>, then an
// index (docs/operations.md, "Scheduled reports").

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"lambduck/internal/dashboard"
	"lambduck/internal/layout"
	"lambduck/internal/request"
	"lambduck/internal/schedule"
	"lambduck/internal/storage"
)

// JobSummary is a job's answer: what was written, skipped and failed.
type JobSummary struct {
	Period    string `json:"period"`
	Label     string `json:"label"`
	StartDate string `json:"start_date"`
	EndDate   string `json:"end_date"`
	At        string `json:"at"`
	// Companies are those with data in the period; NoData the named ones
	// without (nothing is written for them).
	Companies int      `json:"companies"`
	NoData    []string `json:"no_data,omitempty"`
	// Invoked: companies that had outputs to write (the others were
	// complete); Written and Skipped count files.
	Invoked    int          `json:"invoked"`
	Written    int          `json:"files_written"`
	Skipped    int          `json:"files_skipped"`
	Failed     []JobFailure `json:"failed,omitempty"`
	Index      string       `json:"index,omitempty"` // index.html's location
	DurationMS float64      `json:"duration_ms"`
}

// JobFailure is one company that did not get all its outputs.
type JobFailure struct {
	CompanyID string `json:"company_id"`
	Error     string `json:"error"`
}

// JobFailedError is a job whose run left companies without their outputs:
// the function fails, so the scheduler's retry policy runs it again, and
// the retry does only what is missing.
type JobFailedError struct{ Summary *JobSummary }

func (e *JobFailedError) Error() string {
	var ids []string
	for _, f := range e.Summary.Failed {
		ids = append(ids, f.CompanyID)
	}
	return fmt.Sprintf("job %s %s: %d of %d companies failed (%s)", e.Summary.Period, e.Summary.Label,
		len(e.Summary.Failed), e.Summary.Companies, strings.Join(ids, ", "))
}

// companyOutcome is one company's part of a job: a worker's answer.
type companyOutcome struct {
	CompanyID string   `json:"company_id"`
	Written   []string `json:"written"`
	Skipped   []string `json:"skipped"`
	Errors    []string `json:"errors,omitempty"`
}

// output is one file a job writes for each company.
type output struct {
	report, format string
	params         map[string]any
}

// plan checks the job against the catalog and returns the outputs each
// company gets: every report in each of the job's formats it is written in
// (the dashboard: html, json; others: csv, parquet, ndjson, json), with
// the job's parameters that it declares.
func (h *Handler) plan(job *schedule.Job) ([]output, error) {
	if h.output == nil {
		return nil, &request.Error{Field: "job", Msg: "a job writes to LAMBDUCK_OUTPUT, which this deployment does not set"}
	}
	declared := map[string]bool{}
	var outs []output
	for _, name := range job.Reports {
		// A report is written in any format but the dashboard's page.
		formats := slices.DeleteFunc(slices.Clone(request.Formats), func(f string) bool { return f == "html" })
		params := []string{}
		if name == dashboard.Name {
			formats, params = dashboard.Formats, []string{"lang"}
		} else {
			rep, err := h.catalog.Find(name)
			if err != nil {
				return nil, &request.Error{Field: "job.reports", Msg: err.Error()}
			}
			if !rep.NeedsData {
				return nil, &request.Error{Field: "job.reports", Msg: fmt.Sprintf("report %s reads no data: it has nothing to say per company", name)}
			}
			for _, p := range rep.Params {
				params = append(params, p.Name)
			}
		}
		n := 0
		for _, f := range job.Formats {
			if !slices.Contains(formats, f) {
				continue
			}
			o := output{report: name, format: f, params: map[string]any{}}
			for k, v := range job.Params {
				if slices.Contains(params, k) {
					o.params[k], declared[k] = v, true
				}
			}
			outs = append(outs, o)
			n++
		}
		if n == 0 {
			return nil, &request.Error{Field: "job.formats", Msg: fmt.Sprintf("report %s is written as %s; the job asks for %s",
				name, strings.Join(formats, ", "), strings.Join(job.Formats, ", "))}
		}
	}
	for k := range job.Params {
		if !declared[k] {
			return nil, &request.Error{Field: "job.params." + k, Msg: "no report of the job declares it"}
		}
	}
	return outs, nil
}

// AnswerJob runs a job: as a worker, one company's outputs; as the
// coordinator, every company's, each through a worker invocation of
// LAMBDUCK_FUNCTION (or, without one, here, one after another), then the
// index. progress, when not nil, hears of each company done. A run with a
// failed company returns its summary and a *JobFailedError.
func (h *Handler) AnswerJob(ctx context.Context, job *schedule.Job, progress func(done, total int)) (*JobSummary, error) {
	start := h.now()
	outs, err := h.plan(job)
	if err != nil {
		return nil, err
	}
	p, err := schedule.Of(job.Period, job.At, h.cfg.TimeZone)
	if err != nil {
		return nil, err
	}
	sum := &JobSummary{Period: job.Period, Label: p.Label, StartDate: p.Start.Format(layout.DateFormat),
		EndDate: p.End.Format(layout.DateFormat), At: job.At.UTC().Format(time.RFC3339)}
	ctx, cancel := withQueryDeadline(ctx)
	defer cancel()
	existing, err := h.outputsUnder(ctx, schedule.Prefix(p.Label))
	if err != nil {
		return nil, err
	}
	companies, err := h.jobCompanies(ctx, job, p, sum)
	if err != nil {
		return nil, err
	}
	sum.Companies = len(companies)
	// Companies whose outputs are all there are done already.
	var todo []string
	for _, c := range companies {
		complete := !job.Force
		for _, o := range outs {
			if !existing[schedule.Key(p.Label, c, o.report, o.format)] {
				complete = false
			}
		}
		if complete {
			sum.Skipped += len(outs)
		} else {
			todo = append(todo, c)
		}
	}
	sum.Invoked = len(todo)
	results := h.runCompanies(ctx, job, p, outs, todo, existing, progress)
	for _, r := range results {
		sum.Written += len(r.Written)
		sum.Skipped += len(r.Skipped)
		if len(r.Errors) > 0 {
			sum.Failed = append(sum.Failed, JobFailure{CompanyID: r.CompanyID, Error: strings.Join(r.Errors, "; ")})
			h.log.Warn("job: company failed", "label", p.Label, "company_id", r.CompanyID, "error", strings.Join(r.Errors, "; "))
		}
	}
	sort.Slice(sum.Failed, func(i, j int) bool { return sum.Failed[i].CompanyID < sum.Failed[j].CompanyID })
	if sum.Index, err = h.writeIndex(ctx, p, sum); err != nil {
		return nil, err
	}
	sum.DurationMS = ms(h.now().Sub(start))
	h.log.Info("job done", "period", job.Period, "label", p.Label, "companies", sum.Companies, "invoked", sum.Invoked,
		"files_written", sum.Written, "files_skipped", sum.Skipped, "failed", len(sum.Failed), "duration_ms", sum.DurationMS)
	if len(sum.Failed) > 0 {
		return sum, &JobFailedError{Summary: sum}
	}
	return sum, nil
}

// outputsUnder lists the keys under prefix of the output root.
func (h *Handler) outputsUnder(ctx context.Context, prefix string) (map[string]bool, error) {
	objs, _, err := h.output.List(ctx, prefix, "", nil)
	if err != nil && !storage.IsNotFound(err) {
		return nil, err
	}
	keys := map[string]bool{}
	for _, o := range objs {
		keys[o.Key] = true
	}
	return keys, nil
}

// jobCompanies are the job's companies that have data in the period: for
// "*", every company folder of the data root (one delimiter listing), each
// checked by listing its days in the period — no data is read.
func (h *Handler) jobCompanies(ctx context.Context, job *schedule.Job, p schedule.Period, sum *JobSummary) ([]string, error) {
	named := job.Companies
	if named[0] == schedule.AllCompanies {
		folders, err := h.store.Root().Folders(ctx, "")
		if err != nil {
			return nil, err
		}
		named = layout.Companies(folders)
	}
	has := make([]bool, len(named))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i, c := range named {
		g.Go(func() error {
			days, _, err := h.store.Days(gctx, c, p.Start, p.End)
			has[i] = len(days) > 0
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []string
	for i, c := range named {
		switch {
		case has[i]:
			out = append(out, c)
		case job.Companies[0] != schedule.AllCompanies:
			sum.NoData = append(sum.NoData, c)
		}
	}
	return out, nil
}

// runCompanies has each company's outputs written: by a worker invocation
// each (LAMBDUCK_WORKERS at once) when a function is known, else here, one
// after another. A company not started before the deadline is a failure
// (the retry does it).
func (h *Handler) runCompanies(ctx context.Context, job *schedule.Job, p schedule.Period, outs []output, todo []string, existing map[string]bool, progress func(done, total int)) []companyOutcome {
	results := make([]companyOutcome, len(todo))
	var (
		mu   sync.Mutex
		done int
	)
	tick := func() {
		mu.Lock()
		done++
		if progress != nil {
			progress(done, len(todo))
		}
		mu.Unlock()
	}
	if progress != nil {
		progress(0, len(todo))
	}
	if h.invoker == nil {
		for i, c := range todo {
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < mergeReserve {
				results[i] = companyOutcome{CompanyID: c, Errors: []string{"not started: the deadline came"}}
				continue
			}
			results[i] = h.jobCompany(ctx, p, c, outs, existing, job.Force)
			tick()
		}
		return results
	}
	var g errgroup.Group
	g.SetLimit(h.cfg.Workers)
	for i, c := range todo {
		g.Go(func() error {
			defer tick()
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < mergeReserve {
				results[i] = companyOutcome{CompanyID: c, Errors: []string{"not started: the deadline came"}}
				return nil
			}
			results[i] = h.invokeCompany(ctx, job, c)
			return nil
		})
	}
	g.Wait()
	return results
}

// invokeCompany runs one company's part of the job on a worker: the same
// job, for that company only, marked as a worker's. One attempt: the
// scheduler's retry is the retry.
func (h *Handler) invokeCompany(ctx context.Context, job *schedule.Job, company string) companyOutcome {
	fail := func(err error) companyOutcome {
		return companyOutcome{CompanyID: company, Errors: []string{err.Error()}}
	}
	one := *job
	one.Companies, one.Worker = []string{company}, true
	payload, err := json.Marshal(map[string]any{"job": &one}) // Job's JSON is its event's
	if err != nil {
		return fail(err)
	}
	out, err := h.invoker.Invoke(ctx, payload)
	if err != nil {
		return fail(err)
	}
	var resp Response
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		return fail(fmt.Errorf("the worker's answer is not a response: %.200s", out))
	}
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("the worker answered %d: %.300s", resp.StatusCode, resp.Body))
	}
	var r companyOutcome
	if err := json.Unmarshal([]byte(resp.Body), &r); err != nil || r.CompanyID != company {
		return fail(fmt.Errorf("the worker's answer is not this company's: %.200s", resp.Body))
	}
	return r
}

// jobCompany writes one company's outputs for period p — those missing
// from existing (nil: listed here), or all with force — each through the
// typed core like any request, straight to its key (whole or absent).
func (h *Handler) jobCompany(ctx context.Context, p schedule.Period, company string, outs []output, existing map[string]bool, force bool) companyOutcome {
	r := companyOutcome{CompanyID: company, Written: []string{}, Skipped: []string{}}
	if existing == nil {
		var err error
		if existing, err = h.outputsUnder(ctx, schedule.Prefix(p.Label)+layout.CompanyPrefix(company)); err != nil {
			r.Errors = append(r.Errors, err.Error())
			return r
		}
	}
	for _, o := range outs {
		key := schedule.Key(p.Label, company, o.report, o.format)
		if existing[key] && !force {
			r.Skipped = append(r.Skipped, key)
			continue
		}
		req := &request.Request{CompanyID: company, StartDate: p.Start, EndDate: p.End, Report: o.report, Format: o.format,
			Params: o.params, Trigger: request.TriggerJob, OutputKey: key}
		if _, err := h.Answer(ctx, req); err != nil {
			msg := err.Error()
			if Status(err) == http.StatusInternalServerError {
				msg = "internal error (see the log)"
			}
			r.Errors = append(r.Errors, o.report+"."+o.format+": "+msg)
			continue
		}
		r.Written = append(r.Written, key)
	}
	return r
}

// answerJobWorker answers a worker's job event: one company's outputs.
func (h *Handler) answerJobWorker(ctx context.Context, job *schedule.Job) (Response, error) {
	outs, err := h.plan(job)
	if err != nil {
		return errorResponse(requestID(withRequestID(ctx)), err), nil
	}
	p, err := schedule.Of(job.Period, job.At, h.cfg.TimeZone)
	if err != nil {
		return errorResponse(requestID(withRequestID(ctx)), err), nil
	}
	ctx, cancel := withQueryDeadline(ctx)
	defer cancel()
	r := h.jobCompany(ctx, p, job.Companies[0], outs, nil, job.Force)
	return jsonResponse(http.StatusOK, r), nil
}

// handleJob answers a {"job": …} event. A coordinator's run with a failed
// company is an error of the function (after logging the summary), so that
// the invoker's retry policy runs it again.
func (h *Handler) handleJob(ctx context.Context, payload []byte) (any, error) {
	ctx = withRequestID(ctx)
	job, err := schedule.Decode(payload)
	if err != nil {
		return errorResponse(requestID(ctx), err), nil
	}
	if job.Worker {
		return h.answerJobWorker(ctx, job)
	}
	sum, err := h.AnswerJob(ctx, job, nil)
	var failed *JobFailedError
	switch {
	case errors.As(err, &failed):
		return nil, err
	case err != nil:
		return errorResponse(requestID(ctx), err), nil
	}
	return jsonResponse(http.StatusOK, sum), nil
}

// index is a period's index.json: every file under its label, by company,
// and the failures of the last run. It holds nothing of the run's own time,
// so a rerun that changes nothing writes nothing.
type index struct {
	Label     string         `json:"label"`
	StartDate string         `json:"start_date"`
	EndDate   string         `json:"end_date"`
	Companies []indexCompany `json:"companies"`
}

type indexCompany struct {
	CompanyID string   `json:"company_id"`
	Files     []string `json:"files"` // names under company_id=<id>/
	Failed    string   `json:"failed,omitempty"`
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>lambduck: {{.Label}}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}td,th{padding:.2em .8em;text-align:left}.failed{color:#b00}</style>
</head><body>
<h1>Scheduled reports {{.Label}}</h1>
<p>{{.StartDate}} to {{.EndDate}}, {{len .Companies}} companies.</p>
<table><tr><th>company</th><th>files</th></tr>
{{range .Companies}}<tr><td>{{.CompanyID}}</td><td>{{$c := .CompanyID}}{{range .Files}}<a href="company_id={{$c}}/{{.}}">{{.}}</a> {{end}}{{if .Failed}}<span class="failed">failed: {{.Failed}}</span>{{end}}</td></tr>
{{end}}</table>
</body></html>
`))

// writeIndex writes index.json and index.html under the period's prefix
// from what is there now, unless index.json already says exactly that.
// It returns index.html's location.
func (h *Handler) writeIndex(ctx context.Context, p schedule.Period, sum *JobSummary) (string, error) {
	prefix := schedule.Prefix(p.Label)
	keys, err := h.outputsUnder(ctx, prefix)
	if err != nil {
		return "", err
	}
	byCompany := map[string]*indexCompany{}
	company := func(id string) *indexCompany {
		if byCompany[id] == nil {
			byCompany[id] = &indexCompany{CompanyID: id, Files: []string{}}
		}
		return byCompany[id]
	}
	for k := range keys {
		rest := strings.TrimPrefix(k, prefix)
		dir, name, ok := strings.Cut(rest, "/")
		id, isCompany := strings.CutPrefix(dir, "company_id=")
		if ok && isCompany && layout.ValidCompanyID(id) && !strings.Contains(name, "/") {
			c := company(id)
			c.Files = append(c.Files, name)
		}
	}
	for _, f := range sum.Failed {
		company(f.CompanyID).Failed = f.Error
	}
	ix := index{Label: p.Label, StartDate: sum.StartDate, EndDate: sum.EndDate, Companies: []indexCompany{}}
	for _, c := range byCompany {
		sort.Strings(c.Files)
		ix.Companies = append(ix.Companies, *c)
	}
	sort.Slice(ix.Companies, func(i, j int) bool { return ix.Companies[i].CompanyID < ix.Companies[j].CompanyID })
	js, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return "", err
	}
	jsonKey, htmlKey := prefix+"index.json", prefix+"index.html"
	if keys[jsonKey] && keys[htmlKey] {
		old, err := h.output.Read(ctx, storage.Object{Key: jsonKey}, 64<<20)
		if err == nil && bytes.Equal(old, js) {
			return h.output.Location(htmlKey), nil
		}
	}
	var page bytes.Buffer
	if err := indexPage.Execute(&page, ix); err != nil {
		return "", err
	}
	// The page first: index.json, written last, says the index is whole.
	if err := h.output.PutBytes(ctx, htmlKey, page.Bytes(), h.cfg.Scratch); err != nil {
		return "", err
	}
	if err := h.output.PutBytes(ctx, jsonKey, js, h.cfg.Scratch); err != nil {
		return "", err
	}
	return h.output.Location(htmlKey), nil
}
