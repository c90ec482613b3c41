package engine

import (
	"database/sql"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// DuckDBVersion is the embedded DuckDB's version (e.g. v1.5.6), asked of an
// in-memory instance that reads nothing.
func DuckDBVersion() (string, error) {
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		return "", err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	var v string
	err = db.QueryRow("SELECT version()").Scan(&v)
	return v, err
}
