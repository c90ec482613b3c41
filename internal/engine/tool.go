package engine

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Tool is an unrestricted instance for the platform's own SQL (gen, ingest):
// trusted text written in this repository, never a caller's. Its session
// time zone is UTC; SQL that needs the report time zone names it.
type Tool struct {
	Conn  *sql.Conn
	db    *sql.DB
	conn0 *duckdb.Connector
	dir   string
}

// OpenTool opens a tool instance with the engine's memory, thread and spill settings.
func (e *Engine) OpenTool(ctx context.Context) (_ *Tool, err error) {
	dir, err := os.MkdirTemp(e.settings.Scratch, "tool-")
	if err != nil {
		return nil, fmt.Errorf("engine: tool scratch folder: %w", err)
	}
	t := &Tool{dir: dir}
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	if t.conn0, err = duckdb.NewConnector("", nil); err != nil {
		return nil, fmt.Errorf("engine: open duckdb: %w", err)
	}
	t.db = sql.OpenDB(t.conn0)
	t.db.SetMaxOpenConns(1)
	if t.Conn, err = t.db.Conn(ctx); err != nil {
		return nil, fmt.Errorf("engine: connect: %w", err)
	}
	s := e.settings
	s.TimeZone = "UTC"
	for _, q := range s.statements(filepath.Join(dir, "spill")) {
		if _, err := t.Conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("engine: %s: %w", firstWords(q), err)
		}
	}
	return t, nil
}

// Close releases the instance and its scratch folder.
func (t *Tool) Close() error {
	if t.Conn != nil {
		t.Conn.Close()
	}
	if t.db != nil {
		t.db.Close()
	}
	if t.conn0 != nil {
		t.conn0.Close()
	}
	return os.RemoveAll(t.dir)
}

// Quote makes a SQL string literal of a platform-chosen path (COPY … TO
// takes no bound parameter for its target).
func Quote(s string) string { return quote(s) }
