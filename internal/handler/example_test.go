package handler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"lambduck/internal/config"
	"lambduck/internal/handler"
	"lambduck/internal/request"
)

// The typed core: a request in, a Result out — rows as values, no JSON in
// between. The Lambda face and the CLI only encode it.
func Example() {
	dir, err := os.MkdirTemp("", "lambduck-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	cfg, err := config.FromEnv(func(name string) string {
		return map[string]string{"LAMBDUCK_DATA": dir, "LAMBDUCK_SCRATCH": dir + "/scratch"}[name]
	}, false)
	if err != nil {
		panic(err)
	}
	h, err := handler.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		panic(err)
	}
	defer h.Close()

	req, err := request.Decode([]byte(`{"report": "hello"}`), cfg.MaxEvent)
	if err != nil {
		panic(err)
	}
	res, err := h.Answer(context.Background(), req)
	if err != nil {
		fmt.Println("status", handler.Status(err), err)
		return
	}
	fmt.Println(res.Report, res.Columns, res.Rows)
	// Output: hello [greeting number] [[hello 123]]
}
