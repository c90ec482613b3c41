package compact

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"lambduck/internal/layout"
	"lambduck/internal/storage"
)

// perDayListingMaxDays: up to this many days, one listing per day prefix
// (in parallel: one round trip); beyond, one listing of the company's
// prefix that starts at the first day and stops after the last (one S3
// request per 1,000 objects in the range). docs/decisions.md has the
// measurement.
const perDayListingMaxDays = 3

// List lists the days of company from start to end that hold any file,
// with the number of LIST requests it took (0 for a folder). Manifests are
// not loaded.
func List(ctx context.Context, root *storage.Root, company string, start, end time.Time) ([]*Day, int, error) {
	companyPrefix := layout.CompanyPrefix(company)
	first, last := start.Format(layout.DateFormat), end.Format(layout.DateFormat)
	var (
		mu       sync.Mutex
		objs     []storage.Object
		requests int
	)
	add := func(found []storage.Object, n int) {
		mu.Lock()
		defer mu.Unlock()
		requests += n
		objs = append(objs, found...)
	}
	days := layout.Days(start, end)
	if len(days) <= perDayListingMaxDays {
		g, gctx := errgroup.WithContext(ctx)
		for _, d := range days {
			g.Go(func() error {
				found, n, err := root.List(gctx, layout.DayPrefix(company, d), "", nil)
				add(found, n)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, requests, err
		}
	} else {
		after, stop := layout.DateRange(companyPrefix, first, last)
		found, n, err := root.List(ctx, companyPrefix, after, stop)
		if err != nil {
			return nil, requests + n, err
		}
		add(found, n)
	}
	var out []*Day
	for _, d := range Group(objs) {
		if d.Company == company && d.Date >= first && d.Date <= last {
			out = append(out, d)
		}
	}
	return out, requests, nil
}
