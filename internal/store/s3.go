package store

import (
	"context"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"lambduck/internal/bucket"
)

// S3 is a data root in S3 (s3://bucket/prefix). It lists only the
// company's objects for the requested days and stages them, in parallel,
// into the warm cache, from which DuckDB reads them.
type S3 struct {
	Client      *bucket.Client
	Root        bucket.URI
	Cache       *Cache
	Concurrency int // parallel downloads
}

// perDayListingMaxDays: up to this many days, one LIST per day prefix (in
// parallel: one round trip); beyond, one listing of the company's prefix
// that starts at the first day and stops after the last (1 request per
// 1,000 objects in the range). docs/decisions.md has the measurement.
const perDayListingMaxDays = 3

// Select lists and stages the objects of company for the days start…end.
func (s *S3) Select(ctx context.Context, company string, start, end time.Time) (Selection, error) {
	if err := checkCompany(company); err != nil {
		return Selection{}, err
	}
	objs, requests, err := s.list(ctx, company, start, end)
	if err != nil {
		return Selection{}, err
	}
	sel := Selection{Remote: true, ListRequests: requests}
	paths, downloaded, err := s.Cache.Fetch(ctx, s.Client, objs, s.Concurrency)
	sel.Downloaded = downloaded
	if err != nil {
		return sel, err
	}
	for i, o := range objs {
		sel.Files = append(sel.Files, File{Path: paths[i], Size: o.Size})
		sel.Bytes += o.Size
	}
	return sel, nil
}

func (s *S3) list(ctx context.Context, company string, start, end time.Time) ([]bucket.Object, int, error) {
	companyPrefix := s.Root.Key("company_id=" + company + "/")
	first, last := start.Format(time.DateOnly), end.Format(time.DateOnly)
	keep := func(o bucket.Object) bool {
		day, name, ok := strings.Cut(strings.TrimPrefix(o.Key, companyPrefix+"date="), "/")
		return ok && day >= first && day <= last && len(day) == len(first) && isDataFile(name)
	}
	days := Days(start, end)
	if len(days) <= perDayListingMaxDays {
		var (
			mu       sync.Mutex
			out      []bucket.Object
			requests int
		)
		g, gctx := errgroup.WithContext(ctx)
		for _, d := range days {
			g.Go(func() error {
				objs, n, err := s.Client.List(gctx, s.Root.Bucket, companyPrefix+"date="+d.Format(time.DateOnly)+"/", "", nil)
				mu.Lock()
				defer mu.Unlock()
				requests += n
				for _, o := range objs {
					if keep(o) {
						out = append(out, o)
					}
				}
				return err
			})
		}
		err := g.Wait()
		sortObjects(out)
		return out, requests, err
	}
	// "date=2025-04-01" sorts just before every key of that day.
	objs, requests, err := s.Client.List(ctx, s.Root.Bucket, companyPrefix, companyPrefix+"date="+first,
		func(key string) bool { return strings.TrimPrefix(key, companyPrefix) > "date="+last+"/\xff" })
	var out []bucket.Object
	for _, o := range objs {
		if keep(o) {
			out = append(out, o)
		}
	}
	return out, requests, err
}

// isDataFile: a Parquet file directly in the partition, not a writer's temporary.
func isDataFile(name string) bool {
	return strings.HasSuffix(name, ".parquet") && !strings.Contains(name, "/") &&
		!strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_") && path.Clean(name) == name
}

func sortObjects(objs []bucket.Object) {
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
}
