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
)

// Engine opens the DuckDB instances reports run in. Each is locked to one
// company's exact files and its own scratch folder. After a request that
// succeeded, its instance is kept (one at most) and reused by the next request
// only if that request is for the same company and exactly the same files
// (same paths, sizes and modification times); any other request closes it and
// gets a fresh one. To keep instance start-up (≈ 15 ms) off the path, the
// engine also keeps one spare instance — created in the background, never
// used, with DuckDB's defaults.
type Engine struct {
	settings Settings
	spare    chan *duckdb.Connector

	mu   sync.Mutex
	idle *instance // the last successful request's instance, for a request with the same key
}

// instance is one configured, locked DuckDB instance.
type instance struct {
	conn0 *duckdb.Connector
	db    *sql.DB
	conn  *sql.Conn
	dir   string // the instance's scratch folder: spill/ and exports; removed with it
	key   string // what it is locked to; "" never matches
}

func (in *instance) close() error {
	var errs []error
	if in.conn != nil {
		errs = append(errs, in.conn.Close())
	}
	if in.db != nil {
		errs = append(errs, in.db.Close()) // closes the connector, i.e. the instance
	}
	if in.conn0 != nil {
		errs = append(errs, in.conn0.Close())
	}
	errs = append(errs, os.RemoveAll(in.dir))
	return errors.Join(errs...)
}

// New returns an engine; it checks that the scratch folder can be made.
func New(s Settings) (*Engine, error) {
	if s.Scratch == "" {
		return nil, errors.New("engine: scratch folder not set")
	}
	if err := os.MkdirAll(s.Scratch, 0o700); err != nil {
		return nil, fmt.Errorf("engine: scratch folder: %w", err)
	}
	e := &Engine{settings: s, spare: make(chan *duckdb.Connector, 1)}
	e.prepareSpare()
	return e, nil
}

// prepareSpare creates the next request's instance in the background.
func (e *Engine) prepareSpare() {
	go func() {
		c, err := duckdb.NewConnector("", nil)
		if err != nil {
			return // the next request opens its own and reports the error
		}
		select {
		case e.spare <- c:
		default:
			c.Close()
		}
	}()
}

// instance returns the spare, or a new instance when none is ready.
func (e *Engine) instance() (*duckdb.Connector, error) {
	select {
	case c := <-e.spare:
		return c, nil
	default:
		return duckdb.NewConnector("", nil)
	}
}

// Settings returns what the engine applies to each instance.
func (e *Engine) Settings() Settings { return e.settings }

// Job is one report run.
type Job struct {
	ID     string         // request id; names the instance's scratch folder
	Tenant string         // the company the files belong to; an instance serves one
	SQL    string         // one SELECT statement, values referred to as $name
	Args   map[string]any // bound by name
	Files  []string       // local Parquet files the access_logs view covers; the only files the SQL may open
	// DefineView makes access_logs; reports that read no data skip it.
	DefineView bool
}

var safeID = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// Session is one request's use of a locked instance. End it with Release
// (the request succeeded: the instance may serve the next request for the
// same files) or Close (anything else: the instance is closed).
type Session struct {
	engine *Engine
	in     *instance
	job    Job
	Reused bool // the instance served an earlier request for the same files
}

// key says what an instance for job is locked to: the tenant, whether the
// view is defined, and each file with its size and modification time, so a
// file replaced in place gives another key. "" (a file cannot be read) is
// never reused.
func key(job Job) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q %t", job.Tenant, job.DefineView)
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
	k := key(job)
	if idle := e.takeIdle(); idle != nil {
		if k != "" && idle.key == k {
			return &Session{engine: e, in: idle, job: job, Reused: true}, nil
		}
		// Closed before the next instance grows: one instance's memory at a time.
		idle.close()
	}
	in, err := e.open(ctx, job)
	if err != nil {
		return nil, err
	}
	in.key = k
	return &Session{engine: e, in: in, job: job}, nil
}

func (e *Engine) open(ctx context.Context, job Job) (_ *instance, err error) {
	id := safeID.ReplaceAllString(job.ID, "_")
	if id == "" {
		id = "job"
	}
	dir, err := os.MkdirTemp(e.settings.Scratch, "req-"+id+"-")
	if err != nil {
		return nil, fmt.Errorf("engine: request scratch folder: %w", err)
	}
	in := &instance{dir: dir}
	defer func() {
		if err != nil {
			in.close()
		}
	}()
	spill := filepath.Join(dir, "spill")
	if err := os.Mkdir(spill, 0o700); err != nil {
		return nil, fmt.Errorf("engine: spill folder: %w", err)
	}
	in.conn0, err = e.instance()
	e.prepareSpare()
	if err != nil {
		return nil, fmt.Errorf("engine: open duckdb: %w", err)
	}
	in.db = sql.OpenDB(in.conn0)
	in.db.SetMaxOpenConns(1)
	in.conn, err = in.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine: connect: %w", err)
	}
	stmts := e.settings.statements(spill)
	allowed, err := quoteList(job.Files)
	if err != nil {
		return nil, err
	}
	stmts = append(stmts,
		"SET allowed_paths = "+allowed,
		"SET allowed_directories = ["+quote(dir+string(filepath.Separator))+"]",
		"SET enable_external_access = false",
	)
	if job.DefineView {
		view, err := viewSQL(job.Files)
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, view)
	}
	stmts = append(stmts, "SET lock_configuration = true")
	for _, q := range stmts {
		if _, err := in.conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("engine: %s: %w", firstWords(q), err)
		}
	}
	return in, nil
}

// Query runs the job's statement and returns its rows, converted for JSON as
// they are read.
func (s *Session) Query(ctx context.Context) (*Rows, error) {
	rows, err := s.in.conn.QueryContext(ctx, s.job.SQL, namedArgs(s.job.Args)...)
	if err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		rows.Close()
		return nil, err
	}
	r := &Rows{rows: rows, types: make([]string, len(types)), names: make([]string, len(types))}
	for i, t := range types {
		r.names[i] = t.Name()
		r.types[i] = t.DatabaseTypeName()
	}
	r.scan = make([]any, len(types))
	r.ptrs = make([]any, len(types))
	for i := range r.scan {
		r.ptrs[i] = &r.scan[i]
	}
	return r, nil
}

// Columns returns the statement's column names without reading data
// (DuckDB plans a LIMIT 0 as an empty result).
func (s *Session) Columns(ctx context.Context) ([]string, error) {
	rows, err := s.in.conn.QueryContext(ctx, "SELECT * FROM ("+s.statement()+"\n) LIMIT 0", namedArgs(s.job.Args)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rows.Columns()
}

// statement is the job's SQL without a trailing semicolon, ready to nest.
func (s *Session) statement() string {
	return strings.TrimRight(strings.TrimSpace(s.job.SQL), ";")
}

// Export formats DuckDB's COPY writes.
var exportOptions = map[string]string{
	"csv":     "FORMAT csv, HEADER true",
	"parquet": "FORMAT parquet, COMPRESSION zstd",
	"ndjson":  "FORMAT json",
	"json":    "FORMAT json, ARRAY true",
}

// Export runs the job's statement with COPY into a file in the instance's
// scratch folder and returns its path and row count. The caller moves it
// into place, so a reader never sees a partial file.
func (s *Session) Export(ctx context.Context, format string) (path string, rows int64, err error) {
	opts, ok := exportOptions[format]
	if !ok {
		return "", 0, fmt.Errorf("engine: unknown export format %q", format)
	}
	path = filepath.Join(s.in.dir, "result."+format)
	q := "COPY (" + s.statement() + "\n) TO " + quote(path) + " (" + opts + ")"
	res, err := s.in.conn.ExecContext(ctx, q, namedArgs(s.job.Args)...)
	if err != nil {
		return "", 0, err
	}
	rows, _ = res.RowsAffected()
	return path, rows, nil
}

// Close closes the instance and removes its scratch folder (spill files and
// any export not moved away): nothing of the request is left in memory or on
// disk when it returns.
func (s *Session) Close() error {
	if s.in == nil {
		return nil
	}
	in := s.in
	s.in = nil
	return in.close()
}

// Release ends a request that succeeded: what the request left in the
// instance's scratch folder (an export not moved away) is removed, and the
// instance is kept for the next request for the same files. It is closed
// instead when it cannot be cleaned.
func (s *Session) Release() error {
	if s.in == nil {
		return nil
	}
	in := s.in
	s.in = nil
	entries, err := os.ReadDir(in.dir)
	for _, en := range entries {
		if en.Name() != "spill" && err == nil {
			err = os.RemoveAll(filepath.Join(in.dir, en.Name()))
		}
	}
	if err != nil || in.key == "" {
		return errors.Join(err, in.close())
	}
	e := s.engine
	e.mu.Lock()
	prev := e.idle
	e.idle = in
	e.mu.Unlock()
	if prev != nil { // only when sessions overlap (not on Lambda)
		return prev.close()
	}
	return nil
}

// takeIdle removes the kept instance from the engine and returns it (or nil).
func (e *Engine) takeIdle() *instance {
	e.mu.Lock()
	defer e.mu.Unlock()
	idle := e.idle
	e.idle = nil
	return idle
}

// Shutdown closes the kept instance, if any.
func (e *Engine) Shutdown() error {
	if idle := e.takeIdle(); idle != nil {
		return idle.close()
	}
	return nil
}

func namedArgs(args map[string]any) []any {
	out := make([]any, 0, len(args))
	for k, v := range args {
		out = append(out, sql.Named(k, v))
	}
	return out
}

// Columns of the access_logs view, for when a request selects no file.
const emptyView = `CREATE VIEW access_logs AS SELECT * FROM (SELECT
    NULL::TIMESTAMPTZ AS ts, NULL::VARCHAR AS client_ip, NULL::VARCHAR AS method,
    NULL::VARCHAR AS path, NULL::VARCHAR AS query, NULL::VARCHAR AS protocol,
    NULL::SMALLINT AS status, NULL::BIGINT AS bytes, NULL::VARCHAR AS referrer,
    NULL::VARCHAR AS user_agent, NULL::VARCHAR AS host, NULL::DOUBLE AS request_time_ms,
    NULL::VARCHAR AS source, NULL::VARCHAR AS company_id, NULL::DATE AS date) WHERE false`

// viewSQL defines access_logs over exactly files. The partition columns
// (company_id, date) come from the Hive path with fixed types, so a numeric
// company id stays text.
func viewSQL(files []string) (string, error) {
	if len(files) == 0 {
		return emptyView, nil
	}
	list, err := quoteList(files)
	if err != nil {
		return "", err
	}
	return "CREATE VIEW access_logs AS SELECT * FROM read_parquet(" + list +
		", hive_partitioning = true, hive_types = {'company_id': VARCHAR, 'date': DATE})", nil
}

// quote makes a SQL string literal. Only platform-chosen paths and settings
// go through it; caller values are always bound parameters.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

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

// Leftovers lists what requests left under a scratch folder: every entry
// except the idle instance's folder (req-*, holding only an empty spill
// folder). Tests use it to show that nothing of a request stays on disk.
func Leftovers(scratch string) []string {
	entries, _ := os.ReadDir(scratch)
	var out []string
	idle := 0
	for _, en := range entries {
		if en.IsDir() && strings.HasPrefix(en.Name(), "req-") && idle == 0 {
			inside, _ := os.ReadDir(filepath.Join(scratch, en.Name()))
			spill, _ := os.ReadDir(filepath.Join(scratch, en.Name(), "spill"))
			if len(inside) == 1 && inside[0].Name() == "spill" && len(spill) == 0 {
				idle++
				continue
			}
		}
		out = append(out, en.Name())
	}
	return out
}
