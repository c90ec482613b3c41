package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"lambduck/internal/layout"
)

// Engine opens the DuckDB instances reports run in. Each is locked to one
// company's exact files and its own scratch folder. After a request that
// succeeded, its instance is kept (one at most) and reused by the next request
// only if that request is for the same company and exactly the same files
// (same paths, sizes and modification times); any other request closes it and
// gets a fresh one. To keep instance start-up (≈ 15 ms) off the path, once a
// report has run the engine also keeps one spare instance — created in the
// background, never used, with DuckDB's defaults.
//
// Close releases all of it: the kept instance, the spare and any spare
// still being made. Every owner of an Engine closes it.
type Engine struct {
	settings Settings

	mu     sync.Mutex
	idle   *instance         // the last successful request's instance
	spare  *duckdb.Connector // ready, never used
	making sync.WaitGroup    // spares being made
	closed bool              // no new spare after Close until the next Open
}

// New returns an engine; it checks that the scratch folder can be made.
// Nothing is opened until a session or tool asks for an instance.
func New(s Settings) (*Engine, error) {
	if s.Scratch == "" {
		return nil, errors.New("engine: scratch folder not set")
	}
	if err := os.MkdirAll(s.Scratch, 0o700); err != nil {
		return nil, fmt.Errorf("engine: scratch folder: %w", err)
	}
	return &Engine{settings: s}, nil
}

// Settings returns what the engine applies to each instance.
func (e *Engine) Settings() Settings { return e.settings }

// prepareSpare makes the next request's instance in the background.
func (e *Engine) prepareSpare() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.spare != nil || e.closed {
		return
	}
	e.making.Add(1)
	go func() {
		defer e.making.Done()
		c, err := newConnector()
		if err != nil {
			return // the next request opens its own and reports the error
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.spare != nil || e.closed {
			closeConnector(c)
			return
		}
		e.spare = c
	}()
}

// takeSpare returns the spare (nil when none is ready).
func (e *Engine) takeSpare() *duckdb.Connector {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.spare
	e.spare = nil
	return c
}

// takeIdle removes the kept instance from the engine and returns it (or nil).
func (e *Engine) takeIdle() *instance {
	e.mu.Lock()
	defer e.mu.Unlock()
	idle := e.idle
	e.idle = nil
	return idle
}

// Close closes the kept instance and the spare, after waiting for a spare
// being made. The engine may be used again afterwards (and must then be
// closed again).
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.making.Wait()
	var errs []error
	if idle := e.takeIdle(); idle != nil {
		errs = append(errs, idle.close())
	}
	if c := e.takeSpare(); c != nil {
		errs = append(errs, closeConnector(c))
	}
	return errors.Join(errs...)
}

// Job is one report run.
type Job struct {
	ID     string         // request id; names the instance's scratch folder
	Tenant string         // the company the files belong to; an instance serves one
	SQL    string         // one SELECT statement, values referred to as $name
	Args   map[string]any // bound by name
	Files  []string       // local Parquet files the access_logs view covers; the only files the SQL may open
	// DefineView makes access_logs; reports that read no data skip it.
	DefineView bool
	// Views are further CREATE VIEW statements over Files, written by the
	// platform (never a caller's text): the fan-out's view of its partials.
	Views []string
	// Share, when > 1, says the caller runs this many instances side by
	// side (compaction, a day on each): this one gets that share of the
	// engine's threads (one at least), memory limit and spill space, so
	// that together they stay within what the engine may use.
	Share int
}

var safeID = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// key says what an instance for job is locked to: the tenant, whether the
// view is defined, and each file with its size and modification time, so a
// file replaced in place gives another key. "" (a file cannot be read) is
// never reused.
func key(job Job) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q %t %q %d", job.Tenant, job.DefineView, job.Views, job.Share)
	for _, f := range job.Files {
		fi, err := os.Stat(f)
		if err != nil {
			return ""
		}
		fmt.Fprintf(&b, " %q:%d:%d", f, fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String()
}

// Open returns a session for job: the idle instance when it is locked to
// exactly job's files, otherwise a fresh instance with the settings applied,
// access restricted to job.Files and its own scratch folder, the view
// defined and the configuration locked.
func (e *Engine) Open(ctx context.Context, job Job) (*Session, error) {
	e.mu.Lock()
	e.closed = false
	e.mu.Unlock()
	k := key(job)
	if idle := e.takeIdle(); idle != nil {
		if k != "" && idle.key == k {
			return &Session{engine: e, in: idle, job: job, Reused: true}, nil
		}
		// Closed before the next instance grows: one instance's memory at a time.
		idle.close()
	}
	allowed, err := quoteList(job.Files)
	if err != nil {
		return nil, err
	}
	id := safeID.ReplaceAllString(job.ID, "_")
	if id == "" {
		id = "job"
	}
	in, err := openInstance(ctx, e.settings, e.takeSpare(), "req-"+id+"-", func(dir string) ([]string, error) {
		stmts := []string{
			"SET allowed_paths = " + allowed,
			"SET allowed_directories = [" + quote(dir+string(filepath.Separator)) + "]",
			"SET enable_external_access = false",
		}
		if job.DefineView {
			view, err := viewSQL(job.Files)
			if err != nil {
				return nil, err
			}
			stmts = append(stmts, view)
		}
		stmts = append(stmts, job.Views...)
		stmts = append(stmts, e.settings.share(job.Share)...)
		return append(stmts, "SET lock_configuration = true"), nil
	})
	e.prepareSpare()
	if err != nil {
		return nil, err
	}
	in.key = k
	return &Session{engine: e, in: in, job: job}, nil
}

func namedArgs(args map[string]any) []any {
	out := make([]any, 0, len(args))
	for k, v := range args {
		out = append(out, sql.Named(k, v))
	}
	return out
}

// viewSQL defines access_logs over exactly files, with the partition
// columns from the Hive path (package layout).
func viewSQL(files []string) (string, error) {
	if len(files) == 0 {
		return "CREATE VIEW access_logs AS " + layout.EmptySelect(), nil
	}
	list, err := quoteList(files)
	if err != nil {
		return "", err
	}
	return "CREATE VIEW access_logs AS SELECT * FROM read_parquet(" + list +
		", hive_partitioning = true, hive_types = " + layout.HiveTypes() + ")", nil
}

// quote makes a SQL string literal. Only platform-chosen paths and settings
// go through it; caller values are always bound parameters.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Quote makes a SQL string literal of a platform-chosen path (COPY … TO
// takes no bound parameter for its target).
func Quote(s string) string { return quote(s) }

// QuoteList makes a SQL list literal of platform-chosen paths.
func QuoteList(paths []string) (string, error) { return quoteList(paths) }

func quoteList(paths []string) (string, error) {
	parts := make([]string, len(paths))
	for i, p := range paths {
		if strings.ContainsAny(p, "\x00\n\r") {
			return "", fmt.Errorf("engine: refusing path with control characters: %q", p)
		}
		parts[i] = quote(p)
	}
	return "[" + strings.Join(parts, ", ") + "]", nil
}

func firstWords(q string) string {
	f := strings.Fields(q)
	if len(f) > 3 {
		f = f[:3]
	}
	return strings.Join(f, " ")
}
