// Package engine is the one place that knows DuckDB: how an instance is
// configured for Lambda (no $HOME, spill to scratch, memory and threads from
// the function's size), how a request's files become the access_logs view,
// how values are bound, and how DuckDB's values become JSON.
//
// A report runs in an in-memory instance whose file access is limited to one
// company's pruned files and the instance's own scratch folder, then locked
// (allowed_paths, enable_external_access=false, lock_configuration=true). A
// locked configuration cannot be unlocked, so an instance serves only requests
// for that company and exactly those files: after a request that succeeded it
// is kept for the next request with the same files, and closed by any other
// request or by a failure. A spare, never-used instance is kept ready so that
// starting one (≈ 15 ms) is off the request's path (see docs/decisions.md).
// What stays warm besides is the process, the loaded library, the report
// catalog and the S3 cache.
package engine
