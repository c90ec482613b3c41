package engine

import (
	"fmt"
	"runtime"
)

// Settings configure every DuckDB instance the engine opens.
type Settings struct {
	Scratch       string // per-request folders (spill, exports) are made under it
	TimeZone      string // IANA name; hour(ts), date parts and TIMESTAMPTZ output follow it
	MemoryLimitMB int    // 0: DuckDB's default (80% of RAM)
	Threads       int    // 0: DuckDB's default (all cores)
	SpillBytes    int64  // cap on a request's spill files; 0: DuckDB's default (90% of the free disk)
}

// lambdaMBPerVCPU is how much memory buys one vCPU on Lambda.
const lambdaMBPerVCPU = 1769

// ForFunctionMemory sizes DuckDB for a Lambda function of memoryMB
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE). DuckDB gets 60% of it: the Go runtime,
// the response being built and DuckDB's allocations outside its buffer
// manager need the rest, and going over kills the whole sandbox. Threads
// follow the vCPUs Lambda grants for that size. memoryMB <= 0 (not on
// Lambda) keeps DuckDB's own defaults.
func (s Settings) ForFunctionMemory(memoryMB int) Settings {
	if memoryMB <= 0 {
		return s
	}
	s.MemoryLimitMB = max(memoryMB*60/100, 64)
	s.Threads = max(1, min(runtime.NumCPU(), (memoryMB+lambdaMBPerVCPU-1)/lambdaMBPerVCPU))
	return s
}

// statements returns the SET statements that apply s to an instance whose
// spill folder is tempDir.
func (s Settings) statements(tempDir string) []string {
	out := []string{
		"SET temp_directory = " + quote(tempDir),
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		// The instance lives for one request, so DuckDB's cache of file
		// data is never read again: filling it only copies every byte
		// read (≈ 7% of access_summary's time over a company-month).
		"SET enable_external_file_cache = false",
	}
	if s.TimeZone != "" {
		out = append(out, "SET TimeZone = "+quote(s.TimeZone))
	}
	if s.MemoryLimitMB > 0 {
		out = append(out, fmt.Sprintf("SET memory_limit = '%dMB'", s.MemoryLimitMB))
	}
	if s.Threads > 0 {
		out = append(out, fmt.Sprintf("SET threads = %d", s.Threads))
	}
	if s.SpillBytes > 0 {
		out = append(out, fmt.Sprintf("SET max_temp_directory_size = '%dB'", s.SpillBytes))
	}
	return out
}

// Cores is how many threads an instance runs on: Threads, else every core
// (DuckDB's default).
func (s Settings) Cores() int {
	if s.Threads > 0 {
		return s.Threads
	}
	return runtime.NumCPU()
}

// share returns the SET statements that give an instance 1/n of what s
// allows: threads (every core when s sets none; one at least), memory
// limit and spill space (those only when s sets them). Nothing when n <= 1.
func (s Settings) share(n int) []string {
	if n <= 1 {
		return nil
	}
	out := []string{fmt.Sprintf("SET threads = %d", max(1, s.Cores()/n))}
	if s.MemoryLimitMB > 0 {
		out = append(out, fmt.Sprintf("SET memory_limit = '%dMB'", max(s.MemoryLimitMB/n, 64)))
	}
	if s.SpillBytes > 0 {
		out = append(out, fmt.Sprintf("SET max_temp_directory_size = '%dB'", s.SpillBytes/int64(n)))
	}
	return out
}
