package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Session is one request's use of a locked instance. End it with Release
// (the request succeeded: the instance may serve the next request for the
// same files) or Close (anything else: the instance is closed).
type Session struct {
	engine *Engine
	in     *instance
	job    Job
	Reused bool // the instance served an earlier request for the same files
}

// Query runs the job's statement and returns its rows, converted for JSON as
// they are read.
func (s *Session) Query(ctx context.Context) (*Rows, error) {
	rows, err := s.in.conn.QueryContext(ctx, s.job.SQL, namedArgs(s.job.Args)...)
	if err != nil {
		return nil, err
	}
	return newRows(rows)
}

// Columns returns the statement's column names and DuckDB types without
// reading data (DuckDB plans a LIMIT 0 as an empty result).
func (s *Session) Columns(ctx context.Context) (names, types []string, err error) {
	q, err := s.in.conn.QueryContext(ctx, "SELECT * FROM ("+s.statement()+"\n) LIMIT 0", namedArgs(s.job.Args)...)
	if err != nil {
		return nil, nil, err
	}
	rows, err := newRows(q)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	return rows.Columns(), rows.Types(), nil
}

// Then makes sql (with args) the statement the session runs next, in the
// same locked instance, over the same files: a platform-written statement
// (compaction counts its inputs' rows, then writes them), never a caller's.
func (s *Session) Then(sql string, args map[string]any) {
	s.job.SQL, s.job.Args = sql, args
}

// statement is the job's SQL without a trailing semicolon, ready to nest.
func (s *Session) statement() string {
	return strings.TrimRight(strings.TrimSpace(s.job.SQL), ";")
}

// exportOptions are what DuckDB's COPY writes for each export format.
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
	rows, err = s.copyTo(ctx, path, opts)
	return path, rows, err
}

// ExportParquetByDate runs the job's statement with COPY into Parquet files
// partitioned by its date column: under the returned folder of the
// instance's scratch folder, date=<day>/ holds that day's rows, the column
// included. The caller moves what it keeps.
func (s *Session) ExportParquetByDate(ctx context.Context) (dir string, rows int64, err error) {
	dir = filepath.Join(s.in.dir, "result-by-date")
	rows, err = s.copyTo(ctx, dir, exportOptions["parquet"]+", PARTITION_BY (date), WRITE_PARTITION_COLUMNS true, FILENAME_PATTERN 'part_{i}'")
	return dir, rows, err
}

// copyTo runs the job's statement as COPY … TO target (opts) and returns
// the rows written.
func (s *Session) copyTo(ctx context.Context, target, opts string) (int64, error) {
	q := "COPY (" + s.statement() + "\n) TO " + quote(target) + " (" + opts + ")"
	res, err := s.in.conn.ExecContext(ctx, q, namedArgs(s.job.Args)...)
	if err != nil {
		return 0, err
	}
	rows, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("engine: export row count: %w", err)
	}
	return rows, nil
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
