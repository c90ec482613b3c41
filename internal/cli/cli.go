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
	"strings"
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
		if errors.Is(err, errVersionShown) {
			return 0
		}
		if errors.As(err, &ec) {
			return int(ec)
		}
		fmt.Fprintln(os.Stderr, "lambduck:", err)
		return 2
	}
	return 0
}

// errVersionShown ends a command after --version printed what it prints.
var errVersionShown = errors.New("version shown")

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

Configuration comes from the environment (docs/operations.md has each
setting's default and limits):

` + settingsHelp(),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		// --version works on every command, before its arguments are checked.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if v, _ := cmd.Flags().GetBool("version"); v {
				fmt.Fprint(cmd.OutOrStdout(), version())
				return errVersionShown
			}
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().Bool("version", false, "print the build's commit and the embedded DuckDB's version")
	root.PersistentFlags().String("logs", "", "log lines on standard error: text (short lines; the default on a terminal) or json (the default elsewhere, and in Lambda)")
	root.AddCommand(newDemo(), newInvoke(), newServe(), newEvent(), newSQL(), newSources(), newIngest(), newGen(), newCompact(), newDashboard(), newJob(), newReports())
	return root
}

// settingsHelp lists the environment variables the configuration reads.
func settingsHelp() string {
	var b strings.Builder
	for _, s := range config.Settings {
		fmt.Fprintf(&b, "  %-30s %s\n", s[0], s[1])
	}
	return strings.TrimRight(b.String(), "\n")
}

// env is what a command needs from the environment, built the same way the
// Lambda face builds it.
type env struct {
	cfg config.Config
	log *slog.Logger
}

// loadEnv reads the configuration and makes the command's logger: short
// text lines on a terminal, JSON lines elsewhere, or as --logs (or
// LAMBDUCK_LOG_FORMAT) says.
func loadEnv(cmd *cobra.Command, defaultLevel slog.Level) (env, error) {
	cfg, err := config.Env(false)
	if err != nil {
		return env{}, err
	}
	format := cfg.LogFormat
	if f := cmd.Flags().Lookup("logs"); f != nil && f.Changed {
		format = f.Value.String()
	}
	switch format {
	case "":
		format = "json"
		if isTerminal(cmd.ErrOrStderr()) {
			format = "text"
		}
	case "json", "text":
	default:
		return env{}, fmt.Errorf("--logs: %q is not json or text", format)
	}
	log := config.NewLogger(cmd.ErrOrStderr(), config.LogLevel(os.Getenv, defaultLevel), format == "text")
	return env{cfg: cfg, log: log}, nil
}

func (e env) handler() (*handler.Handler, error) { return handler.New(e.cfg, e.log) }

// openHandler is loadEnv then the handler of a command that answers
// requests; the caller closes the handler.
func openHandler(cmd *cobra.Command, defaultLevel slog.Level) (env, *handler.Handler, error) {
	e, err := loadEnv(cmd, defaultLevel)
	if err != nil {
		return e, nil, err
	}
	h, err := e.handler()
	return e, h, err
}

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
