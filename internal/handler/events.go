package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"lambduck/internal/bucket"
	"lambduck/internal/ingest"
	"lambduck/internal/request"
)

// ingestResult is the outcome for one created object.
type ingestResult struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	ingest.FileSummary
	// Retry is true when the failure may pass (S3 unreachable, …); a
	// rejected object (not a log, no company) is reported and not retried.
	Retry bool `json:"retry"`
}

// handleS3 ingests the objects of a direct S3 notification. A failure that
// may pass is returned as an error, so that Lambda retries the event;
// ingest is idempotent, so a retry or a re-delivery never doubles data.
func (h *Handler) handleS3(ctx context.Context, payload []byte) ([]byte, error) {
	log := h.log.With("request_id", requestID(ctx), "trigger", "s3")
	objs, err := request.S3Objects(payload)
	if err != nil {
		log.Error("undecodable S3 event", "error", err.Error())
		return json.Marshal(jsonResponse(http.StatusBadRequest, errorBody{Error: err.Error()}))
	}
	results := make([]ingestResult, 0, len(objs))
	retry := false
	for _, o := range objs {
		r := h.ingestObject(ctx, log, o)
		retry = retry || r.Retry
		results = append(results, r)
	}
	if retry {
		return nil, fmt.Errorf("ingest failed for a reason that may pass; the event will be retried (see the log)")
	}
	return json.Marshal(jsonResponse(http.StatusOK, map[string]any{"ingested": results}))
}

// handleSQS ingests an SQS batch of S3 notifications and returns the
// partial-batch response: only messages whose ingest may succeed later are
// listed for retry (the event source mapping needs ReportBatchItemFailures).
func (h *Handler) handleSQS(ctx context.Context, payload []byte) ([]byte, error) {
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
	return json.Marshal(resp)
}

func (h *Handler) ingestObject(ctx context.Context, log *slog.Logger, o request.CreatedObject) (r ingestResult) {
	r.Bucket, r.Key = o.Bucket, o.Key
	r.FileSummary.Source = "s3://" + o.Bucket + "/" + o.Key
	defer func() {
		attrs := []any{"bucket", r.Bucket, "key", r.Key, "company_id", r.Company, "format", r.Format,
			"lines_read", r.LinesRead, "rows_written", r.RowsWritten, "lines_rejected", r.LinesRejected}
		switch {
		case r.Error == "":
			log.Info("object ingested", attrs...)
		case r.Retry:
			log.Error("object not ingested; will be retried", append(attrs, "error", r.Error)...)
		default:
			log.Warn("object rejected; not retried", append(attrs, "error", r.Error)...)
		}
	}()
	if ingest.CompanyFromPath(o.Key) == "" {
		r.Error = "no company_id=<id> segment in the key"
		return r
	}
	client, sink, err := h.ingestTargets(ctx)
	if err != nil {
		r.Error, r.Retry = err.Error(), true
		return r
	}
	src, err := ingest.FetchS3(ctx, client, bucket.Object{Bucket: o.Bucket, Key: o.Key}, h.cfg.Scratch)
	if err != nil {
		// Gone since the notification: a later event covers its successor.
		r.Error, r.Retry = err.Error(), !bucket.IsNotFound(err)
		return r
	}
	defer os.Remove(src.Path)
	sum, err := ingest.Run(ctx, h.engine, []ingest.Source{src}, ingest.Options{Sink: sink, TimeZone: h.cfg.TimeZone}, nil)
	if err != nil {
		r.Error, r.Retry = err.Error(), true
		return r
	}
	r.FileSummary = sum.Sources[0]
	r.Retry = r.Error != "" && !r.FileSummary.Rejected
	return r
}

// ingestTargets returns the S3 client and the data root's sink, made once.
func (h *Handler) ingestTargets(ctx context.Context) (*bucket.Client, ingest.Sink, error) {
	h.ingestOnce.Do(func() {
		if h.s3 == nil {
			if h.s3, h.ingestErr = bucket.New(ctx, h.cfg.S3PathStyle); h.ingestErr != nil {
				return
			}
		}
		h.sink, h.ingestErr = ingest.NewSink(h.cfg.Data, h.s3)
	})
	if h.ingestErr != nil {
		return nil, nil, errors.Join(errors.New("ingest set-up"), h.ingestErr)
	}
	return h.s3, h.sink, nil
}

type ingestState struct {
	ingestOnce sync.Once
	ingestErr  error
	sink       ingest.Sink
}
