package handler

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"lambduck/internal/config"
)

// StartLambda is the binary's Lambda face: read the configuration once,
// build the handler (catalog, store, engine) once, then serve the runtime
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
