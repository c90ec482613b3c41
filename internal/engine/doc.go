// Package engine is the one place that knows DuckDB: how an instance is
// configured for Lambda (no $HOME, spill to scratch, memory and threads from
// the function's size), how a request's files become the access_logs view,
// how values are bound, and how DuckDB's values become JSON.
//
// Every request gets a fresh in-memory instance whose file access is limited
// to that request's own pruned files and scratch folder, then locked
// (allowed_paths, enable_external_access=false, lock_configuration=true). A
// locked configuration cannot be unlocked, so an instance is never reused
// across requests: nothing of one request — views, settings, file access —
// can reach the next. Starting an instance costs about 15 ms; the engine
// keeps one spare, never-used instance ready, so that is off the request's
// path (see docs/decisions.md). What stays warm is the process, the loaded library,
// the report catalog and the S3 cache.
package engine
