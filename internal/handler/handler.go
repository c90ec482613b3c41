package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"lambduck/internal/bucket"
	"lambduck/internal/config"
	"lambduck/internal/dashboard"
	"lambduck/internal/engine"
	"lambduck/internal/layout"
	"lambduck/internal/report"
	"lambduck/internal/request"
	"lambduck/internal/storage"
	"lambduck/internal/store"
)

// Handler answers report requests and ingests S3 notifications. It is safe
// for one request at a time, which is how Lambda calls it; the CLI does the
// same.
type Handler struct {
	cfg     config.Config
	catalog *report.Catalog
	store   *store.Store
	output  *storage.Root // nil when LAMBDUCK_OUTPUT is not set
	s3      *bucket.Provider
	engine  *engine.Engine
	log     *slog.Logger
	now     func() time.Time // the clock durations are measured with
	geo     geoCache         // LAMBDUCK_GEOIP_DB, read on first need
	invoker Invoker          // the shards' function (LAMBDUCK_FUNCTION); nil: nothing fans out
	// summaryMinBytes: a day's dashboard summary is stored when its data
	// files hold at least this much (minStoredSummaryBytes).
	summaryMinBytes int64
	// afterSummaryHold, in tests, runs once a folder root's stored
	// summaries are held for the query, before it runs.
	afterSummaryHold func()
}

// New builds the handler from the configuration — the one place both faces
// build it: the catalog is read, the data and output roots are parsed and
// the engine is made once, here, not per request. The S3 client is made on
// first need, so a fault there is retried by the next request.
func New(cfg config.Config, log *slog.Logger) (*Handler, error) {
	catalog, err := report.Load(cfg.Reports, log)
	if err != nil {
		return nil, err
	}
	s3 := bucket.NewProvider(cfg.S3PathStyle)
	data, err := storage.Parse(cfg.Data, s3)
	if err != nil {
		return nil, fmt.Errorf("LAMBDUCK_DATA: %w", err)
	}
	if err := data.MustExist(); err != nil {
		// A typo would otherwise answer every report with zeros.
		if cfg.Data == config.DefaultCLIData {
			return nil, fmt.Errorf("LAMBDUCK_DATA: the demo's data root (%s) is not in this folder: "+
				"run `lambduck demo` here first, or set LAMBDUCK_DATA", cfg.Data)
		}
		return nil, fmt.Errorf("LAMBDUCK_DATA: %w", err)
	}
	h := &Handler{cfg: cfg, catalog: catalog, s3: s3, log: log, now: time.Now, summaryMinBytes: minStoredSummaryBytes}
	if cfg.Function != "" {
		h.invoker = newLambdaInvoker(cfg.Function)
	}
	if cfg.Output != "" {
		if h.output, err = storage.Parse(cfg.Output, s3); err != nil {
			return nil, fmt.Errorf("LAMBDUCK_OUTPUT: %w", err)
		}
	}
	h.store, err = store.New(data, store.Options{CacheDir: filepath.Join(cfg.Scratch, "cache"),
		CacheBytes: cfg.CacheBytes, Concurrency: cfg.S3Concurrency})
	if err != nil {
		return nil, fmt.Errorf("LAMBDUCK_SCRATCH: %w", err)
	}
	if h.engine, err = engine.New(cfg.EngineSettings()); err != nil {
		return nil, err
	}
	return h, nil
}

// Catalog returns the reports this handler answers.
func (h *Handler) Catalog() *report.Catalog { return h.catalog }

// Close releases what the handler holds: its DuckDB instances (the one kept
// for the next request and the spare) and the warm S3 cache's files. A
// handler may still answer afterwards, and must then be closed again.
func (h *Handler) Close() error {
	return errors.Join(h.engine.Close(), h.store.Close())
}

// Answer is the typed core every face calls: it checks req against the
// report's declaration, runs it and returns the result inline or exported.
// Its errors say what the caller did wrong (*request.Error,
// *report.ParamError, *report.NotFoundError, *store.TooLargeError), that
// the deadline came (context errors, a DuckDB interrupt), or anything else;
// Status maps them to HTTP codes. It never panics.
func (h *Handler) Answer(ctx context.Context, req *request.Request) (res *Result, err error) {
	start := h.now()
	ctx = withRequestID(ctx)
	id := requestID(ctx)
	defer h.finish(id, start, req, &res, &err)
	if req.Report == dashboard.Name {
		if req.Shard {
			return nil, &request.Error{Field: "shard", Msg: "the dashboard is answered in one invocation; it has no shards"}
		}
		return h.answerDashboard(ctx, id, start, req)
	}
	if req.Format == "html" {
		return nil, &request.Error{Field: "format", Msg: "html is the dashboard's format; other reports answer json, csv, parquet or ndjson"}
	}
	rep, err := h.catalog.Find(req.Report)
	if err != nil {
		return nil, err
	}
	if rep.NeedsData {
		if err := req.RequireRange(h.cfg.MaxDays); err != nil {
			return nil, err
		}
	}
	params, err := rep.Bind(req.Params)
	if err != nil {
		return nil, err
	}
	if err := checkShard(req, rep); err != nil {
		return nil, err
	}
	if req.Format != "json" && h.output == nil {
		return nil, &request.Error{Field: "format", Msg: fmt.Sprintf(
			"%q results are written to LAMBDUCK_OUTPUT, which this deployment does not set", req.Format)}
	}
	return h.run(ctx, id, start, req, rep, params)
}

// finish ends every answer, deferred: a panic becomes an error, and the
// request is logged with its outcome.
func (h *Handler) finish(id string, start time.Time, req *request.Request, res **Result, err *error) {
	if p := recover(); p != nil {
		*res, *err = nil, fmt.Errorf("panic while answering: %v", p)
	}
	if *res != nil {
		(*res).Stats.GBSeconds = roundGB((*res).Stats.GBSeconds + h.gbSeconds(h.now().Sub(start)))
	}
	h.logDone(id, start, req, *res, *err)
}

// AdHocName is what an ad-hoc statement (AnswerSQL) is called in answers
// and logs.
const AdHocName = "sql"

// AnswerSQL runs an ad-hoc statement as if it were a report file holding
// it: the same checks (one SELECT or WITH; $company_id, $start_date and
// $end_date are the only values it may name) and the same DuckDB instance,
// locked to the company's files in the range, that a report gets. req gives
// the company, range and format; its report and params are ignored.
func (h *Handler) AnswerSQL(ctx context.Context, req *request.Request, statement string) (res *Result, err error) {
	start := h.now()
	ctx = withRequestID(ctx)
	id := requestID(ctx)
	defer h.finish(id, start, req, &res, &err)
	rep, err := report.Parse(AdHocName, "the command line", statement)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "report "+AdHocName+": ")
		msg = strings.Replace(msg, "which the header does not declare", "which is not bound here (only $company_id, $start_date and $end_date are)", 1)
		return nil, &request.Error{Field: "sql", Msg: msg}
	}
	rep.NeedsData = true // the range's files, whether or not the statement names them
	req.Report = AdHocName
	if err := req.RequireRange(h.cfg.MaxDays); err != nil {
		return nil, err
	}
	return h.run(ctx, id, start, req, rep, map[string]any{})
}

// run chooses the files, opens the locked instance and produces the result
// — or, for a request the fan-out splits, has workers produce its parts and
// merges them (fanout.go).
func (h *Handler) run(ctx context.Context, id string, start time.Time, req *request.Request, rep *report.Report, params map[string]any) (_ *Result, err error) {
	ctx, cancel := withQueryDeadline(ctx)
	defer cancel()
	res := &Result{RequestID: id, Report: rep.Name, CompanyID: req.CompanyID, Format: req.Format, Params: displayParams(params)}
	stmt, args := rep.SQL, params
	var sel store.Selection
	if rep.NeedsData {
		res.StartDate = req.StartDate.Format(layout.DateFormat)
		res.EndDate = req.EndDate.Format(layout.DateFormat)
		days, lists, err := h.store.Days(ctx, req.CompanyID, req.StartDate, req.EndDate)
		if err != nil {
			return nil, err
		}
		if shards := h.split(req, rep, days, res); shards != nil {
			if fanned, err := h.fanOut(ctx, start, req, rep, params, res, shards, lists); !errors.Is(err, errFallBack) {
				return fanned, err
			}
		}
		if sel, err = h.store.Fetch(ctx, days, lists); err != nil {
			return nil, err
		}
		args = make(map[string]any, len(params)+3)
		for k, v := range params {
			args[k] = v
		}
		args[report.ParamCompanyID] = req.CompanyID
		args[report.ParamStartDate] = req.StartDate
		args[report.ParamEndDate] = req.EndDate
		if req.Shard {
			// A part answers every group; the merge limits.
			stmt = rep.Merge.PartialSQL(rep.SQL)
			if rep.Merge.Limit != "" {
				args[rep.Merge.Limit] = nil
			}
		}
	}
	res.Stats = selectionStats(sel, res.Stats)
	if rep.NeedsData && len(sel.Files) == 0 {
		res.Warnings = append(res.Warnings, h.noData(id, req.CompanyID, req.StartDate, req.EndDate))
	}
	sess, err := h.engine.Open(ctx, engine.Job{ID: id, Tenant: req.CompanyID, SQL: stmt, Args: args, Files: sel.Paths(), DefineView: rep.NeedsData})
	if err != nil {
		return nil, err
	}
	// Only an instance whose request succeeded serves the next request for
	// the same files; after an error or a cancellation it is closed.
	defer func() {
		if err == nil {
			if rerr := sess.Release(); rerr != nil {
				h.log.Warn("instance not kept", "request_id", id, "error", rerr.Error())
			}
		} else {
			sess.Close()
		}
	}()
	res.Stats.InstanceReused = sess.Reused
	return h.deliver(ctx, sess, req, res, start)
}

// deliver reads the session's result into res: inline when the request
// asks for json and it fits, otherwise exported to the output root. A
// shard's part keeps its column types, and goes to the output root as
// Parquet when it does not fit inline.
func (h *Handler) deliver(ctx context.Context, sess *engine.Session, req *request.Request, res *Result, start time.Time) (*Result, error) {
	if req.Format == "json" && req.OutputKey == "" {
		fits, err := h.inline(ctx, sess, res, start, req.Shard)
		if err != nil || fits {
			return res, err
		}
		if h.output == nil {
			return nil, &request.Error{Field: "format", Msg: fmt.Sprintf(
				"the result is larger than the %d-byte inline limit; set LAMBDUCK_OUTPUT so large results can be exported, or narrow the request", h.cfg.InlineBytes)}
		}
		h.log.Info("result over the inline limit, exporting", "request_id", res.RequestID, "limit", h.cfg.InlineBytes)
	}
	if err := h.export(ctx, sess, req, res); err != nil {
		return nil, err
	}
	res.Stats.DurationMS = ms(h.now().Sub(start))
	return res, nil
}

// noData is the warning of a request whose company has no files in its
// range; the log names the data root too (the caller may not know it).
func (h *Handler) noData(id, company string, start, end time.Time) string {
	msg := fmt.Sprintf("no data found for company_id %s from %s to %s", company, start.Format(layout.DateFormat), end.Format(layout.DateFormat))
	h.log.Warn(msg, "request_id", id, "data", h.cfg.Data)
	return msg
}

// selectionStats is what reading a selection cost, for the answer's stats;
// what st already says (why the request was not split) is kept.
func selectionStats(sel store.Selection, st Stats) Stats {
	st.Files, st.BytesRead, st.Shards = len(sel.Files), sel.Bytes, 1
	if sel.Remote {
		st.BytesDownloaded, st.ListRequests = &sel.Downloaded, &sel.ListRequests
	}
	return st
}

// inline reads the result into res.Rows. It stops reading as soon as the
// result cannot fit the inline limit and reports fits=false. The limit
// applies to the whole response as Lambda returns it, the body escaped
// inside it, measured with the duration as it stands then (which is the
// duration reported).
func (h *Handler) inline(ctx context.Context, sess *engine.Session, res *Result, start time.Time, types bool) (fits bool, err error) {
	rows, err := sess.Query(ctx)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	res.Columns = rows.Columns()
	if types {
		res.Types = rows.Types()
	}
	res.Rows = [][]any{}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for rows.Next() {
		row := rows.Row()
		b, err := json.Marshal(row)
		if err != nil {
			return false, fmt.Errorf("encoding row %d: %w", res.RowCount+1, err)
		}
		if res.RowCount > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b)
		res.Rows = append(res.Rows, row)
		res.RowCount++
		if buf.Len() > h.cfg.InlineBytes {
			res.Rows, res.RowCount = nil, 0
			return false, nil
		}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	buf.WriteByte(']')
	res.encodedRows = buf.Bytes()
	res.Stats.DurationMS = ms(h.now().Sub(start))
	whole, err := json.Marshal(jsonResponse(http.StatusOK, res))
	if err != nil {
		return false, err
	}
	if len(whole) > h.cfg.InlineBytes {
		res.Rows, res.RowCount, res.encodedRows = nil, 0, nil
		return false, nil
	}
	return true, nil
}

// export writes the result with DuckDB's COPY and puts the file under the
// output root at <report>/<company>/<request id>.<format> — a shard's part
// as Parquet at partialKey, for its coordinator only (no URL).
func (h *Handler) export(ctx context.Context, sess *engine.Session, req *request.Request, res *Result) error {
	res.Rows, res.RowCount, res.encodedRows = nil, 0, nil
	format := req.Format
	if req.Shard {
		format = "parquet"
	}
	file, n, err := sess.Export(ctx, format)
	if err != nil {
		return err
	}
	if res.Columns == nil || (req.Shard && res.Types == nil) {
		if res.Columns, res.Types, err = sess.Columns(ctx); err != nil {
			return err
		}
		if !req.Shard {
			res.Types = nil
		}
	}
	res.RowCount = n
	return h.putResult(ctx, file, format, req, res)
}

// putResult moves a finished result file into the output root and says
// where it is: at a scheduled job's key, at a shard's part key, or at
// <report>/<company>/<request id>.<ext> with a presigned URL (a job's
// files and a coordinator's parts are nobody's download).
func (h *Handler) putResult(ctx context.Context, file, ext string, req *request.Request, res *Result) (err error) {
	company := req.CompanyID
	if company == "" {
		company = "_"
	}
	key := res.Report + "/" + company + "/" + res.RequestID + "." + ext
	switch {
	case req.Shard:
		key = partialKey(res.Report, company, res.RequestID)
	case req.OutputKey != "":
		key = req.OutputKey
	}
	if err := h.output.Put(ctx, file, key); err != nil {
		return err
	}
	if !req.Shard && req.OutputKey == "" {
		if res.URL, err = h.output.Presign(ctx, key, h.cfg.URLExpiry); err != nil {
			return err
		}
	}
	res.Location = h.output.Location(key)
	return nil
}

// logDone writes the request's one log line: its outcome, what it read and
// cost, and for a failure the error (details a 500 does not return).
func (h *Handler) logDone(id string, start time.Time, req *request.Request, res *Result, err error) {
	status := http.StatusOK
	if err != nil {
		status = Status(err)
	}
	// duckdb_instances is every instance open in the process (the kept one
	// and the spare at most, between requests): a number that grows is a leak.
	attrs := []any{"request_id", id, "status", status, "duration_ms", ms(h.now().Sub(start)), "duckdb_instances", engine.LiveInstances()}
	if req != nil {
		attrs = append(attrs, "report", req.Report, "company_id", req.CompanyID, "trigger", req.Trigger)
	}
	if res != nil {
		attrs = append(attrs, "rows", res.RowCount, "files", res.Stats.Files, "bytes_read", res.Stats.BytesRead,
			"exported", res.Location != "", "instance_reused", res.Stats.InstanceReused)
	}
	level := slog.LevelInfo
	switch status {
	case http.StatusInternalServerError:
		level = slog.LevelError
	case http.StatusGatewayTimeout:
		level = slog.LevelWarn
	}
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	if h.cfg.FunctionName != "" {
		attrs = append(attrs, h.metrics(start, req, res, status, err)...)
	}
	h.log.Log(context.Background(), level, "request done", attrs...)
}

// metrics makes the "request done" line a CloudWatch Embedded Metric Format
// record: CloudWatch Logs turns its numbers into metrics of the namespace
// lambduck, by function and report, with no API call from the function.
// The company is a property (searchable in Logs Insights), not a
// dimension: a dimension per company would be a metric per company.
func (h *Handler) metrics(start time.Time, req *request.Request, res *Result, status int, err error) []any {
	failed := 0
	if status >= 500 {
		failed = 1
	}
	metric := func(name, unit string) map[string]string { return map[string]string{"Name": name, "Unit": unit} }
	out := []any{
		"_aws", map[string]any{
			"Timestamp": h.now().UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace": MetricsNamespace,
				// By function (what the module's alarms watch) and by report.
				"Dimensions": [][]string{{"function"}, {"function", "report"}},
				"Metrics": []any{metric("duration_ms", "Milliseconds"), metric("bytes_read", "Bytes"), metric("rows", "Count"),
					metric("gb_seconds", "None"), metric("shards", "Count"), metric("failed", "Count"),
					metric("failed_shards", "Count")},
			}},
		},
		"function", h.cfg.FunctionName, "failed", failed,
	}
	if res != nil {
		out = append(out, "gb_seconds", res.Stats.GBSeconds, "shards", res.Stats.Shards, "failed_shards", res.Stats.Retries)
	} else {
		out = append(out, "gb_seconds", roundGB(h.gbSeconds(h.now().Sub(start))), "shards", 1, "failed_shards", failedShards(err))
	}
	// Every metric and dimension is a member of the line: the request's own
	// (logDone) when there is one, else these.
	if req == nil {
		out = append(out, "report", "-")
	}
	if res == nil {
		out = append(out, "rows", 0, "bytes_read", 0)
	}
	return out
}

// MetricsNamespace is the CloudWatch namespace of the request metrics.
const MetricsNamespace = "lambduck"

// gbSeconds is what Lambda bills for d at the function's memory size (0
// off Lambda).
func (h *Handler) gbSeconds(d time.Duration) float64 {
	return d.Seconds() * float64(h.cfg.MemoryMB) / 1024
}

func roundGB(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// Status is the HTTP status for an error of Answer: 400 for a caller's
// mistake, 404 for an unknown report, 504 for the deadline, 502 for a
// shard that failed, 500 otherwise.
func Status(err error) int {
	var (
		reqErr   *request.Error
		paramErr *report.ParamError
		tooLarge *store.TooLargeError
		notFound *report.NotFoundError
		shardErr *ShardError
	)
	switch {
	case errors.As(err, &reqErr), errors.As(err, &paramErr), errors.As(err, &tooLarge):
		return http.StatusBadRequest
	case errors.As(err, &notFound):
		return http.StatusNotFound
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), engine.IsInterrupt(err):
		return http.StatusGatewayTimeout
	case errors.As(err, &shardErr):
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// deadlineMargin is how long before the Lambda deadline a query is
// cancelled: long enough to answer 504 and clean up, short next to the timeout.
func deadlineMargin(remaining time.Duration) time.Duration {
	return min(max(remaining/10, 200*time.Millisecond), 2*time.Second)
}

func withQueryDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, dl.Add(-deadlineMargin(time.Until(dl))))
}

// displayParams shows parameter values as the caller would write them.
func displayParams(params map[string]any) map[string]any {
	out := make(map[string]any, len(params))
	for k, v := range params {
		if t, ok := v.(time.Time); ok {
			v = t.Format(layout.DateFormat)
		}
		out[k] = v
	}
	return out
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }
