package engine

import (
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"lambduck/internal/layout"
)

// Rows streams a result, one JSON-ready row at a time, with database/sql's
// iteration contract: for rows.Next() { rows.Row() }, then rows.Err().
type Rows struct {
	rows  *sql.Rows
	names []string
	types []string
	scan  []any
	ptrs  []any
	row   []any
	err   error
}

func newRows(rows *sql.Rows) (*Rows, error) {
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

// Columns returns the result's column names.
func (r *Rows) Columns() []string { return r.names }

// Types returns the result's column types as DuckDB writes them (BIGINT,
// DATE, VARCHAR[], DECIMAL(10,2), …).
func (r *Rows) Types() []string { return r.types }

// Next reads the next row; it returns false at the end or on an error (see Err).
func (r *Rows) Next() bool {
	r.row = nil
	if r.err != nil || !r.rows.Next() {
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	r.row = make([]any, len(r.scan))
	for i, v := range r.scan {
		r.row[i] = jsonValue(r.types[i], v)
	}
	return true
}

// Row returns the row Next read, as values encoding/json writes the way a
// reader expects. The slice is the caller's to keep.
func (r *Rows) Row() []any { return r.row }

// Err is the error that ended the iteration, if any.
func (r *Rows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// Close ends the query.
func (r *Rows) Close() error { return r.rows.Close() }

// jsonValue turns a scanned DuckDB value into one encoding/json writes the way
// a reader expects: dates as YYYY-MM-DD, timestamps as RFC 3339, decimals and
// huge integers as numbers, NaN and infinities as null.
func jsonValue(dbType string, v any) any {
	switch x := v.(type) {
	case nil, bool, string, int8, int16, int32, int64, uint8, uint16, uint32, uint64, *big.Int:
		return x
	case float32:
		return finite(float64(x))
	case float64:
		return finite(x)
	case time.Time:
		switch dbType {
		case "DATE":
			return x.Format(layout.DateFormat)
		case "TIME":
			return x.Format("15:04:05.999999")
		}
		return x.Format(time.RFC3339Nano)
	case duckdb.Decimal:
		return finite(x.Float64())
	case duckdb.UUID:
		return x.String()
	case []byte:
		return x // base64, as encoding/json writes bytes
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue("", e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue("", e)
		}
		return out
	case duckdb.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonValue("", e)
		}
		return out
	case duckdb.Interval:
		return map[string]any{"months": x.Months, "days": x.Days, "micros": x.Micros}
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

func finite(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return f
}
