package layout

import "strings"

// Column is one column of the normalised access log.
type Column struct {
	Name string
	Type string // DuckDB's type name
}

// Columns are the access-log columns every data file holds, in file order
// (docs/architecture.md describes each).
var Columns = []Column{
	{"ts", "TIMESTAMPTZ"},
	{"client_ip", "VARCHAR"},
	{"method", "VARCHAR"},
	{"path", "VARCHAR"},
	{"query", "VARCHAR"},
	{"protocol", "VARCHAR"},
	{"status", "SMALLINT"},
	{"bytes", "BIGINT"},
	{"referrer", "VARCHAR"},
	{"user_agent", "VARCHAR"},
	{"host", "VARCHAR"},
	{"request_time_ms", "DOUBLE"},
	{"source", "VARCHAR"},
}

// PartitionColumns come from the Hive path, with fixed types so that a
// numeric company id stays text.
var PartitionColumns = []Column{
	{"company_id", "VARCHAR"},
	{"date", "DATE"},
}

// ColumnList is the data columns as a SQL select list.
func ColumnList() string {
	names := make([]string, len(Columns))
	for i, c := range Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// HiveTypes is read_parquet's hive_types argument for the partition columns.
func HiveTypes() string {
	parts := make([]string, len(PartitionColumns))
	for i, c := range PartitionColumns {
		parts[i] = "'" + c.Name + "': " + c.Type
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// EmptySelect is a query with every column (data and partition) and no row:
// the view a request that selects no file reads.
func EmptySelect() string {
	return EmptyOf(append(append([]Column{}, Columns...), PartitionColumns...))
}

// EmptyOf is a query with columns cols and no row.
func EmptyOf(cols []Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "NULL::" + c.Type + " AS " + c.Name
	}
	return "SELECT * FROM (SELECT " + strings.Join(parts, ", ") + ") WHERE false"
}
