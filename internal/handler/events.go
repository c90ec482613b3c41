package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"lambduck/internal/bucket"
	"lambduck/internal/compact"
	"lambduck/internal/ingest"
	"lambduck/internal/layout"
	"lambduck/internal/request"
	"lambduck/internal/storage"
)

// ingestResult is the outcome for one created object.
type ingestResult struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	ingest.FileSummary
	// Retry is true when the failure may pass (S3 unreachable, …); a
	// rejected object (not a log, no company) is reported and not retried.
	Retry bool  `json:"retry"`
	err   error // the cause, when Retry
	// Compacted are the closed days of the company that were compacted
	// after the ingest (docs/operations.md).
	Compacted []string `json:"compacted,omitempty"`
}

// handleS3 ingests the objects of a direct S3 notification. A failure that
// may pass is returned as an error, so that Lambda retries the event;
// ingest is idempotent, so a retry or a re-delivery never doubles data.
func (h *Handler) handleS3(ctx context.Context, payload []byte) (any, error) {
	ctx = withRequestID(ctx)
	log := h.log.With("request_id", requestID(ctx), "trigger", "s3")
	objs, err := request.S3Objects(payload)
	if err != nil {
		log.Error("undecodable S3 event", "error", err.Error())
		return jsonResponse(http.StatusBadRequest, errorBody{Error: err.Error()}), nil
	}
	results := make([]ingestResult, 0, len(objs))
	var retry []error
	for _, o := range objs {
		r := h.ingestObject(ctx, log, o)
		if r.Retry {
			retry = append(retry, fmt.Errorf("s3://%s/%s: %w", r.Bucket, r.Key, r.err))
		}
		results = append(results, r)
	}
	if len(retry) > 0 {
		return nil, fmt.Errorf("ingest failed for a reason that may pass; the event will be retried: %w", errors.Join(retry...))
	}
	return jsonResponse(http.StatusOK, map[string]any{"ingested": results}), nil
}

// handleSQS ingests an SQS batch of S3 notifications and returns the
// partial-batch response: only messages whose ingest may succeed later are
// listed for retry (the event source mapping needs ReportBatchItemFailures).
func (h *Handler) handleSQS(ctx context.Context, payload []byte) (any, error) {
	ctx = withRequestID(ctx)
	log := h.log.With("request_id", requestID(ctx), "trigger", "sqs")
	msgs, err := request.SQSMessages(payload)
	if err != nil {
		log.Error("undecodable SQS event", "error", err.Error())
		return nil, err
	}
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range msgs {
		if m.Err != nil {
			log.Warn("SQS message is not an S3 notification; dropped, not retried", "message_id", m.ID, "error", m.Err.Error())
			continue
		}
		for _, o := range m.Objects {
			if r := h.ingestObject(ctx, log.With("message_id", m.ID), o); r.Retry {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.ID})
				break
			}
		}
	}
	return resp, nil
}

func (h *Handler) ingestObject(ctx context.Context, log *slog.Logger, o request.CreatedObject) (r ingestResult) {
	r.Bucket, r.Key = o.Bucket, o.Key
	r.FileSummary.Source = "s3://" + o.Bucket + "/" + o.Key
	retry := func(err error) ingestResult {
		r.Error, r.Retry, r.err = err.Error(), true, err
		return r
	}
	defer func() {
		attrs := []any{"bucket", r.Bucket, "key", r.Key, "company_id", r.Company, "format", r.Format,
			"lines_read", r.LinesRead, "rows_written", r.RowsWritten, "lines_rejected", r.LinesRejected}
		switch {
		case r.Error == "" && len(r.SameBytesAs) > 0:
			log.Warn("object ingested; the same bytes were ingested before under another name, so their rows count twice", append(attrs, "same_bytes_as", r.SameBytesAs)...)
		case r.Error == "":
			log.Info("object ingested", attrs...)
		case r.Retry:
			log.Error("object not ingested; will be retried", append(attrs, "error", r.Error)...)
		default:
			log.Warn("object rejected; not retried", append(attrs, "error", r.Error)...)
		}
	}()
	if layout.CompanyFromPath(o.Key) == "" {
		r.Error = "no company_id=<id> segment in the key"
		return r
	}
	from, err := storage.Parse("s3://"+o.Bucket+"/", h.s3)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	src, err := ingest.Fetch(ctx, from, storage.Object{Key: o.Key}, h.cfg.Scratch)
	if err != nil {
		if bucket.IsNotFound(err) || errors.Is(err, storage.ErrBadKey) {
			// Gone since the notification (a later event covers its
			// successor), or a key no retry can make readable.
			r.Error = err.Error()
			return r
		}
		return retry(err)
	}
	defer ingest.RemoveTemporary([]ingest.Source{src})
	sum, err := ingest.Run(ctx, h.engine, []ingest.Source{src}, ingest.Options{Root: h.store.Root(), Format: h.cfg.IngestFormat, LogFormat: h.cfg.IngestLogFormat, TimeZone: h.cfg.TimeZone}, nil)
	if err != nil {
		return retry(err)
	}
	r.FileSummary = sum.Sources[0]
	if r.Error != "" && !r.FileSummary.Rejected {
		return retry(errors.New(r.Error))
	}
	if r.Error == "" && h.cfg.AutoCompact {
		r.Compacted = h.compactClosedDays(ctx, log, r.Company, r.Days)
	}
	return r
}

// compactDeadlineMargin: compaction after an ingest starts a day only
// when the invocation has at least this long left.
const compactDeadlineMargin = 60 * time.Second

// compactClosedDays compacts the company's closed days (ended, in the
// deployment's time zone, more than LAMBDUCK_COMPACT_LATENESS ago) from the
// day before the first day an ingest wrote to its last that a report would
// read more than the threshold's files from. The ingest has succeeded
// whatever happens here: a failure is logged and the next ingest or
// `lambduck compact` does the job.
func (h *Handler) compactClosedDays(ctx context.Context, log *slog.Logger, company string, days []string) []string {
	if len(days) == 0 {
		return nil
	}
	first, err1 := layout.ParseDate(days[0])
	last, err2 := layout.ParseDate(days[len(days)-1])
	if err1 != nil || err2 != nil {
		return nil
	}
	now := h.now().In(h.cfg.TimeZone)
	for !last.Before(first.AddDate(0, 0, -1)) {
		end := time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, h.cfg.TimeZone)
		if !now.Before(end.Add(h.cfg.CompactLateness)) {
			break
		}
		last = last.AddDate(0, 0, -1)
	}
	first = first.AddDate(0, 0, -1)
	if last.Before(first) {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < compactDeadlineMargin {
		log.Info("compaction skipped: too little time left in the invocation", "company_id", company)
		return nil
	}
	sum, err := compact.Run(ctx, h.cfg.Compaction(h.store.Root(), h.engine), company, first, last, nil)
	var out []string
	for _, d := range sum.Days {
		if d.ID != "" {
			out = append(out, d.Date)
			log.Info("day compacted", "company_id", company, "date", d.Date, "files_before", d.FilesBefore, "rows", d.Rows, "compaction", d.ID)
		}
	}
	if err != nil {
		log.Error("compaction failed; the data reads right and the next run finishes it", "company_id", company, "error", err.Error())
	}
	return out
}
