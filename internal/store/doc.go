// Package store chooses a request's files. A request for company X over
// days a…b looks only under X's partitions for those days (package layout),
// so pruning happens before DuckDB sees a path. A data root in a folder is
// read in place; one in S3 is staged into the warm cache (cache.go), from
// which DuckDB reads it.
package store
