package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"lambduck/internal/engine"
	"lambduck/internal/gen"
	"lambduck/internal/s3test"
	"lambduck/internal/storage"
	"lambduck/internal/testkit"
)

// s3Event is AWS's documented S3 notification with our bucket and key.
func s3Event(t *testing.T, bucketName, key string) string {
	t.Helper()
	raw, err := os.ReadFile("../request/testdata/s3-event.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.S3Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev.Records[0].S3.Bucket.Name = bucketName
	ev.Records[0].S3.Object.Key = url.QueryEscape(key) // as S3 writes keys in notifications
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sqsEvent(t *testing.T, bodies ...string) string {
	t.Helper()
	raw, err := os.ReadFile("../request/testdata/sqs-event.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	template := ev.Records[0]
	ev.Records = nil
	for i, b := range bodies {
		m := template
		m.MessageId, m.Body = "msg-"+string(rune('a'+i)), b
		ev.Records = append(ev.Records, m)
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestS3TriggeredIngest(t *testing.T) {
	srv := s3test.Start(t, "lake")
	c := srv.Client()
	dir := t.TempDir()
	eng, err := engine.New(engine.Settings{Scratch: filepath.Join(dir, "scratch")})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	logFile := filepath.Join(dir, "access.log.gz")
	_, err = gen.Raw(context.Background(), eng, gen.RawOptions{
		Options: gen.Options{Root: storage.Folder(dir), Companies: []string{"1690"}, Start: day("2025-04-01"), End: day("2025-04-02"), RowsPerDay: 800, Seed: 9, TimeZone: time.UTC},
		Format:  "combined", Key: filepath.Base(logFile)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := "raw/company_id=1690/2025/04/access log.gz" // a space: S3 notifications encode it
	if err := c.Upload(context.Background(), "lake", key, logFile); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("not\na\nlog\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(context.Background(), "lake", "raw/company_id=1690/notes.txt", notes); err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(context.Background(), "lake", "raw/nocompany/access.log", logFile); err != nil {
		t.Fatal(err)
	}

	cfg := s3Config(t, srv)
	h := newHandler(t, cfg)
	hits := func() float64 {
		t.Helper()
		_, b := call(t, h, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-02"}`)
		if len(b.Data) != 1 {
			t.Fatalf("report: %v %s", b.Data, b.Error)
		}
		return b.Data[0][0].(float64)
	}

	out, err := h.Invoke(context.Background(), []byte(s3Event(t, "lake", key)))
	if err != nil || !strings.Contains(string(out), `\"rows_written\":1600`) {
		t.Fatalf("direct S3 event: %v %s", err, out)
	}
	if got := hits(); got != 1600 {
		t.Errorf("after ingest: %v hits, want 1600", got)
	}
	// Delivered again: replaced, not doubled.
	if _, err := h.Invoke(context.Background(), []byte(s3Event(t, "lake", key))); err != nil {
		t.Fatal(err)
	}
	if got := hits(); got != 1600 {
		t.Errorf("after a re-delivery: %v hits, want 1600", got)
	}
	objs, _, err := c.List(context.Background(), "lake", "data/company_id=1690/date=", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 {
		t.Errorf("%d data objects, want one per day: %+v", len(objs), objs)
	}
	// and one record of the source (by id and by fingerprint), however often it was delivered
	if recs, _, err := c.List(context.Background(), "lake", "data/company_id=1690/_sources/", "", nil); err != nil || len(recs) != 2 {
		t.Errorf("records of the source: %v %+v", err, recs)
	}

	// SQS: the good object, a non-log, a key without a company, a test
	// message: none is retried.
	out, err = h.Invoke(context.Background(), []byte(sqsEvent(t,
		s3Event(t, "lake", key),
		s3Event(t, "lake", "raw/company_id=1690/notes.txt"),
		s3Event(t, "lake", "raw/nocompany/access.log"),
		`{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"lake"}`)))
	var resp events.SQSEventResponse
	if err != nil || json.Unmarshal(out, &resp) != nil || len(resp.BatchItemFailures) != 0 {
		t.Errorf("SQS batch: %v %s", err, out)
	}
	if got := hits(); got != 1600 {
		t.Errorf("after the SQS batch: %v hits, want 1600", got)
	}
	// S3 down: the message is listed for retry; the direct event returns an error.
	srv.Stop()
	out, err = h.Invoke(context.Background(), []byte(sqsEvent(t, s3Event(t, "lake", key))))
	if err != nil || json.Unmarshal(out, &resp) != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "msg-a" {
		t.Errorf("SQS with S3 down: %v %s", err, out)
	}
	if _, err := h.Invoke(context.Background(), []byte(s3Event(t, "lake", key))); err == nil {
		t.Error("a direct S3 event that failed for a passing reason must return an error, so Lambda retries")
	} else if !strings.Contains(err.Error(), "s3://lake/"+key) || !strings.Contains(err.Error(), "connect") {
		t.Errorf("the error must name the object and keep its cause: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(cfg.Scratch, "fetched-*")); len(left) != 0 {
		t.Errorf("downloads left in scratch: %v", left)
	}
}

// A set-up failure (here: no usable AWS configuration, so no S3 client) is
// not kept for the life of the sandbox: the message is listed for retry,
// and the retry on the same warm handler succeeds once the cause is gone.
func TestIngestSetUpFailureIsRetried(t *testing.T) {
	srv := s3test.Start(t, "lake")
	log := filepath.Join(t.TempDir(), "a.log")
	if err := os.WriteFile(log, []byte(`192.0.2.1 - - [01/Apr/2025:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8"`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	key := "raw/company_id=1690/a.log"
	if err := srv.Client().Upload(context.Background(), "lake", key, log); err != nil {
		t.Fatal(err)
	}
	cfg := s3Config(t, srv)
	cfg.Data = t.TempDir() // a folder: the S3 client is made only when the first notification comes
	h := newHandler(t, cfg)
	defer h.Close()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "config"))
	t.Setenv("AWS_PROFILE", "no-such-profile")
	event := []byte(sqsEvent(t, s3Event(t, "lake", key)))
	var resp events.SQSEventResponse
	out, err := h.Invoke(context.Background(), event)
	if err != nil || json.Unmarshal(out, &resp) != nil || len(resp.BatchItemFailures) != 1 {
		t.Fatalf("with a broken configuration: %v %s", err, out)
	}
	os.Unsetenv("AWS_PROFILE")
	out, err = h.Invoke(context.Background(), event)
	if err != nil || json.Unmarshal(out, &resp) != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the retry on the same handler: %v %s", err, out)
	}
	if status, b := call(t, h, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-01"}`); status != 200 || b.Data[0][0] != float64(1) {
		t.Errorf("after the retry: %d %v %s", status, b.Data, b.Error)
	}
}

// Logs arriving as many small objects: once a closed day holds more files
// than LAMBDUCK_COMPACT_THRESHOLD, the ingest that pushed it over compacts
// it; a day still open (within the lateness window) is left alone; the
// numbers never change.
func TestS3TriggeredIngestCompactsClosedDays(t *testing.T) {
	srv := s3test.Start(t, "lake")
	c := srv.Client()
	dir := t.TempDir()
	eng := testkit.Engine(t)
	var keys []string
	for seed := int64(1); seed <= 5; seed++ {
		name := fmt.Sprintf("access-%d.log", seed)
		if _, err := gen.Raw(context.Background(), eng, gen.RawOptions{
			Options: gen.Options{Root: storage.Folder(dir), Companies: []string{"1690"}, Start: day("2025-04-01"), End: day("2025-04-02"), RowsPerDay: 200, Seed: seed, TimeZone: time.UTC},
			Format:  "combined", Key: name}, nil); err != nil {
			t.Fatal(err)
		}
		key := "raw/company_id=1690/" + name
		if err := c.Upload(context.Background(), "lake", key, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
	}
	cfg := s3Config(t, srv)
	cfg.CompactThreshold = 3
	h := newHandler(t, cfg)
	// Noon on April 2: April 1 is closed, April 2 is not.
	h.now = func() time.Time { return time.Date(2025, 4, 2, 12, 0, 0, 0, time.UTC) }
	report := func() (float64, int) {
		t.Helper()
		_, b := call(t, h, `{"company_id": "1690", "start_date": "2025-04-01", "end_date": "2025-04-02"}`)
		if len(b.Data) != 1 {
			t.Fatalf("report: %v %s", b.Data, b.Error)
		}
		return b.Data[0][0].(float64), b.stats.Files
	}
	for i, key := range keys {
		out, err := h.Invoke(context.Background(), []byte(s3Event(t, "lake", key)))
		if err != nil {
			t.Fatal(err)
		}
		compacted := strings.Contains(string(out), `\"compacted\":[\"2025-04-01\"]}`)
		if compacted != (i == 3) || (i != 3 && strings.Contains(string(out), `compacted`)) {
			t.Errorf("ingest %d: compacted %v: %s", i+1, compacted, out)
		}
		hits, files := report()
		if hits != float64(400*(i+1)) {
			t.Errorf("after ingest %d: %v hits, want %d", i+1, hits, 400*(i+1))
		}
		if i == 3 && files != 1+4 {
			t.Errorf("after the fourth ingest: %d files read, want April 1's compaction and April 2's four", files)
		}
	}
}
