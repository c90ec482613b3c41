package engine

import (
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Rows streams a result, one JSON-ready row at a time.
type Rows struct {
	rows  *sql.Rows
	names []string
	types []string
	scan  []any
	ptrs  []any
	err   error
}

// Columns returns the result's column names.
func (r *Rows) Columns() []string { return r.names }

// Next returns the next row, or nil at the end (check Err).
func (r *Rows) Next() []any {
	if !r.rows.Next() {
		return nil
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return nil
	}
	row := make([]any, len(r.scan))
	for i, v := range r.scan {
		row[i] = jsonValue(r.types[i], v)
	}
	return row
}

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
			return x.Format("2006-01-02")
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
