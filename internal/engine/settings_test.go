package engine

import (
	"runtime"
	"testing"
)

func TestForFunctionMemory(t *testing.T) {
	cases := []struct {
		memoryMB, limitMB, threads int
	}{
		{0, 0, 0}, // not on Lambda: DuckDB's defaults
		{128, 76, 1},
		{512, 307, 1},
		{1769, 1061, 1},
		{3008, 1804, min(2, runtime.NumCPU())},
		{10240, 6144, min(6, runtime.NumCPU())},
	}
	for _, c := range cases {
		s := Settings{}.ForFunctionMemory(c.memoryMB)
		if s.MemoryLimitMB != c.limitMB || s.Threads != c.threads {
			t.Errorf("%d MB: limit %d MB, %d threads; want %d MB, %d threads", c.memoryMB, s.MemoryLimitMB, s.Threads, c.limitMB, c.threads)
		}
	}
}
