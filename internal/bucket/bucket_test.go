package bucket_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lambduck/internal/bucket"
	"lambduck/internal/s3test"
)

func TestAgainstRealServer(t *testing.T) {
	srv := s3test.Start(t, "data")
	c := srv.Client()
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(src, []byte("hello, lambduck"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"p/company_id=1/date=2025-04-01/a.parquet", "p/company_id=1/date=2025-04-02/a.parquet", "p/company_id=2/date=2025-04-01/a.parquet", "q/x"} {
		if err := c.Upload(ctx, "data", k, src); err != nil {
			t.Fatal(err)
		}
	}
	objs, reqs, err := c.List(ctx, "data", "p/company_id=1/", "", nil)
	if err != nil || len(objs) != 2 || reqs != 1 || objs[0].Size != 15 || objs[0].ETag == "" {
		t.Fatalf("%v %d %+v", err, reqs, objs)
	}
	objs, _, err = c.List(ctx, "data", "p/", "p/company_id=1/date=2025-04-01/~", func(k string) bool { return k > "p/company_id=1/~" })
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Key != "p/company_id=1/date=2025-04-02/a.parquet" {
		t.Errorf("start-after and stop: %+v", objs)
	}
	dst := filepath.Join(dir, "out", "a.txt")
	if err := c.Download(ctx, objs[0], dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "hello, lambduck" {
		t.Errorf("downloaded %q", b)
	}
	// A changed object is not downloaded under its old ETag.
	if err := os.WriteFile(src, []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, "data", objs[0].Key, src); err != nil {
		t.Fatal(err)
	}
	if err := c.Download(ctx, objs[0], dst+"2"); err == nil || !bucket.IsNotFound(err) {
		t.Errorf("old ETag: %v", err)
	}
	url, err := c.PresignGet(ctx, "data", "q/x", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello, lambduck" || !strings.Contains(url, "X-Amz-Signature=") {
		t.Errorf("presigned GET: %d %q", resp.StatusCode, body)
	}
	// Faults: wrong credentials, a bucket that does not exist.
	bad := bucket.NewFromConfig(srv.Config(s3test.AccessKey, "wrong"), true)
	if _, _, err := bad.List(ctx, "data", "", "", nil); err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Errorf("wrong secret: %v", err)
	}
	if _, _, err := c.List(ctx, "nope", "", "", nil); err == nil || !bucket.IsNotFound(err) {
		t.Errorf("missing bucket: %v", err)
	}
	if err := c.Delete(ctx, "data", "q/x"); err != nil {
		t.Error(err)
	}
}

func TestParseURI(t *testing.T) {
	for in, want := range map[string]string{"s3://b": "s3://b/", "s3://b/p": "s3://b/p/", "s3://b/p/q/": "s3://b/p/q/"} {
		u, err := bucket.ParseURI(in)
		if err != nil || u.String() != want {
			t.Errorf("%s: %v %v", in, u, err)
		}
	}
	for _, bad := range []string{"s3://", "/tmp/x", "s3:/b"} {
		if _, err := bucket.ParseURI(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
