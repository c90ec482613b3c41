package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// live counts the DuckDB instances open in this process: every one the
// engine opens is counted until it is closed. The handler logs it with each
// request; tests show that nothing is left open.
var live atomic.Int64

// LiveInstances returns how many DuckDB instances are open in the process.
func LiveInstances() int64 { return live.Load() }

// newConnector opens an in-memory DuckDB instance with DuckDB's defaults.
func newConnector() (*duckdb.Connector, error) {
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("engine: open duckdb: %w", err)
	}
	live.Add(1)
	return c, nil
}

func closeConnector(c *duckdb.Connector) error {
	live.Add(-1)
	return c.Close()
}

// instance is one configured DuckDB instance with its own scratch folder.
type instance struct {
	connector *duckdb.Connector
	db        *sql.DB
	conn      *sql.Conn
	dir       string // spill/ and exports; removed with the instance
	key       string // what a locked instance is locked to; "" never matches
}

// openInstance is the one open sequence: a scratch folder under scratch, a
// connector (c, or a new one), a single connection, then s applied and
// extra run. On any error everything is closed again.
func openInstance(ctx context.Context, s Settings, c *duckdb.Connector, prefix string, extra func(dir string) ([]string, error)) (_ *instance, err error) {
	in := &instance{connector: c}
	defer func() {
		if err != nil {
			in.close()
		}
	}()
	if in.dir, err = os.MkdirTemp(s.Scratch, prefix); err != nil {
		return nil, fmt.Errorf("engine: scratch folder: %w", err)
	}
	spill := filepath.Join(in.dir, "spill")
	if err := os.Mkdir(spill, 0o700); err != nil {
		return nil, fmt.Errorf("engine: spill folder: %w", err)
	}
	if in.connector == nil {
		if in.connector, err = newConnector(); err != nil {
			return nil, err
		}
	}
	in.db = sql.OpenDB(in.connector)
	in.db.SetMaxOpenConns(1)
	if in.conn, err = in.db.Conn(ctx); err != nil {
		return nil, fmt.Errorf("engine: connect: %w", err)
	}
	stmts := s.statements(spill)
	if extra != nil {
		more, err := extra(in.dir)
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, more...)
	}
	for _, q := range stmts {
		if _, err := in.conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("engine: %s: %w", firstWords(q), err)
		}
	}
	return in, nil
}

// close closes the connection, the instance and removes its folder.
func (in *instance) close() error {
	var errs []error
	if in.conn != nil {
		errs = append(errs, in.conn.Close())
	}
	if in.db != nil {
		errs = append(errs, in.db.Close()) // closes the connector too; closing it again below is a no-op that keeps the count
	}
	if in.connector != nil {
		errs = append(errs, closeConnector(in.connector))
	}
	if in.dir != "" {
		errs = append(errs, os.RemoveAll(in.dir))
	}
	return errors.Join(errs...)
}

// IsInterrupt reports whether err is DuckDB's answer to a cancelled query.
func IsInterrupt(err error) bool {
	var de *duckdb.Error
	return errors.As(err, &de) && de.Type == duckdb.ErrorTypeInterrupt
}
