package handler

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"lambduck/internal/bucket"
	"lambduck/internal/config"
	"lambduck/internal/engine"
	"lambduck/internal/output"
	"lambduck/internal/report"
	"lambduck/internal/request"
	"lambduck/internal/store"
)

// Store chooses a request's files.
type Store interface {
	Select(ctx context.Context, company string, start, end time.Time) (store.Selection, error)
}

// Output receives finished export files.
type Output interface {
	Put(ctx context.Context, src, key string) (output.Result, error)
}

// Handler answers report requests. It is safe for one request at a time,
// which is how Lambda calls it; the CLI does the same.
type Handler struct {
	cfg     config.Config
	catalog *report.Catalog
	store   Store
	output  Output         // nil when LAMBDUCK_OUTPUT is not set
	s3      *bucket.Client // nil when neither data nor output is in S3
	engine  *engine.Engine
	log     *slog.Logger
	ingestState
}

// New builds the handler from the configuration: the catalog is read and
// the data root checked once, here, not per request.
func New(cfg config.Config, log *slog.Logger) (*Handler, error) {
	catalog, err := report.Load(cfg.Reports, log)
	if err != nil {
		return nil, err
	}
	eng, err := engine.New(engine.Settings{Scratch: cfg.Scratch, TimeZone: cfg.TimeZone.String(), SpillBytes: cfg.SpillBytes}.ForFunctionMemory(cfg.MemoryMB))
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, catalog: catalog, engine: eng, log: log}
	if bucket.IsURI(cfg.Data) || bucket.IsURI(cfg.Output) {
		if h.s3, err = bucket.New(context.Background(), cfg.S3PathStyle); err != nil {
			return nil, err
		}
	}
	if h.store, err = newStore(cfg, h.s3); err != nil {
		return nil, err
	}
	switch {
	case bucket.IsURI(cfg.Output):
		root, err := bucket.ParseURI(cfg.Output)
		if err != nil {
			return nil, fmt.Errorf("LAMBDUCK_OUTPUT: %w", err)
		}
		h.output = &output.S3{Client: h.s3, Root: root, Expiry: cfg.URLExpiry}
	case cfg.Output != "":
		h.output = &output.Local{Root: cfg.Output}
	}
	return h, nil
}

// newStore opens the data root: a folder, or an S3 prefix staged through
// the warm cache under the scratch folder.
func newStore(cfg config.Config, client *bucket.Client) (Store, error) {
	if !bucket.IsURI(cfg.Data) {
		return store.NewLocal(cfg.Data)
	}
	root, err := bucket.ParseURI(cfg.Data)
	if err != nil {
		return nil, fmt.Errorf("LAMBDUCK_DATA: %w", err)
	}
	budget := cfg.CacheBytes
	if budget == 0 {
		budget = halfOfFileSystem(cfg.Scratch)
	}
	cache, err := store.NewCache(filepath.Join(cfg.Scratch, "cache"), budget)
	if err != nil {
		return nil, fmt.Errorf("LAMBDUCK_SCRATCH: %w", err)
	}
	return &store.S3{Client: client, Root: root, Cache: cache, Concurrency: cfg.S3Concurrency}, nil
}

// halfOfFileSystem is the default cache budget: half of the file system
// that holds scratch (Lambda's ephemeral storage), leaving the rest to spill
// files and exports.
func halfOfFileSystem(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 256 << 20
	}
	return int64(st.Blocks) * int64(st.Bsize) / 2
}

// Catalog returns the reports this handler answers.
func (h *Handler) Catalog() *report.Catalog { return h.catalog }

// Invoke implements lambda.Handler: the payload arrives as raw bytes, so even
// malformed JSON is answered by the handler with a 400, not by the runtime.
// S3 notifications (direct or in SQS messages) are ingested; everything
// else is a report request.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if len(payload) > h.cfg.MaxEvent {
		return json.Marshal(h.Handle(ctx, payload)) // refused by size before any parsing
	}
	switch request.Kind(payload) {
	case request.KindS3:
		return h.handleS3(ctx, payload)
	case request.KindSQS:
		return h.handleSQS(ctx, payload)
	}
	return json.Marshal(h.Handle(ctx, payload))
}

// Handle answers one event. It never panics and never returns a Go error:
// every outcome is a Response.
func (h *Handler) Handle(ctx context.Context, payload []byte) (resp Response) {
	start := time.Now()
	id := requestID(ctx)
	log := h.log.With("request_id", id)
	var req *request.Request
	var res *resultBody
	defer func() {
		if p := recover(); p != nil {
			log.Error("panic while handling request", "panic", fmt.Sprint(p))
			resp = jsonResponse(http.StatusInternalServerError, errorBody{Error: "internal error", RequestID: id})
		}
		attrs := []any{"status", resp.StatusCode, "duration_ms", ms(time.Since(start))}
		if req != nil {
			attrs = append(attrs, "report", req.Report, "company_id", req.CompanyID, "trigger", req.Trigger)
		}
		if res != nil {
			attrs = append(attrs, "rows", res.RowCount, "files", res.Stats.Files, "bytes_read", res.Stats.BytesRead, "exported", res.Location != "", "instance_reused", res.Stats.InstanceReused)
		}
		log.Info("request done", attrs...)
	}()

	req, err := request.Decode(payload, h.cfg.MaxEvent)
	if err != nil {
		return h.fail(log, id, err)
	}
	rep, ok := h.catalog.Lookup(req.Report)
	if !ok {
		return jsonResponse(http.StatusNotFound, errorBody{
			Error: fmt.Sprintf("report: %q is not a report here (available: %s)", req.Report, h.reportNames()), RequestID: id})
	}
	if rep.NeedsData {
		if err := req.RequireRange(h.cfg.MaxDays); err != nil {
			return h.fail(log, id, err)
		}
	}
	params, err := rep.Bind(req.Params)
	if err != nil {
		return h.fail(log, id, err)
	}
	if req.Format != "json" && h.output == nil {
		return h.fail(log, id, &request.Error{Field: "format", Msg: fmt.Sprintf(
			"%q results are written to LAMBDUCK_OUTPUT, which this deployment does not set", req.Format)})
	}
	res, err = h.run(ctx, log, id, req, rep, params)
	if err != nil {
		return h.fail(log, id, err)
	}
	res.Stats.DurationMS = ms(time.Since(start))
	return jsonResponse(http.StatusOK, res)
}

// Close closes the DuckDB instance kept for the next request, and with it
// its scratch folder. The handler still serves requests afterwards.
func (h *Handler) Close() error { return h.engine.Shutdown() }

// run chooses the files, opens the locked instance and produces the result.
func (h *Handler) run(ctx context.Context, log *slog.Logger, id string, req *request.Request, rep *report.Report, params map[string]any) (_ *resultBody, err error) {
	ctx, cancel := withQueryDeadline(ctx)
	defer cancel()

	res := &resultBody{RequestID: id, Report: rep.Name, CompanyID: req.CompanyID, Format: req.Format, Params: displayParams(params)}
	args := params
	var sel store.Selection
	if rep.NeedsData {
		res.StartDate = req.StartDate.Format(report.DateLayout)
		res.EndDate = req.EndDate.Format(report.DateLayout)
		if sel, err = h.store.Select(ctx, req.CompanyID, req.StartDate, req.EndDate); err != nil {
			return nil, err
		}
		args = make(map[string]any, len(params)+3)
		for k, v := range params {
			args[k] = v
		}
		args[report.ParamCompanyID] = req.CompanyID
		args[report.ParamStartDate] = req.StartDate
		args[report.ParamEndDate] = req.EndDate
	}
	res.Stats = stats{Files: len(sel.Files), BytesRead: sel.Bytes}
	if sel.Remote {
		res.Stats.BytesDownloaded, res.Stats.ListRequests = &sel.Downloaded, &sel.ListRequests
	}
	log.Debug("files selected", "files", len(sel.Files), "bytes", sel.Bytes)

	sess, err := h.engine.Open(ctx, engine.Job{ID: id, Tenant: req.CompanyID, SQL: rep.SQL, Args: args, Files: sel.Paths(), DefineView: rep.NeedsData})
	if err != nil {
		return nil, err
	}
	// Only an instance whose request succeeded serves the next request for
	// the same files; after an error or a cancellation it is closed.
	defer func() {
		if err == nil {
			if rerr := sess.Release(); rerr != nil {
				log.Warn("instance not kept", "error", rerr.Error())
			}
		} else {
			sess.Close()
		}
	}()
	res.Stats.InstanceReused = sess.Reused

	if req.Format == "json" {
		fits, err := h.inline(ctx, sess, res)
		if err != nil || fits {
			return res, err
		}
		if h.output == nil {
			return nil, &request.Error{Field: "format", Msg: fmt.Sprintf(
				"the result is larger than the %d-byte inline limit; set LAMBDUCK_OUTPUT so large results can be exported, or narrow the request", h.cfg.InlineBytes)}
		}
		log.Info("result over the inline limit, exporting", "limit", h.cfg.InlineBytes)
	}
	return res, h.export(ctx, sess, req, res)
}

// inline reads the result into res.Data. It stops reading as soon as the
// result cannot fit the inline limit and reports fits=false.
func (h *Handler) inline(ctx context.Context, sess *engine.Session, res *resultBody) (fits bool, err error) {
	rows, err := sess.Query(ctx)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	res.Columns = rows.Columns()
	var buf bytes.Buffer
	buf.WriteByte('[')
	for row := rows.Next(); row != nil; row = rows.Next() {
		b, err := json.Marshal(row)
		if err != nil {
			return false, fmt.Errorf("encoding row %d: %w", res.RowCount+1, err)
		}
		if res.RowCount > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b)
		res.RowCount++
		if buf.Len() > h.cfg.InlineBytes {
			return false, nil
		}
	}
	if err := rows.Err(); err != nil {
		return false, err
	}
	buf.WriteByte(']')
	res.Data = buf.Bytes()
	// The body travels as an escaped JSON string inside the response: measure that.
	whole, err := json.Marshal(jsonResponse(http.StatusOK, res))
	if err != nil {
		return false, err
	}
	if len(whole) > h.cfg.InlineBytes {
		res.Data, res.RowCount = nil, 0
		return false, nil
	}
	return true, nil
}

func (h *Handler) export(ctx context.Context, sess *engine.Session, req *request.Request, res *resultBody) error {
	res.Data, res.RowCount = nil, 0
	file, n, err := sess.Export(ctx, req.Format)
	if err != nil {
		return err
	}
	if res.Columns == nil {
		if res.Columns, err = sess.Columns(ctx); err != nil {
			return err
		}
	}
	put, err := h.output.Put(ctx, file, output.Key(res.Report, req.CompanyID, res.RequestID, req.Format))
	if err != nil {
		return err
	}
	res.RowCount, res.Location, res.URL = n, put.Location, put.URL
	return nil
}

// fail turns an error into the response the contract asks for: 400 for a
// caller's mistake, 504 for a deadline, 500 (details logged, not returned)
// for the rest.
func (h *Handler) fail(log *slog.Logger, id string, err error) Response {
	var reqErr *request.Error
	var paramErr *report.ParamError
	var tooLarge *store.TooLargeError
	switch {
	case errors.As(err, &reqErr), errors.As(err, &paramErr), errors.As(err, &tooLarge):
		log.Info("bad request", "error", err.Error())
		return jsonResponse(http.StatusBadRequest, errorBody{Error: err.Error(), RequestID: id})
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || isInterrupted(err):
		log.Warn("query cancelled near the deadline", "error", err.Error())
		return jsonResponse(http.StatusGatewayTimeout, errorBody{
			Error: "the report did not finish before the function's deadline and was cancelled; narrow the date range or raise the timeout", RequestID: id})
	default:
		log.Error("request failed", "error", err.Error())
		return jsonResponse(http.StatusInternalServerError, errorBody{Error: "internal error; see the function's log for request " + id, RequestID: id})
	}
}

func isInterrupted(err error) bool {
	return err != nil && strings.Contains(err.Error(), "INTERRUPT")
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

func (h *Handler) reportNames() string {
	var names []string
	for _, r := range h.catalog.All() {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}

func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "local-" + hex.EncodeToString(b[:])
}

// displayParams shows parameter values as the caller would write them.
func displayParams(params map[string]any) map[string]any {
	out := make(map[string]any, len(params))
	for k, v := range params {
		if t, ok := v.(time.Time); ok {
			v = t.Format(report.DateLayout)
		}
		out[k] = v
	}
	return out
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }
