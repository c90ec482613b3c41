// Package report holds lambduck's report catalog: named, parameterised SQL
// files. A report is data, not code: a `.sql` file whose comment header
// declares its name, description and typed parameters, followed by one
// SELECT (or WITH … SELECT) statement that refers to values only as DuckDB
// named parameters ($name). The built-in reports are embedded in the binary;
// operators add their own from a folder (LAMBDUCK_REPORTS).
//
// Nothing here runs SQL. The package parses, validates and types; the engine
// binds the values it returns.
package report
