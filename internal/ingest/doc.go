// Package ingest turns raw access logs (Combined, ALB, CloudFront, JSON
// lines; plain or gzip) into the partitioned Parquet layout of package store.
//
// DuckDB reads and parses: its CSV reader splits lines in parallel, SQL
// string functions pick the fields, and COPY … PARTITION_BY writes one file
// per day. Go decides what is read (sources, format, company), keeps the
// accounting exact (every line is either written or counted as rejected,
// with the first rejected lines and their numbers), and moves finished files
// into place so a reader never sees a partial one. Output files are named
// for the source (ingest-<hash of its identity>…), so ingesting the same
// source again replaces what it wrote before instead of adding to it.
package ingest
