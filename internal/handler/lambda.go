package handler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"lambduck/internal/config"
	"lambduck/internal/dashboard"
	"lambduck/internal/request"
	"lambduck/internal/schedule"
)

// StartLambda is the binary's Lambda face: read the configuration once,
// build the handler (catalog, roots, engine) once, then serve the runtime
// API's invocations until the sandbox is shut down.
func StartLambda() {
	log := config.Logger(os.Getenv, 0)
	cfg, err := config.Env(true)
	if err != nil {
		log.Error("configuration error; the function cannot start", "error", err.Error())
		os.Exit(1)
	}
	h, err := New(cfg, log)
	if err != nil {
		log.Error("start-up failed", "error", err.Error())
		os.Exit(1)
	}
	// The instance kept for the next request lives as long as the sandbox;
	// its scratch folder holds only an empty spill folder between requests.
	lambda.Start(h)
}

// Response is what the function returns for a report request: the shape
// Function URLs and API Gateway also accept.
type Response struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

func jsonResponse(status int, body any) Response {
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error: response could not be encoded"}`)
	}
	return Response{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}
}

type errorBody struct {
	Error     string `json:"error"`
	RequestID string `json:"request_id,omitempty"`
}

// errorResponse is the response for an error of Answer (or of decoding):
// a caller's mistake is named; a 500 says only where to look.
func errorResponse(id string, err error) Response {
	status := Status(err)
	msg := err.Error()
	switch status {
	case http.StatusGatewayTimeout:
		msg = "the report did not finish before the function's deadline and was cancelled; narrow the date range or raise the timeout"
	case http.StatusInternalServerError:
		msg = "internal error; see the function's log for request " + id
	}
	return jsonResponse(status, errorBody{Error: msg, RequestID: id})
}

// Invoke implements lambda.Handler: the payload arrives as raw bytes, so even
// malformed JSON is answered by the handler with a 400, not by the runtime.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := h.Serve(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// Serve answers any event with its typed outcome: a Response for a report
// request, a scheduled job or a direct S3 notification, an
// events.SQSEventResponse for an SQS batch. An error means "retry the event" (Lambda does, for async and
// S3-triggered invocations).
func (h *Handler) Serve(ctx context.Context, payload []byte) (any, error) {
	if len(payload) <= h.cfg.MaxEvent { // an oversized event is refused by Handle, unparsed
		if schedule.Is(payload) {
			return h.handleJob(ctx, payload)
		}
		switch request.Kind(payload) {
		case request.KindS3:
			return h.handleS3(ctx, payload)
		case request.KindSQS:
			return h.handleSQS(ctx, payload)
		}
	}
	return h.Handle(ctx, payload), nil
}

// Handle answers one report event. It never fails: every outcome is a Response.
func (h *Handler) Handle(ctx context.Context, payload []byte) Response {
	ctx = withRequestID(ctx)
	id := requestID(ctx)
	req, err := request.Decode(payload, h.cfg.MaxEvent)
	if err != nil {
		h.logDone(id, h.now(), nil, nil, err)
		return errorResponse(id, err)
	}
	res, err := h.Answer(ctx, req)
	if err != nil {
		return errorResponse(id, err)
	}
	if res.Page != nil {
		return Response{StatusCode: http.StatusOK, Body: string(res.Page), Headers: map[string]string{
			"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": dashboard.CSP, "X-Content-Type-Options": "nosniff"}}
	}
	return jsonResponse(http.StatusOK, res)
}

// withRequestID gives ctx a request id: Lambda's, or a local one.
func withRequestID(ctx context.Context) context.Context {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return ctx
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "local-" + hex.EncodeToString(b[:])})
}

func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return "unknown"
}
