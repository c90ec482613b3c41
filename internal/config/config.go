// Package config reads lambduck's settings from the environment
// (docs/operations.md lists them), once, at start-up. Both faces of the binary use it: in Lambda
// LAMBDUCK_DATA is required; on the command line it defaults to the demo data.
package config

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"lambduck/internal/compact"
	"lambduck/internal/engine"
	"lambduck/internal/ingest"
	"lambduck/internal/storage"
)

// Defaults.
const (
	DefaultCLIData     = ".lambduck/demo/data"
	DefaultScratch     = "/tmp/lambduck"
	DefaultMaxDays     = 366
	DefaultInlineBytes = 5_000_000 // under Lambda's 6 MB response cap, with room for escaping
	DefaultMaxEvent    = 1 << 20   // a report request is a few hundred bytes
	// DefaultFanoutBytes is the selection above which a report fans out
	// (docs/performance.md, "Fan-out": where one worker's time saved pays
	// for the invocations).
	DefaultFanoutBytes = 128 << 20
	DefaultWorkers     = 16
)

// Config is the deployment's settings.
type Config struct {
	Data        string   // folder or s3://bucket/prefix
	Output      string   // where exports go; "" means exports are refused
	Reports     string   // folder of user report files
	GeoIP       []string // LAMBDUCK_GEOIP_DB: MaxMind-format databases (files or s3:// objects) for the dashboard's countries and networks
	TimeZone    *time.Location
	Scratch     string
	MaxDays     int
	S3PathStyle bool
	InlineBytes int // largest inline response
	MaxEvent    int // largest event accepted
	// LogFormat is LAMBDUCK_LOG_FORMAT: json, text or "" (the command line
	// chooses text on a terminal; Lambda always logs JSON).
	LogFormat string
	MemoryMB  int // AWS_LAMBDA_FUNCTION_MEMORY_SIZE, 0 when not set
	// FunctionName is AWS_LAMBDA_FUNCTION_NAME, set by Lambda (and the
	// emulator): requests then log CloudWatch metrics (docs/operations.md).
	FunctionName string
	InLambda     bool

	// Fan-out (docs/operations.md). Function is LAMBDUCK_FUNCTION, the
	// function a coordinator invokes for each shard (in Lambda, the function
	// itself by default; "" on the command line: nothing fans out).
	Function    string
	FanoutBytes int64 // LAMBDUCK_FANOUT_BYTES: a larger selection fans out
	Workers     int   // LAMBDUCK_WORKERS: invocations at once; 1: never fan out

	CacheBytes    int64         // LAMBDUCK_CACHE_BYTES: staged S3 objects kept warm; 0: half the scratch file system
	SpillBytes    int64         // LAMBDUCK_SPILL_BYTES: cap on one request's DuckDB spill files; 0: DuckDB's default
	S3Concurrency int           // LAMBDUCK_S3_CONCURRENCY: parallel object downloads
	URLExpiry     time.Duration // LAMBDUCK_URL_EXPIRY: lifetime of presigned result URLs
	IngestFormat  string        // LAMBDUCK_INGEST_FORMAT: the raw format of S3-triggered ingest; "" detects per object
	// LAMBDUCK_INGEST_LOG_FORMAT (+ _DATE_FORMAT, _TIME_FORMAT) or
	// LAMBDUCK_INGEST_NGINX_FORMAT: a custom layout for S3-triggered ingest.
	IngestLogFormat *ingest.LogFormat

	// Compaction (docs/operations.md). LAMBDUCK_COMPACT: whether an
	// S3-triggered ingest compacts the closed days it touched (default true).
	AutoCompact      bool
	CompactThreshold int           // LAMBDUCK_COMPACT_THRESHOLD: compact a day a reader reads more files than this from
	CompactTarget    int           // LAMBDUCK_COMPACT_TARGET_ROWS: a larger compacted day is written as several files
	CompactLateness  time.Duration // LAMBDUCK_COMPACT_LATENESS: a day is closed this long after it ends in LAMBDUCK_TIMEZONE
	CompactGrace     time.Duration // LAMBDUCK_COMPACT_GRACE: replaced files are removed this long after their compaction
	// CompactKeepReplaced is LAMBDUCK_COMPACT_KEEP_REPLACED: replaced files
	// are never removed (an Athena table reads them).
	CompactKeepReplaced bool
}

// Settings are the environment variables FromEnv reads, with what each is
// for (docs/operations.md has their defaults and limits). The command
// line's help lists them from here.
var Settings = [][2]string{
	{"LAMBDUCK_DATA", "data root: a folder or s3://bucket/prefix"},
	{"LAMBDUCK_OUTPUT", "where exports and oversized results go"},
	{"LAMBDUCK_REPORTS", "folder of your own report files"},
	{"LAMBDUCK_GEOIP_DB", "MaxMind-format databases for the dashboard"},
	{"LAMBDUCK_TIMEZONE", "the report time zone (IANA name)"},
	{"LAMBDUCK_SCRATCH", "scratch space: S3 cache, spill, exports"},
	{"LAMBDUCK_MAX_DAYS", "longest date range of a request"},
	{"LAMBDUCK_INLINE_BYTES", "largest inline response"},
	{"LAMBDUCK_CACHE_BYTES", "budget of the warm S3 cache"},
	{"LAMBDUCK_SPILL_BYTES", "cap on one request's spill files"},
	{"LAMBDUCK_S3_CONCURRENCY", "parallel object downloads"},
	{"LAMBDUCK_S3_PATH_STYLE", "path-style S3 addressing"},
	{"LAMBDUCK_URL_EXPIRY", "lifetime of presigned result URLs"},
	{"LAMBDUCK_INGEST_FORMAT", "raw format of S3-triggered ingest"},
	{"LAMBDUCK_INGEST_LOG_FORMAT", "custom layout (GoAccess's language)"},
	{"LAMBDUCK_INGEST_DATE_FORMAT", "its date format"},
	{"LAMBDUCK_INGEST_TIME_FORMAT", "its time format"},
	{"LAMBDUCK_INGEST_NGINX_FORMAT", "custom layout (nginx's log_format)"},
	{"LAMBDUCK_FUNCTION", "function invoked for fan-out shards"},
	{"LAMBDUCK_FANOUT_BYTES", "selection size above which a report fans out"},
	{"LAMBDUCK_WORKERS", "shard invocations at once (1: never)"},
	{"LAMBDUCK_COMPACT", "compact after S3-triggered ingest"},
	{"LAMBDUCK_COMPACT_THRESHOLD", "files a day may hold before compaction"},
	{"LAMBDUCK_COMPACT_TARGET_ROWS", "rows per compacted file"},
	{"LAMBDUCK_COMPACT_LATENESS", "when a day is closed"},
	{"LAMBDUCK_COMPACT_GRACE", "when replaced files are removed"},
	{"LAMBDUCK_COMPACT_KEEP_REPLACED", "never remove them (an Athena table reads them)"},
	{"LAMBDUCK_LOG_LEVEL", "debug, info, warn or error"},
	{"LAMBDUCK_LOG_FORMAT", "text or json log lines"},
}

// FromEnv reads the configuration. inLambda selects the Lambda rules
// (LAMBDUCK_DATA required).
func FromEnv(getenv func(string) string, inLambda bool) (Config, error) {
	c := Config{
		Data:         getenv("LAMBDUCK_DATA"),
		Output:       getenv("LAMBDUCK_OUTPUT"),
		Reports:      getenv("LAMBDUCK_REPORTS"),
		GeoIP:        splitList(getenv("LAMBDUCK_GEOIP_DB")),
		Scratch:      getenv("LAMBDUCK_SCRATCH"),
		InLambda:     inLambda,
		FunctionName: getenv("AWS_LAMBDA_FUNCTION_NAME"),
		MaxEvent:     DefaultMaxEvent,
	}
	if c.Data == "" {
		if inLambda {
			return c, fmt.Errorf("LAMBDUCK_DATA is not set: name the data root (a folder or s3://bucket/prefix)")
		}
		c.Data = DefaultCLIData
	}
	if c.Scratch == "" {
		c.Scratch = DefaultScratch
	}
	if !filepath.IsAbs(c.Scratch) {
		abs, err := filepath.Abs(c.Scratch)
		if err != nil {
			return c, fmt.Errorf("LAMBDUCK_SCRATCH: %w", err)
		}
		c.Scratch = abs
	}
	tz := getenv("LAMBDUCK_TIMEZONE")
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || strings.EqualFold(tz, "local") {
		return c, fmt.Errorf("LAMBDUCK_TIMEZONE: %q is not an IANA time zone name", tz)
	}
	c.TimeZone = loc
	if c.MaxDays, err = intVar(getenv, "LAMBDUCK_MAX_DAYS", DefaultMaxDays, 1, 100_000); err != nil {
		return c, err
	}
	if c.InlineBytes, err = intVar(getenv, "LAMBDUCK_INLINE_BYTES", DefaultInlineBytes, 1024, 6_000_000); err != nil {
		return c, err
	}
	if c.MemoryMB, err = intVar(getenv, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 0, 0, 1<<20); err != nil {
		return c, err
	}
	if c.S3Concurrency, err = intVar(getenv, "LAMBDUCK_S3_CONCURRENCY", 8, 1, 256); err != nil {
		return c, err
	}
	cacheBytes, err := intVar(getenv, "LAMBDUCK_CACHE_BYTES", 0, 0, 1<<50)
	if err != nil {
		return c, err
	}
	c.CacheBytes = int64(cacheBytes)
	spillBytes, err := intVar(getenv, "LAMBDUCK_SPILL_BYTES", 0, 0, 1<<50)
	if err != nil {
		return c, err
	}
	c.SpillBytes = int64(spillBytes)
	c.URLExpiry = time.Hour
	if v := getenv("LAMBDUCK_URL_EXPIRY"); v != "" {
		if c.URLExpiry, err = time.ParseDuration(v); err != nil || c.URLExpiry < time.Second || c.URLExpiry > 7*24*time.Hour {
			return c, fmt.Errorf("LAMBDUCK_URL_EXPIRY: %q is not a duration from 1s to 168h (e.g. 15m)", v)
		}
	}
	if v := getenv("LAMBDUCK_INGEST_FORMAT"); v != "" {
		f, ok := ingest.FormatName(v)
		if !ok {
			return c, fmt.Errorf("LAMBDUCK_INGEST_FORMAT: %q is not one of %s", v, strings.Join(ingest.Formats, ", "))
		}
		c.IngestFormat = f
	}
	if c.IngestLogFormat, err = ingest.CustomFormat(getenv("LAMBDUCK_INGEST_LOG_FORMAT"), getenv("LAMBDUCK_INGEST_DATE_FORMAT"),
		getenv("LAMBDUCK_INGEST_TIME_FORMAT"), getenv("LAMBDUCK_INGEST_NGINX_FORMAT")); err != nil {
		return c, fmt.Errorf("LAMBDUCK_INGEST_LOG_FORMAT / LAMBDUCK_INGEST_NGINX_FORMAT: %w", err)
	}
	if c.IngestLogFormat != nil && c.IngestFormat != "" {
		return c, fmt.Errorf("LAMBDUCK_INGEST_FORMAT and a custom layout (LAMBDUCK_INGEST_LOG_FORMAT or LAMBDUCK_INGEST_NGINX_FORMAT) are both set; set one")
	}
	if c.Function = getenv("LAMBDUCK_FUNCTION"); c.Function == "" && inLambda && c.FunctionName != "" {
		// The function itself, at the version running now: workers run the
		// coordinator's code, also while a new version is being deployed.
		c.Function = c.FunctionName
		if v := getenv("AWS_LAMBDA_FUNCTION_VERSION"); v != "" && v != "$LATEST" {
			c.Function += ":" + v
		}
	}
	fanout, err := intVar(getenv, "LAMBDUCK_FANOUT_BYTES", DefaultFanoutBytes, 1, 1<<50)
	if err != nil {
		return c, err
	}
	c.FanoutBytes = int64(fanout)
	if c.Workers, err = intVar(getenv, "LAMBDUCK_WORKERS", DefaultWorkers, 1, 1000); err != nil {
		return c, err
	}
	c.AutoCompact = true
	if v := getenv("LAMBDUCK_COMPACT"); v != "" {
		if c.AutoCompact, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("LAMBDUCK_COMPACT: %q is not true or false", v)
		}
	}
	if c.CompactThreshold, err = intVar(getenv, "LAMBDUCK_COMPACT_THRESHOLD", compact.DefaultThreshold, 1, 1_000_000); err != nil {
		return c, err
	}
	if c.CompactTarget, err = intVar(getenv, "LAMBDUCK_COMPACT_TARGET_ROWS", compact.DefaultTargetRows, 1000, 1<<40); err != nil {
		return c, err
	}
	if c.CompactLateness, err = durationVar(getenv, "LAMBDUCK_COMPACT_LATENESS", 2*time.Hour, 0, 31*24*time.Hour); err != nil {
		return c, err
	}
	if c.CompactGrace, err = durationVar(getenv, "LAMBDUCK_COMPACT_GRACE", compact.DefaultGrace, 0, 7*24*time.Hour); err != nil {
		return c, err
	}
	if v := getenv("LAMBDUCK_COMPACT_KEEP_REPLACED"); v != "" {
		if c.CompactKeepReplaced, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("LAMBDUCK_COMPACT_KEEP_REPLACED: %q is not true or false", v)
		}
	}
	if v := getenv("LAMBDUCK_LOG_LEVEL"); v != "" {
		var l slog.Level
		if l.UnmarshalText([]byte(v)) != nil {
			return c, fmt.Errorf("LAMBDUCK_LOG_LEVEL: %q is not debug, info, warn or error", v)
		}
	}
	switch c.LogFormat = getenv("LAMBDUCK_LOG_FORMAT"); c.LogFormat {
	case "", "json", "text":
	default:
		return c, fmt.Errorf("LAMBDUCK_LOG_FORMAT: %q is not json or text", c.LogFormat)
	}
	if v := getenv("LAMBDUCK_S3_PATH_STYLE"); v != "" {
		if c.S3PathStyle, err = strconv.ParseBool(v); err != nil {
			return c, fmt.Errorf("LAMBDUCK_S3_PATH_STYLE: %q is not true or false", v)
		}
	}
	return c, nil
}

// EngineSettings is how every DuckDB instance of this deployment is
// configured: scratch, time zone, spill cap, and memory and threads from the
// function's size.
func (c Config) EngineSettings() engine.Settings {
	return engine.Settings{Scratch: c.Scratch, TimeZone: c.TimeZone.String(), SpillBytes: c.SpillBytes}.ForFunctionMemory(c.MemoryMB)
}

// Env is FromEnv over the process environment.
func Env(inLambda bool) (Config, error) { return FromEnv(os.Getenv, inLambda) }

func intVar(getenv func(string) string, name string, def, lo, hi int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s: %q is not a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// Logger returns the JSON logger of the Lambda face, on stderr (Lambda sends
// it to CloudWatch). LAMBDUCK_LOG_LEVEL (or Lambda's AWS_LAMBDA_LOG_LEVEL)
// sets the level; fallback is the default. It is made before the
// configuration is read (to log a configuration error), so it passes over
// a bad level, which FromEnv then refuses.
func Logger(getenv func(string) string, fallback slog.Level) *slog.Logger {
	return NewLogger(os.Stderr, LogLevel(getenv, fallback), false)
}

// LogLevel is the level LAMBDUCK_LOG_LEVEL (or AWS_LAMBDA_LOG_LEVEL) names,
// or fallback.
func LogLevel(getenv func(string) string, fallback slog.Level) slog.Level {
	for _, name := range []string{"LAMBDUCK_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL"} {
		if v := getenv(name); v != "" {
			var l slog.Level
			if l.UnmarshalText([]byte(v)) == nil {
				return l
			}
		}
	}
	return fallback
}

// NewLogger logs to w at level: JSON lines, or with text short lines for a
// person (logfmt without the time: level=WARN msg="…" key=value).
func NewLogger(w io.Writer, level slog.Level, text bool) *slog.Logger {
	if !text {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
}

// durationVar reads a duration setting (e.g. 90m) within [lo, hi].
func durationVar(getenv func(string) string, name string, def, lo, hi time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("%s: %q is not a duration from %s to %s (e.g. 90m)", name, v, lo, hi)
	}
	return d, nil
}

// Compaction is how this deployment compacts root with eng
// (LAMBDUCK_COMPACT_THRESHOLD, _TARGET_ROWS, _GRACE; a grace of 0 removes
// replaced files at once).
func (c Config) Compaction(root *storage.Root, eng *engine.Engine) compact.Options {
	grace := c.CompactGrace
	if grace == 0 {
		grace = -1
	}
	return compact.Options{Root: root, Engine: eng, Scratch: c.Scratch, Threshold: c.CompactThreshold, TargetRows: int64(c.CompactTarget),
		Grace: grace, KeepReplaced: c.CompactKeepReplaced}
}

// splitList reads a comma-separated list, without empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
