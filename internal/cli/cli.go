// Package cli is lambduck's command-line face. Every command builds the
// same Handler the Lambda function runs and calls it in-process, so what a
// user sees on a laptop is what the function answers in AWS.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"lambduck/internal/bucket"
	"lambduck/internal/config"
	"lambduck/internal/engine"
	"lambduck/internal/handler"
)

// Main runs the command line and returns the exit code.
func Main(args []string) int {
	root := newRoot(os.Stdout, os.Stderr)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			return int(ec)
		}
		fmt.Fprintln(os.Stderr, "lambduck:", err)
		return 2
	}
	return 0
}

// exitCode ends a command with a status but no further message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "lambduck",
		Short: "DuckDB report jobs on AWS Lambda, and the same jobs on your laptop",
		Long: `lambduck answers named, parameterised SQL reports over Hive-partitioned
Parquet (company_id=<id>/date=<YYYY-MM-DD>/…) with DuckDB embedded.

The same binary is the Lambda function (started as bootstrap with
AWS_LAMBDA_RUNTIME_API set) and this command-line tool, which runs the very
same handler in-process against a local folder.

Configuration comes from the environment: LAMBDUCK_DATA (data root, default
.lambduck/demo/data here), LAMBDUCK_OUTPUT, LAMBDUCK_REPORTS,
LAMBDUCK_TIMEZONE, LAMBDUCK_SCRATCH, LAMBDUCK_MAX_DAYS, LAMBDUCK_LOG_LEVEL.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newDemo(), newInvoke(), newIngest(), newGen(), newReports(), newBench())
	return root
}

// env is what a command needs from the environment, built the same way the
// Lambda face builds it.
type env struct {
	cfg config.Config
	log *slog.Logger
}

func loadEnv(defaultLevel slog.Level) (env, error) {
	cfg, err := config.Env(false)
	if err != nil {
		return env{}, err
	}
	return env{cfg: cfg, log: config.Logger(os.Getenv, defaultLevel)}, nil
}

func (e env) handler() (*handler.Handler, error) { return handler.New(e.cfg, e.log) }

// s3Client returns an S3 client when any of locations is s3://, else nil.
func (e env) s3Client(ctx context.Context, locations ...string) (*bucket.Client, error) {
	for _, l := range locations {
		if bucket.IsURI(l) {
			return bucket.New(ctx, e.cfg.S3PathStyle)
		}
	}
	return nil, nil
}

func (e env) engine() (*engine.Engine, error) {
	return engine.New(engine.Settings{Scratch: e.cfg.Scratch, TimeZone: e.cfg.TimeZone.String(), SpillBytes: e.cfg.SpillBytes}.ForFunctionMemory(e.cfg.MemoryMB))
}
