package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lambduck/internal/bucket"
	"lambduck/internal/s3test"
	"lambduck/internal/store"
)

func day(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }

func TestS3CacheEvictsLeastRecentlyUsedWithinBudget(t *testing.T) {
	srv := s3test.Start(t, "lake")
	c := srv.Client()
	src := filepath.Join(t.TempDir(), "f.parquet")
	os.WriteFile(src, make([]byte, 1000), 0o644)
	for _, d := range []string{"01", "02", "03", "04", "05"} {
		c.Upload(context.Background(), "lake", "data/company_id=1/date=2025-04-"+d+"/f.parquet", src)
	}
	c.Upload(context.Background(), "lake", "data/company_id=1/date=2025-04-02/.tmp.parquet", src)
	c.Upload(context.Background(), "lake", "data/company_id=10/date=2025-04-02/f.parquet", src)
	cache, err := store.NewCache(t.TempDir(), 3000)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := bucket.ParseURI("s3://lake/data")
	s := &store.S3{Client: c, Root: root, Cache: cache, Concurrency: 4}
	sel, err := s.Select(context.Background(), "1", day("2025-04-01"), day("2025-04-03"))
	if err != nil || len(sel.Files) != 3 || sel.Downloaded != 3000 || sel.ListRequests != 3 {
		t.Fatalf("%v %+v", err, sel)
	}
	sel, err = s.Select(context.Background(), "1", day("2025-04-03"), day("2025-04-05"))
	if err != nil || sel.Downloaded != 2000 || cache.Used() != 3000 {
		t.Fatalf("%v %+v, cache holds %d", err, sel, cache.Used())
	}
	// Days 1 and 2 were evicted (least recently used); day 3 was kept.
	sel, _ = s.Select(context.Background(), "1", day("2025-04-03"), day("2025-04-03"))
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
	os.WriteFile(src, []byte("parquet"), 0o644)
	c.Upload(context.Background(), "lake", "data/company_id=1/date=2025-04-01/f.parquet", src)
	objs, _, err := c.List(context.Background(), "lake", "data/company_id=1/", "", nil)
	if err != nil || len(objs) != 1 {
		t.Fatal(err, objs)
	}
	c.Delete(context.Background(), "lake", objs[0].Key)
	dir := t.TempDir()
	cache, _ := store.NewCache(dir, 1<<20)
	_, _, err = cache.Fetch(context.Background(), c, objs, 2)
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
	os.WriteFile(src, make([]byte, 4<<20), 0o644)
	const days = 40
	for d := 0; d < days; d++ {
		key := "data/company_id=1/date=" + day("2025-03-01").AddDate(0, 0, d).Format("2006-01-02") + "/f.parquet"
		if err := c.Upload(context.Background(), "lake", key, src); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	cache, _ := store.NewCache(dir, 1<<30)
	root, _ := bucket.ParseURI("s3://lake/data")
	s := &store.S3{Client: c, Root: root, Cache: cache, Concurrency: 1}
	from, to := day("2025-03-01"), day("2025-03-01").AddDate(0, 0, days-1)

	done := make(chan error, 1)
	go func() {
		_, err := s.Select(context.Background(), "1", from, to)
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
	srv.Restart(t)
	sel, err := s.Select(context.Background(), "1", from, to)
	if err != nil || len(sel.Files) != days || sel.Downloaded != int64(days*(4<<20))-used {
		t.Errorf("after the restart: %v, %d files, %d bytes downloaded (want %d)", err, len(sel.Files), sel.Downloaded, int64(days*(4<<20))-used)
	}
	t.Logf("stopped after %d of %d objects: %v", used/(4<<20), days, stopErr)
}
