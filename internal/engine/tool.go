package engine

import (
	"context"
	"database/sql"
)

// Tool is an unrestricted instance for the platform's own SQL (gen, ingest):
// trusted text written in this repository, never a caller's. Its session
// time zone is UTC; SQL that needs the report time zone names it.
type Tool struct {
	in *instance
}

// OpenTool opens a tool instance with the engine's memory, thread and spill
// settings, through the same open sequence as a report's instance.
func (e *Engine) OpenTool(ctx context.Context) (*Tool, error) {
	s := e.settings
	s.TimeZone = "UTC"
	in, err := openInstance(ctx, s, nil, "tool-", nil)
	if err != nil {
		return nil, err
	}
	return &Tool{in: in}, nil
}

// Conn is the instance's one connection.
func (t *Tool) Conn() *sql.Conn { return t.in.conn }

// Dir is the instance's own scratch folder, removed by Close: a place for
// files the tool's SQL writes before they are moved into place.
func (t *Tool) Dir() string { return t.in.dir }

// Close closes the instance and removes its scratch folder.
func (t *Tool) Close() error { return t.in.close() }
