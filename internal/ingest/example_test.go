package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lambduck/internal/engine"
	"lambduck/internal/ingest"
	"lambduck/internal/storage"
)

// Ingest a few lines of an nginx access log into the partitioned layout:
// every line is written or counted as rejected, with its line number.
func Example() {
	dir, err := os.MkdirTemp("", "lambduck-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	log := filepath.Join(dir, "company_id=1690", "access.log")
	lines := []string{
		`203.0.113.7 - - [01/Apr/2025:10:00:00 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8.5.0"`,
		`203.0.113.8 - - [01/Apr/2025:23:59:59 +0000] "GET /missing HTTP/1.1" 404 0 "https://example.com/" "Mozilla/5.0"`,
		`this line is not a request`,
		`203.0.113.7 - - [02/Apr/2025:00:00:01 +0000] "POST /api?x=1 HTTP/2.0" 201 17 "-" "curl/8.5.0"`,
	}
	if err := os.MkdirAll(filepath.Dir(log), 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		panic(err)
	}
	eng, err := engine.New(engine.Settings{Scratch: filepath.Join(dir, "scratch")})
	if err != nil {
		panic(err)
	}
	defer eng.Close()
	ctx := context.Background()
	sources, err := ingest.Expand(ctx, []string{log}, nil, dir, nil)
	if err != nil {
		panic(err)
	}
	sum, err := ingest.Run(ctx, eng, sources, ingest.Options{Root: storage.Folder(filepath.Join(dir, "data")), TimeZone: time.UTC}, nil)
	if err != nil {
		panic(err)
	}
	s := sum.Sources[0]
	fmt.Println(s.Format, "company", s.Company, "days", s.Days)
	fmt.Println("read", s.LinesRead, "written", s.RowsWritten, "rejected", s.LinesRejected)
	for _, r := range s.FirstRejected {
		fmt.Printf("line %d: %s\n", r.Line, r.Text)
	}
	// Output:
	// combined company 1690 days [2025-04-01 2025-04-02]
	// read 4 written 3 rejected 1
	// line 3: this line is not a request
}
