// Package store chooses a request's files. The data root holds
// Hive-partitioned Parquet, company_id=<id>/date=<YYYY-MM-DD>/<name>.parquet;
// a request for company X over [a, b] looks only into the folders of X for
// the days a…b, so pruning happens before DuckDB sees a path.
package store
