package ingest

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"
)

// watchReads reports, every interval until stop is called, how many bytes
// of a source of size have been read: the bytes the process has read
// since the watch began (/proc/self/io's rchar, which counts DuckDB's reads
// of the file in its one pass), never more than size. (A source with
// rejected lines is read again to find them, with the bar already full.)
// Where /proc is not there it reports nothing.
func watchReads(size int64, interval time.Duration, report func(read int64)) (stop func()) {
	start, ok := processReadBytes()
	if !ok || report == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if now, ok := processReadBytes(); ok {
					report(min(now-start, size))
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// processReadBytes is the bytes this process has read through system calls.
func processReadBytes() (int64, bool) {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
