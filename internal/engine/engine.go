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

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Engine opens the per-request DuckDB instances. To keep instance start-up
// (≈ 15 ms) off the request's path, it keeps at most one spare instance —
// created in the background, never used, with DuckDB's defaults. A request
// still gets an instance no request has touched, configured and locked for it.
type Engine struct {
	settings Settings
	spare    chan *duckdb.Connector
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
	ID    string         // request id; names the per-request scratch folder
	SQL   string         // one SELECT statement, values referred to as $name
	Args  map[string]any // bound by name
	Files []string       // local Parquet files the access_logs view covers; the only files the SQL may open
	// DefineView makes access_logs; reports that read no data skip it.
	DefineView bool
}

var safeID = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// Session is one locked DuckDB instance prepared for a Job. Close it.
type Session struct {
	db    *sql.DB
	conn  *sql.Conn
	conn0 *duckdb.Connector
	dir   string // per-request scratch folder, removed by Close
	job   Job
}

// Open makes a fresh instance for job: settings applied, access restricted
// to job.Files and the request's scratch folder, the view defined, the
// configuration locked.
func (e *Engine) Open(ctx context.Context, job Job) (_ *Session, err error) {
	id := safeID.ReplaceAllString(job.ID, "_")
	if id == "" {
		id = "job"
	}
	dir, err := os.MkdirTemp(e.settings.Scratch, "req-"+id+"-")
	if err != nil {
		return nil, fmt.Errorf("engine: request scratch folder: %w", err)
	}
	s := &Session{dir: dir, job: job}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := os.Mkdir(s.spillDir(), 0o700); err != nil {
		return nil, fmt.Errorf("engine: spill folder: %w", err)
	}
	s.conn0, err = e.instance()
	e.prepareSpare()
	if err != nil {
		return nil, fmt.Errorf("engine: open duckdb: %w", err)
	}
	s.db = sql.OpenDB(s.conn0)
	s.db.SetMaxOpenConns(1)
	s.conn, err = s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine: connect: %w", err)
	}
	stmts := e.settings.statements(s.spillDir())
	allowed, err := quoteList(job.Files)
	if err != nil {
		return nil, err
	}
	stmts = append(stmts,
		"SET allowed_paths = "+allowed,
		"SET allowed_directories = ["+quote(s.dir+string(filepath.Separator))+"]",
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
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("engine: %s: %w", firstWords(q), err)
		}
	}
	return s, nil
}

func (s *Session) spillDir() string { return filepath.Join(s.dir, "spill") }

// Dir is the request's scratch folder: the one place exports may be written.
func (s *Session) Dir() string { return s.dir }

// Query runs the job's statement and returns its rows, converted for JSON as
// they are read.
func (s *Session) Query(ctx context.Context) (*Rows, error) {
	rows, err := s.conn.QueryContext(ctx, s.job.SQL, namedArgs(s.job.Args)...)
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
	rows, err := s.conn.QueryContext(ctx, "SELECT * FROM ("+s.statement()+"\n) LIMIT 0", namedArgs(s.job.Args)...)
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

// Export runs the job's statement with COPY into a file in the request's
// scratch folder and returns its path and row count. The caller moves it
// into place, so a reader never sees a partial file.
func (s *Session) Export(ctx context.Context, format string) (path string, rows int64, err error) {
	opts, ok := exportOptions[format]
	if !ok {
		return "", 0, fmt.Errorf("engine: unknown export format %q", format)
	}
	path = filepath.Join(s.dir, "result."+format)
	q := "COPY (" + s.statement() + "\n) TO " + quote(path) + " (" + opts + ")"
	res, err := s.conn.ExecContext(ctx, q, namedArgs(s.job.Args)...)
	if err != nil {
		return "", 0, err
	}
	rows, _ = res.RowsAffected()
	return path, rows, nil
}

// Close releases the instance and removes the request's scratch folder
// (spill files and any export not moved away): nothing of the request is
// left in memory or on disk when it returns.
func (s *Session) Close() error {
	var errs []error
	if s.conn != nil {
		errs = append(errs, s.conn.Close())
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	if s.conn0 != nil {
		errs = append(errs, s.conn0.Close())
	}
	errs = append(errs, os.RemoveAll(s.dir))
	return errors.Join(errs...)
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
