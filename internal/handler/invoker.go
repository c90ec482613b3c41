package handler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Invoker runs one shard request on a worker and returns what the function
// returned. An error is the invocation's failure: the Invoke API refused or
// throttled it (isThrottle), or the function failed (FunctionError).
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// lambdaInvoker calls a function with the Lambda Invoke API
// (RequestResponse), through the SDK's default configuration: credentials
// from the role, AWS_ENDPOINT_URL_LAMBDA when set. The SDK does not retry:
// the coordinator's fault rules do, and count what they do.
type lambdaInvoker struct {
	function string

	mu     sync.Mutex
	client *lambda.Client
}

func newLambdaInvoker(function string) *lambdaInvoker { return &lambdaInvoker{function: function} }

func (l *lambdaInvoker) get(ctx context.Context) (*lambda.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.client == nil {
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("lambda: AWS configuration: %w", err)
		}
		l.client = lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Retryer = aws.NopRetryer{} })
	}
	return l.client, nil
}

// FunctionError is a worker that failed as a function (it crashed, ran out
// of time or memory): Lambda's X-Amz-Function-Error.
type FunctionError struct {
	Kind    string // Unhandled, …
	Payload string
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("the worker failed (%s): %.300s", e.Kind, e.Payload)
}

func (l *lambdaInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	c, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(l.function), Payload: payload})
	if err != nil {
		return nil, err
	}
	if out.FunctionError != nil {
		return nil, &FunctionError{Kind: *out.FunctionError, Payload: string(out.Payload)}
	}
	return out.Payload, nil
}

// isThrottle reports whether the Invoke API refused a call for the account's
// or function's concurrency (429): retried after a backoff.
func isThrottle(err error) bool {
	var tooMany *types.TooManyRequestsException
	if errors.As(err, &tooMany) {
		return true
	}
	var resp *smithyhttp.ResponseError
	return errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusTooManyRequests
}
