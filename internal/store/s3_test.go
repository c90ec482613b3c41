package store_test

import (
	"io"
	"net"
	"sync/atomic"

	"context"
	"github.com/aws/aws-sdk-go-v2/aws"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lambduck/internal/bucket"
	"lambduck/internal/s3test"
	"lambduck/internal/storage"
	"lambduck/internal/store"
)

func day(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }

func TestS3CacheEvictsLeastRecentlyUsedWithinBudget(t *testing.T) {
	srv := s3test.Start(t, "lake")
	c := srv.Client()
	src := filepath.Join(t.TempDir(), "f.parquet")
	if err := os.WriteFile(src, make([]byte, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"01", "02", "03", "04", "05"} {
		if err := c.Upload(context.Background(), "lake", "data/company_id=1/date=2025-04-"+d+"/f.parquet", src); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Upload(context.Background(), "lake", "data/company_id=1/date=2025-04-02/.tmp.parquet", src); err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(context.Background(), "lake", "data/company_id=10/date=2025-04-02/f.parquet", src); err != nil {
		t.Fatal(err)
	}
	root, err := storage.Parse("s3://lake/data", bucket.Ready(c))
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.New(root, store.Options{CacheDir: t.TempDir(), CacheBytes: 3000, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := s.Select(context.Background(), "1", day("2025-04-01"), day("2025-04-03"))
	if err != nil || len(sel.Files) != 3 || sel.Downloaded != 3000 || sel.ListRequests != 3 {
		t.Fatalf("%v %+v", err, sel)
	}
	sel, err = s.Select(context.Background(), "1", day("2025-04-03"), day("2025-04-05"))
	if err != nil || sel.Downloaded != 2000 {
		t.Fatalf("%v %+v", err, sel)
	}
	// Days 1 and 2 were evicted (least recently used); day 3 was kept.
	if sel, err = s.Select(context.Background(), "1", day("2025-04-03"), day("2025-04-03")); err != nil {
		t.Fatal(err)
	}
	if sel.Downloaded != 0 {
		t.Errorf("day 3 should still be cached: %+v", sel)
	}
	if _, err := s.Select(context.Background(), "1", day("2025-04-01"), day("2025-04-05")); err == nil || !strings.Contains(err.Error(), "LAMBDUCK_CACHE_BYTES") {
		t.Errorf("5 files of 1000 bytes in a 3000-byte budget: %v", err)
	}
}

func TestS3ObjectDeletedBetweenListAndGet(t *testing.T) {
	srv := s3test.Start(t, "lake")
	c := srv.Client()
	src := filepath.Join(t.TempDir(), "f.parquet")
	if err := os.WriteFile(src, []byte("parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(context.Background(), "lake", "data/company_id=1/date=2025-04-01/f.parquet", src); err != nil {
		t.Fatal(err)
	}
	root, err := storage.Parse("s3://lake/", bucket.Ready(c))
	if err != nil {
		t.Fatal(err)
	}
	objs, _, err := root.List(context.Background(), "data/company_id=1/", "", nil)
	if err != nil || len(objs) != 1 {
		t.Fatal(err, objs)
	}
	if err := c.Delete(context.Background(), "lake", "data/"+strings.TrimPrefix(objs[0].Key, "data/")); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cache, err := store.NewCache(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = cache.Fetch(context.Background(), root, objs, 2)
	if err == nil || !bucket.IsNotFound(err) || !strings.Contains(err.Error(), "f.parquet") {
		t.Errorf("got %v", err)
	}
	var left []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 || cache.Used() != 0 {
		t.Errorf("left behind: %v, %d bytes accounted", left, cache.Used())
	}
}

// The S3 server stops while objects are being staged: the request fails
// with an error, no partial download is left, the cache accounts only for
// whole objects, and once the server is back the same selection completes,
// downloading only what was missing.
func TestS3ServerStoppedMidStaging(t *testing.T) {
	srv := s3test.Start(t, "lake")
	c := srv.Client()
	src := filepath.Join(t.TempDir(), "f.parquet")
	if err := os.WriteFile(src, make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	const days = 40
	for d := 0; d < days; d++ {
		key := "data/company_id=1/date=" + day("2025-03-01").AddDate(0, 0, d).Format("2006-01-02") + "/f.parquet"
		if err := c.Upload(context.Background(), "lake", key, src); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	cache, err := store.NewCache(dir, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	root, err := storage.Parse("s3://lake/data", bucket.Ready(c))
	if err != nil {
		t.Fatal(err)
	}
	s := func() (store.Selection, error) {
		objs, _, err := root.List(context.Background(), "company_id=1/", "", nil)
		if err != nil {
			return store.Selection{}, err
		}
		paths, n, err := cache.Fetch(context.Background(), root, objs, 1)
		return store.Selection{Files: make([]store.File, len(paths)), Downloaded: n}, err
	}

	done := make(chan error, 1)
	go func() {
		_, err := s()
		done <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); cache.Used() == 0; time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatal("nothing was staged")
		}
	}
	srv.Stop()
	stopErr := <-done
	if stopErr == nil {
		t.Skip("staging finished before the server stopped; nothing to check this time")
	}
	used := cache.Used()
	if used == 0 || used%(4<<20) != 0 || used >= days*(4<<20) {
		t.Errorf("cache accounts %d bytes: want whole objects, some but not all", used)
	}
	var partial []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".download-") {
			partial = append(partial, p)
		}
		return nil
	})
	if len(partial) != 0 {
		t.Errorf("partial downloads left: %v", partial)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	sel, err := s()
	if err != nil || len(sel.Files) != days || sel.Downloaded != int64(days*(4<<20))-used {
		t.Errorf("after the restart: %v, %d files, %d bytes downloaded (want %d)", err, len(sel.Files), sel.Downloaded, int64(days*(4<<20))-used)
	}
	t.Logf("stopped after %d of %d objects: %v", used/(4<<20), days, stopErr)
}

// cutter is a TCP proxy on loopback in front of the S3 server that, while
// cutting, closes every connection once it has carried limit bytes from the
// server: downloads break in the middle of an object's body.
type cutter struct {
	l       net.Listener
	target  string
	limit   int64
	cutting atomic.Bool
	cuts    atomic.Int64
}

func startCutter(t *testing.T, target string, limit int64) *cutter {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{l: l, target: target, limit: limit}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			go c.serve(in)
		}
	}()
	return c
}

func (c *cutter) serve(in net.Conn) {
	defer in.Close()
	out, err := net.Dial("tcp", c.target)
	if err != nil {
		return
	}
	defer out.Close()
	go io.Copy(out, in)
	var sent int64
	buf := make([]byte, 32<<10)
	for {
		n, err := out.Read(buf)
		if n > 0 {
			if c.cutting.Load() && sent+int64(n) > c.limit {
				in.Write(buf[:c.limit-sent])
				c.cuts.Add(1)
				return // both ends closed mid-body
			}
			if _, werr := in.Write(buf[:n]); werr != nil {
				return
			}
			sent += int64(n)
		}
		if err != nil {
			return
		}
	}
}

// A download cut off in the middle of an object's body fails the request,
// leaves no partial file and accounts nothing for that object; with the
// network whole again the same selection completes.
func TestDownloadCutMidTransfer(t *testing.T) {
	srv := s3test.Start(t, "lake")
	src := filepath.Join(t.TempDir(), "f.parquet")
	if err := os.WriteFile(src, make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"01", "02", "03", "04", "05"} {
		if err := srv.Client().Upload(context.Background(), "lake", "data/company_id=1/date=2025-04-"+d+"/f.parquet", src); err != nil {
			t.Fatal(err)
		}
	}
	proxy := startCutter(t, strings.TrimPrefix(srv.Endpoint, "http://"), 1<<20)
	cfg := srv.Config(s3test.AccessKey, s3test.SecretKey)
	cfg.BaseEndpoint = aws.String("http://" + proxy.l.Addr().String())
	cfg.RetryMaxAttempts = 1
	root, err := storage.Parse("s3://lake/data", bucket.Ready(bucket.NewFromConfig(cfg, true)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := store.New(root, store.Options{CacheDir: dir, CacheBytes: 1 << 30, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	proxy.cutting.Store(true)
	if _, err := s.Select(context.Background(), "1", day("2025-04-01"), day("2025-04-05")); err == nil {
		t.Fatal("every download was cut, yet the selection succeeded")
	}
	if proxy.cuts.Load() == 0 {
		t.Fatal("no connection was cut mid-body")
	}
	var left []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("a cut download left files: %v", left)
	}
	proxy.cutting.Store(false)
	sel, err := s.Select(context.Background(), "1", day("2025-04-01"), day("2025-04-05"))
	if err != nil || len(sel.Files) != 5 || sel.Downloaded != 5*(4<<20) {
		t.Fatalf("after the cut: %v, %d files, %d bytes downloaded", err, len(sel.Files), sel.Downloaded)
	}
	for _, f := range sel.Files {
		if info, err := os.Stat(f.Path); err != nil || info.Size() != 4<<20 {
			t.Errorf("%s: %v, %v", f.Path, info, err)
		}
	}
}
