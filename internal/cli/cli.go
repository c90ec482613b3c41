// Package cli is lambduck's command-line face. Commands that answer reports
// build the same Handler the Lambda function runs (handler.New) and call its
// typed core in-process, so what a user sees on a laptop is what the
// function answers in AWS; commands that write data use the same roots and
// engine settings. Every command closes what it opened.
package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"lambduck/internal/bucket"
	"lambduck/internal/config"
	"lambduck/internal/engine"
	"lambduck/internal/handler"
	"lambduck/internal/layout"
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
LAMBDUCK_TIMEZONE, LAMBDUCK_SCRATCH, LAMBDUCK_MAX_DAYS, LAMBDUCK_LOG_LEVEL.
docs/operations.md lists every setting.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newDemo(), newInvoke(), newIngest(), newGen(), newCompact(), newDashboard(), newReports())
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

// s3 is the S3 client provider for the roots a command opens.
func (e env) s3() *bucket.Provider { return bucket.NewProvider(e.cfg.S3PathStyle) }

// engine is the engine of a command that writes data; the caller closes it.
func (e env) engine() (*engine.Engine, error) { return engine.New(e.cfg.EngineSettings()) }

// dateRange parses --start and --end (YYYY-MM-DD), end not before start.
func dateRange(start, end string) (from, to time.Time, err error) {
	if from, err = layout.ParseDate(start); err != nil {
		return from, to, fmt.Errorf("--start: %w", err)
	}
	if to, err = layout.ParseDate(end); err != nil {
		return from, to, fmt.Errorf("--end: %w", err)
	}
	if to.Before(from) {
		return from, to, fmt.Errorf("--end %s is before --start %s", end, start)
	}
	return from, to, nil
}
