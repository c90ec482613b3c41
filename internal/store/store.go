package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"lambduck/internal/compact"
	"lambduck/internal/layout"
	"lambduck/internal/storage"
)

// Store selects files from one data root.
type Store struct {
	root        *storage.Root
	cache       *Cache         // for a remote root
	manifests   *compact.Cache // compaction manifests read before
	concurrency int            // parallel downloads
}

// Options configure a store over a remote root.
type Options struct {
	CacheDir    string // where staged objects are kept between requests
	CacheBytes  int64  // the cache's budget; 0: half the file system that holds CacheDir
	Concurrency int    // parallel downloads (at least 1)
}

// New returns the store of root. A remote root gets a warm cache in
// o.CacheDir (what a previous process left there is removed).
func New(root *storage.Root, o Options) (*Store, error) {
	s := &Store{root: root, manifests: compact.NewCache(), concurrency: max(o.Concurrency, 1)}
	if root.Remote() {
		budget := o.CacheBytes
		if budget == 0 {
			budget = halfOfFileSystem(o.CacheDir)
		}
		var err error
		if s.cache, err = NewCache(o.CacheDir, budget); err != nil {
			return nil, fmt.Errorf("store: cache: %w", err)
		}
	}
	return s, nil
}

// Root is the data root the store reads.
func (s *Store) Root() *storage.Root { return s.root }

// Close removes the warm cache's files.
func (s *Store) Close() error {
	if s.cache == nil {
		return nil
	}
	return s.cache.Clear()
}

// File is one selected Parquet file.
type File struct {
	Path string // local path DuckDB opens
	Size int64
}

// Selection is what a request reads.
type Selection struct {
	Files []File
	Bytes int64
	// For a remote data root: bytes downloaded for this request (0 when
	// every object was in the warm cache) and LIST requests made.
	Remote       bool
	Downloaded   int64
	ListRequests int
}

// Paths returns the files' paths.
func (s Selection) Paths() []string {
	out := make([]string, len(s.Files))
	for i, f := range s.Files {
		out[i] = f.Path
	}
	return out
}

// Select lists the data files of company for the days start…end — for a
// compacted day, the files its compaction says a reader reads (package
// compact) — and makes them local.
func (s *Store) Select(ctx context.Context, company string, start, end time.Time) (Selection, error) {
	days, requests, err := s.Days(ctx, company, start, end)
	if err != nil {
		return Selection{}, err
	}
	return s.Fetch(ctx, days, requests)
}

// Fetch makes the listed days' files local (listRequests: what listing
// them took, for the stats).
func (s *Store) Fetch(ctx context.Context, days []DayFiles, listRequests int) (Selection, error) {
	var (
		objs []storage.Object
		err  error
	)
	for _, d := range days {
		objs = append(objs, d.Objects...)
	}
	sortObjects(objs)
	sel := Selection{Remote: s.root.Remote(), ListRequests: listRequests}
	paths := make([]string, len(objs))
	if s.cache != nil {
		paths, sel.Downloaded, err = s.cache.Fetch(ctx, s.root, objs, s.concurrency)
		if err != nil {
			return sel, err
		}
	} else {
		for i, o := range objs {
			if paths[i], err = s.root.Fetch(ctx, o, ""); err != nil {
				return sel, err
			}
		}
	}
	for i, o := range objs {
		sel.Files = append(sel.Files, File{Path: paths[i], Size: o.Size})
		sel.Bytes += o.Size
	}
	return sel, nil
}

// DayFiles are the files a reader reads for one day.
type DayFiles struct {
	Date    string // YYYY-MM-DD
	Objects []storage.Object
	Bytes   int64
}

// Days lists what Select would read for company and start…end, day by day
// (days without files left out), without reading or staging any of it: the
// fan-out splits a range by these sizes. It returns the LIST requests made.
func (s *Store) Days(ctx context.Context, company string, start, end time.Time) ([]DayFiles, int, error) {
	if !layout.ValidCompanyID(company) {
		return nil, 0, fmt.Errorf("store: invalid company id %q", company)
	}
	days, requests, err := compact.List(ctx, s.root, company, start, end)
	if err != nil {
		return nil, requests, err
	}
	out := make([]DayFiles, 0, len(days))
	for _, d := range days {
		if err := d.Load(ctx, s.root, s.manifests); err != nil {
			return nil, requests, fmt.Errorf("store: %w", err)
		}
		df := DayFiles{Date: d.Date, Objects: d.Live()}
		for _, o := range df.Objects {
			df.Bytes += o.Size
		}
		if len(df.Objects) > 0 {
			out = append(out, df)
		}
	}
	return out, requests, nil
}

func sortObjects(objs []storage.Object) {
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
}

// halfOfFileSystem is the default cache budget: half of the file system
// that holds dir (Lambda's ephemeral storage), leaving the rest to spill
// files and exports.
func halfOfFileSystem(dir string) int64 {
	var st syscall.Statfs_t
	// The folder may not exist yet: ask the nearest one that does.
	for p := dir; ; p = filepath.Dir(p) {
		if syscall.Statfs(p, &st) == nil {
			return int64(st.Blocks) * int64(st.Bsize) / 2
		}
		if p == filepath.Dir(p) {
			return 256 << 20
		}
	}
}
