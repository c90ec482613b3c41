package store

import (
	"container/list"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"lambduck/internal/storage"
)

// Cache keeps staged S3 objects on local disk for the next invocation of
// the same warm process. An entry is an object's key and ETag: a repeated
// request downloads nothing, a changed object is fetched again. The cache
// stays within its byte budget by evicting the least recently used entries
// that the current request does not need. Files keep the object's key as
// their path below the cache folder, so DuckDB reads the Hive partition
// (company_id=…/date=…) from it; which of them a request may open is
// decided per request (package engine), never by the cache.
type Cache struct {
	dir    string
	budget int64

	mu    sync.Mutex
	used  int64
	items map[string]*cacheItem // by the object's location
	lru   *list.List            // front: most recently used
}

type cacheItem struct {
	id, etag, path string
	size           int64
	elem           *list.Element
}

// TooLargeError is a selection that cannot fit the cache budget.
type TooLargeError struct {
	Need, Budget int64
	Files        int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the selection is %d files of %d bytes in all, more than the %d-byte staging budget (LAMBDUCK_CACHE_BYTES); narrow the date range",
		e.Files, e.Need, e.Budget)
}

// NewCache makes an empty cache in dir (what a previous process left there is removed).
func NewCache(dir string, budget int64) (*Cache, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Cache{dir: dir, budget: budget, items: map[string]*cacheItem{}, lru: list.New()}, nil
}

// Used returns the bytes held.
func (c *Cache) Used() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// Fetch makes every object of root local, downloading only those missing
// or changed, at most concurrency at a time, and returns their paths (in
// order) and the bytes downloaded. It fails before downloading anything
// when the objects cannot fit the budget together.
func (c *Cache) Fetch(ctx context.Context, root *storage.Root, objs []storage.Object, concurrency int) ([]string, int64, error) {
	var need int64
	for _, o := range objs {
		need += o.Size
	}
	if need > c.budget {
		return nil, 0, &TooLargeError{Need: need, Budget: c.budget, Files: len(objs)}
	}
	paths := make([]string, len(objs))
	ids := make([]string, len(objs))
	var fetch []int
	var fetchBytes int64
	pinned := map[string]bool{}
	c.mu.Lock()
	for i, o := range objs {
		if err := storage.CheckKey(o.Key); err != nil {
			c.mu.Unlock()
			return nil, 0, fmt.Errorf("store: %w", err)
		}
		// The location keeps the Hive partition in the cached file's path.
		ids[i] = strings.TrimPrefix(root.Location(o.Key), "s3://")
		pinned[ids[i]] = true
		paths[i] = filepath.Join(c.dir, filepath.FromSlash(ids[i]))
		if it, ok := c.items[ids[i]]; ok && it.etag == o.Version {
			c.lru.MoveToFront(it.elem)
			continue
		}
		fetch = append(fetch, i)
		fetchBytes += o.Size
	}
	// Make room: evict least recently used entries this request does not use.
	for e := c.lru.Back(); e != nil && c.used+fetchBytes > c.budget; {
		prev := e.Prev()
		it := e.Value.(*cacheItem)
		if !pinned[it.id] {
			c.removeLocked(it)
		}
		e = prev
	}
	c.mu.Unlock()

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(concurrency, 1))
	var mu sync.Mutex
	var downloaded int64
	for _, i := range fetch {
		o := objs[i]
		g.Go(func() error {
			if _, err := root.Fetch(gctx, o, paths[i]); err != nil {
				return err
			}
			c.mu.Lock()
			if old, ok := c.items[ids[i]]; ok {
				c.removeEntryLocked(old)
			}
			it := &cacheItem{id: ids[i], etag: o.Version, path: paths[i], size: o.Size}
			it.elem = c.lru.PushFront(it)
			c.items[ids[i]] = it
			c.used += o.Size
			c.mu.Unlock()
			mu.Lock()
			downloaded += o.Size
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, downloaded, err
	}
	return paths, downloaded, nil
}

// Clear removes every cached file.
func (c *Cache) Clear() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items, c.used = map[string]*cacheItem{}, 0
	c.lru.Init()
	return os.RemoveAll(c.dir)
}

func (c *Cache) removeLocked(it *cacheItem) {
	os.Remove(it.path)
	c.removeEntryLocked(it)
}

func (c *Cache) removeEntryLocked(it *cacheItem) {
	c.lru.Remove(it.elem)
	delete(c.items, it.id)
	c.used -= it.size
}
