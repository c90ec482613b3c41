package handler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sync/errgroup"

	"lambduck/internal/dashboard"
	"lambduck/internal/engine"
	"lambduck/internal/layout"
	"lambduck/internal/storage"
	"lambduck/internal/store"
)

// summaries are the day summaries a dashboard reads, and what getting them
// took.
type summaries struct {
	paths []string // local files, one per day with data
	read  store.Selection
	raw   store.Selection // the data files of the days summarized now
	made  int
}

func (s summaries) stats(remote bool, lists int) Stats {
	st := Stats{Files: len(s.read.Files) + len(s.raw.Files), BytesRead: s.read.Bytes + s.raw.Bytes, Shards: 1,
		SummariesRead: len(s.read.Files), SummariesMade: s.made}
	if remote {
		down, n := s.read.Downloaded+s.raw.Downloaded, lists+s.read.ListRequests
		st.BytesDownloaded, st.ListRequests = &down, &n
	}
	return st
}

// minStoredSummaryBytes: a day with less Parquet than this is summarized at
// each dashboard and its summary not stored. Making a summary costs about
// 0.5 µs of CPU per request (a 100,000-request, 1.7 MB day ≈ 50 ms); below
// ≈ 60,000 requests that is less than the PUT and the GET that storing and
// reading it back cost, and a month of small days made 30 objects per
// company to write on the first view (docs/performance.md).
const minStoredSummaryBytes = 1 << 20

// daySummaries returns the summary of each day of days (the data files a
// reader reads, day by day): the ones stored under the data root for
// exactly those files are read; the others are made from the days' data
// files in one locked instance, used, and — unless the day is small —
// stored for the next dashboard, replacing the day's older summaries. A
// summary that cannot be stored (a data root this function may not write)
// is still used, with a warning in the log. work is a folder the caller
// removes after the query.
func (h *Handler) daySummaries(ctx context.Context, id, company string, days []store.DayFiles, geo bool, work string) (summaries, error) {
	var s summaries
	if len(days) == 0 {
		return s, nil
	}
	root := h.store.Root()
	tz := h.cfg.TimeZone.String()
	// Only days large enough to be stored can have a summary to read: with
	// none, no listing.
	var large []store.DayFiles
	for _, d := range days {
		if d.Bytes >= h.summaryMinBytes {
			large = append(large, d)
		}
	}
	var stored []storage.Object
	if len(large) > 0 {
		prefix := layout.SummaryPrefix(company)
		after, stop := layout.DateRange(prefix, large[0].Date, large[len(large)-1].Date)
		var lists int
		var err error
		stored, lists, err = root.List(ctx, prefix, after, stop)
		if err != nil {
			return s, fmt.Errorf("dashboard: listing day summaries: %w", err)
		}
		s.read.ListRequests = lists
	}
	byKey := map[string]storage.Object{}
	for _, o := range stored {
		byKey[o.Key] = o
	}
	want := map[string]string{} // day → key of its summary for these files
	var have []storage.Object
	var missing []store.DayFiles
	for _, d := range days {
		k := layout.SummaryKey(company, d.Date, dashboard.Fingerprint(tz, geo, d.Objects))
		want[d.Date] = k
		if o, ok := byKey[k]; ok {
			have = append(have, o)
		} else {
			missing = append(missing, d)
		}
	}
	if len(have) > 0 {
		lists := s.read.ListRequests
		var err error
		s.read, err = h.store.Fetch(ctx, []store.DayFiles{{Objects: have}}, lists)
		if err == nil {
			s.paths, err = h.holdSummaries(s.read.Paths(), work)
		}
		if err != nil {
			// Removed since the listing (another request stored newer ones
			// for files this request did not list): make them again.
			h.log.Warn("dashboard: day summaries listed but not read; making them again",
				"request_id", id, "company_id", company, "error", err.Error())
			s.read, s.paths, missing = store.Selection{ListRequests: lists}, nil, days
		}
	}
	if len(missing) == 0 {
		return s, nil
	}
	var err error
	if s.raw, err = h.store.Fetch(ctx, missing, 0); err != nil {
		return s, err
	}
	made, err := h.makeSummaries(ctx, id, company, s.raw.Paths(), missing, geo, work)
	if err != nil {
		return s, err
	}
	s.made = len(made)
	// Store each day's summary (under its fingerprint) and remove the day's
	// older ones; the request reads its own links to them. A small day's is
	// only used.
	var puts []store.DayFiles
	for _, d := range missing {
		files := made[d.Date]
		if len(files) != 1 || d.Bytes < h.summaryMinBytes {
			s.paths = append(s.paths, files...)
			continue
		}
		use := filepath.Join(work, "use-"+d.Date+".parquet")
		if err := linkOrCopy(files[0], use); err != nil {
			return s, err
		}
		s.paths = append(s.paths, use)
		puts = append(puts, d)
	}
	var mu sync.Mutex
	var failed error
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for _, d := range puts {
		g.Go(func() error {
			err := root.Put(gctx, made[d.Date][0], want[d.Date])
			for _, o := range stored {
				if day, ok := layout.SummaryDay(company, o.Key); err == nil && ok && day == d.Date && o.Key != want[d.Date] {
					err = root.Remove(gctx, o.Key)
				}
			}
			if err != nil {
				mu.Lock()
				failed = err
				mu.Unlock()
			}
			return nil
		})
	}
	g.Wait()
	if failed != nil {
		h.log.Warn("dashboard: day summaries not stored; the next dashboard makes them again",
			"request_id", id, "company_id", company, "error", failed.Error())
	}
	return s, nil
}

// holdSummaries returns files the query can read whatever another request
// removes meanwhile: in a folder data root, links in work to the stored
// summaries (another dashboard may replace a day's summary between this
// one's listing and its query); fetched copies are already the request's.
func (h *Handler) holdSummaries(paths []string, work string) ([]string, error) {
	if h.store.Root().Remote() {
		return paths, nil
	}
	held := make([]string, len(paths))
	for i, p := range paths {
		held[i] = filepath.Join(work, fmt.Sprintf("read-%d.parquet", i))
		if err := linkOrCopy(p, held[i]); err != nil {
			return nil, err
		}
	}
	if h.afterSummaryHold != nil {
		h.afterSummaryHold()
	}
	return held, nil
}

// makeSummaries runs dashboard.SummarySQL over files (whole days) in a
// locked instance and returns each day's summary as files in work (one; none
// for a day whose files hold no row).
func (h *Handler) makeSummaries(ctx context.Context, id, company string, files []string, days []store.DayFiles, geo bool, work string) (map[string][]string, error) {
	sess, err := h.engine.Open(ctx, engine.Job{ID: id, Tenant: company, SQL: dashboard.SummarySQL, Files: files, DefineView: true,
		Args: map[string]any{"geo": geo}})
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	dir, _, err := sess.ExportParquetByDate(ctx)
	if err != nil {
		return nil, fmt.Errorf("dashboard: summarizing days: %w", err)
	}
	made := map[string][]string{}
	for k, d := range days {
		found, err := filepath.Glob(filepath.Join(dir, "date="+d.Date, "*.parquet"))
		if err != nil {
			return nil, err
		}
		// Out of the session's folder before the session closes. (DuckDB
		// writes one file per day; were it several, they are used and not
		// stored, as a summary is one object.)
		for i, f := range found {
			moved := filepath.Join(work, fmt.Sprintf("made-%d-%d.parquet", k, i))
			if err := os.Rename(f, moved); err != nil {
				return nil, err
			}
			made[d.Date] = append(made[d.Date], moved)
		}
	}
	return made, nil
}

// summaryView is the CREATE VIEW of day_summaries over the summary files.
func summaryView(paths []string) (string, error) {
	if len(paths) == 0 {
		return "CREATE VIEW day_summaries AS " + dashboard.EmptySummaries(), nil
	}
	list, err := engine.QuoteList(paths)
	if err != nil {
		return "", err
	}
	return "CREATE VIEW day_summaries AS SELECT * FROM read_parquet(" + list + ", hive_partitioning = false)", nil
}

// linkOrCopy makes dst the same file as src: a hard link, or a copy where
// links are not possible.
func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o600)
}
