package compact

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"lambduck/internal/engine"
	"lambduck/internal/layout"
	"lambduck/internal/storage"
)

// Defaults of Options.
const (
	DefaultThreshold = 8
	// DefaultTargetRows: a compacted day larger than this is written as
	// several files (each of whole sources; ≈ 200 MB of Parquet here).
	DefaultTargetRows = 10_000_000
	// DefaultGrace outlasts the longest Lambda invocation (15 minutes)
	// twice over: a reader that listed a day before a compaction committed
	// has finished before what it listed is removed.
	DefaultGrace = 30 * time.Minute
)

// Options say what to compact where.
type Options struct {
	Root    *storage.Root
	Engine  *engine.Engine
	Scratch string // S3 objects are staged here while a day is rewritten
	// Threshold: a day is compacted when a reader would read more files
	// than this (0: DefaultThreshold).
	Threshold int
	// TargetRows: a day with more rows is written as several files of
	// about this many rows, cut between sources (0: DefaultTargetRows).
	TargetRows int64
	// Grace: replaced files are removed this long after the compaction that
	// replaced them (0: DefaultGrace; negative: at once, for a data root no
	// report is reading).
	Grace time.Duration
	// KeepReplaced: the data files a compaction replaced are never removed.
	// An Athena (Hive) table over the data root skips the compaction's
	// _-named files and reads these instead, so it sees every row once too
	// (docs/decisions.md, "Athena and compaction"); the price is the
	// compacted days stored twice.
	KeepReplaced bool
	Now          func() time.Time // the clock (default time.Now)
	// share is how many days run side by side, each instance with that
	// share of the engine (engine.Job.Share); Run sets it.
	share int
}

// grace is the grace period in force (negative Grace: none).
func (o Options) grace() time.Duration { return max(o.Grace, 0) }

func (o Options) withDefaults() Options {
	if o.Threshold <= 0 {
		o.Threshold = DefaultThreshold
	}
	if o.Grace == 0 {
		o.Grace = DefaultGrace
	}
	if o.TargetRows <= 0 {
		o.TargetRows = DefaultTargetRows
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// DaySummary is what happened to one company-day.
type DaySummary struct {
	Company     string `json:"company_id"`
	Date        string `json:"date"`
	FilesBefore int    `json:"files_before"` // files a reader read before
	FilesAfter  int    `json:"files_after"`  // and reads now
	Rows        int64  `json:"rows,omitempty"`
	Bytes       int64  `json:"bytes,omitempty"` // of the compacted file
	ID          string `json:"id,omitempty"`    // the compaction, when the day was compacted
	Removed     int    `json:"removed"`         // replaced files removed
	// Rewrite says how the compacted file was written: "splice" (pages
	// copied, dictionaries merged), "duckdb" (decoded and encoded again),
	// or both for a day of several files.
	Rewrite string `json:"rewrite,omitempty"`
}

// Summary is the outcome of one run.
type Summary struct {
	Days       []DaySummary `json:"days"`
	Compacted  int          `json:"days_compacted"`
	Removed    int          `json:"files_removed"`
	DurationMS int64        `json:"duration_ms"`
}

// Run compacts every day of company from start to end that a reader would
// read more than the threshold's files from, and removes what earlier
// compactions replaced once their grace period is over. progress, when not
// nil, is told the days done of the days listed.
func Run(ctx context.Context, o Options, company string, start, end time.Time, progress func(done, total int)) (Summary, error) {
	o = o.withDefaults()
	began := time.Now()
	days, _, err := List(ctx, o.Root, company, start, end)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Days: make([]DaySummary, len(days))}
	var mu sync.Mutex
	done := 0
	if progress != nil {
		progress(0, len(days))
	}
	// A day per core, each on one thread (and its share of the memory): a
	// day's file is one row group that one thread writes, and instances
	// that each spread over every core only take turns on them
	// (docs/performance.md).
	o.share = o.Engine.Settings().Cores() // on Lambda, the function's vCPUs
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.share)
	for i, d := range days {
		g.Go(func() error {
			ds, err := o.CompactDay(gctx, d, false)
			mu.Lock()
			defer mu.Unlock()
			sum.Days[i] = ds
			sum.Removed += ds.Removed
			if ds.ID != "" {
				sum.Compacted++
			}
			done++
			if progress != nil {
				progress(done, len(days))
			}
			if err != nil {
				return fmt.Errorf("%s %s: %w", d.Company, d.Date, err)
			}
			return nil
		})
	}
	err = g.Wait()
	sum.DurationMS = time.Since(began).Milliseconds()
	return sum, err
}

// CompactDay compacts d (listed, manifests not yet loaded) when it is over the
// threshold, or always with force, and cleans up after earlier
// compactions.
func (o Options) CompactDay(ctx context.Context, d *Day, force bool) (DaySummary, error) {
	o = o.withDefaults()
	ds := DaySummary{Company: d.Company, Date: d.Date}
	if err := d.Load(ctx, o.Root, nil); err != nil {
		return ds, err
	}
	removed, err := o.clean(ctx, d)
	ds.Removed = removed
	if err != nil {
		return ds, err
	}
	if removed > 0 { // what is listed changed
		if d, err = o.relist(ctx, d); err != nil {
			return ds, err
		}
	}
	live := d.Live()
	ds.FilesBefore, ds.FilesAfter = len(live), len(live)
	if len(live) <= o.Threshold && !force {
		return ds, nil
	}
	m, bytes, how, err := o.rewrite(ctx, d, nil, nil)
	if err != nil {
		return ds, err
	}
	ds.ID, ds.Rows, ds.Bytes, ds.FilesAfter, ds.Rewrite = m.ID, m.Rows, bytes, len(m.Parts), how
	if o.Grace < 0 { // nobody is reading: remove what it replaced now
		if d, err = o.relist(ctx, d); err != nil {
			return ds, err
		}
		if err := d.Load(ctx, o.Root, nil); err != nil {
			return ds, err
		}
		n, err := o.clean(ctx, d)
		ds.Removed += n
		if err != nil {
			return ds, err
		}
	}
	return ds, nil
}

// Replace puts the rows of one source (its data files' names start with
// prefix) into a day that a compaction holds rows of it in: the staged files
// (name in the day → local file, none to drop the source from the day)
// replace them in one new compaction, so that no reader ever sees both or
// neither. It reports false, and does nothing, when no effective compaction
// of d (loaded) holds rows of the source: plain files are then the way.
func (o Options) Replace(ctx context.Context, d *Day, prefix string, staged map[string]string) (bool, error) {
	o = o.withDefaults()
	holds := false
	for _, m := range d.Effective() {
		for _, s := range m.Sources {
			holds = holds || (s.Rows > 0 && strings.HasPrefix(s.Name, prefix))
		}
	}
	if !holds {
		return false, nil
	}
	_, _, _, err := o.rewrite(ctx, d, func(name string) bool { return strings.HasPrefix(name, prefix) }, staged)
	return true, err
}

func (o Options) relist(ctx context.Context, d *Day) (*Day, error) {
	day, err := layout.ParseDate(d.Date)
	if err != nil {
		return nil, err
	}
	objs, _, err := o.Root.List(ctx, layout.DayPrefix(d.Company, day), "", nil)
	if err != nil {
		return nil, err
	}
	days := Group(objs)
	if len(days) == 0 {
		nd := newDay(d.Company, d.Date)
		nd.Manifests = map[string]*Manifest{}
		return nd, nil
	}
	return days[0], days[0].Load(ctx, o.Root, nil)
}

// rewrite writes one compaction of d: the rows of its effective
// compactions and of the data files they do not name — less the sources
// drop names — then the staged files, and commits it. The rows keep their
// order within each source (as written), sources one after another; a day
// over the target size is cut into several files, between sources (between
// files where it is spliced). Each
// file is spliced (splice.go) where it can be, else written by DuckDB; it
// reports which ("splice", "duckdb" or both).
func (o Options) rewrite(ctx context.Context, d *Day, drop func(string) bool, staged map[string]string) (*Manifest, int64, string, error) {
	if drop == nil {
		drop = func(string) bool { return false }
	}
	if err := os.MkdirAll(o.Scratch, 0o700); err != nil {
		return nil, 0, "", err
	}
	work, err := os.MkdirTemp(o.Scratch, "compact-")
	if err != nil {
		return nil, 0, "", err
	}
	defer os.RemoveAll(work)

	eff := d.Effective()
	listed := map[string]bool{}
	current := map[string]string{} // data file name → its listed version
	for _, obj := range d.Data {
		listed[name(obj)+"\x00"+obj.Version] = true
		current[name(obj)] = obj.Version
	}
	// A file written again under a name a compaction holds (by hand: ingest
	// and gen replace through Replace) replaces the rows held for it.
	rewritten := func(s Source) bool {
		v, ok := current[s.Name]
		return ok && v != s.Version
	}
	l := o.loader(work)
	var inputs []input
	m := &Manifest{}
	var hidden []Source // files hidden, no rows of their own
	// Earlier compactions, oldest first: the rows of the sources kept.
	for i := len(eff) - 1; i >= 0; i-- {
		old := eff[i]
		m.Supersedes = append(m.Supersedes, old.ID)
		files := make([]*source, len(old.Parts))
		for k := range old.Parts {
			if files[k], err = l.load(ctx, d.Parquet[old.ID][k]); err != nil {
				return nil, 0, "", err
			}
			files[k].rows = old.Parts[k].Rows
		}
		for _, s := range old.Sources {
			if s.Rows == 0 || drop(s.Name) || rewritten(s) {
				if listed[s.key()] { // keep hiding its file until it is removed
					hidden = append(hidden, Source{Name: s.Name, Version: s.Version})
				}
				continue
			}
			if s.Part < 0 || s.Part >= len(files) {
				return nil, 0, "", fmt.Errorf("compact: manifest %s: source %s in part %d of %d", old.ID, s.Name, s.Part, len(files))
			}
			inputs = append(inputs, input{src: Source{Name: s.Name, Version: s.Version, Rows: s.Rows}, file: files[s.Part], first: s.First})
		}
	}
	// The data files no compaction holds, then the staged ones: each whole.
	covered := map[string]bool{}
	for _, in := range inputs {
		covered[in.src.key()] = true
	}
	for _, s := range hidden {
		covered[s.key()] = true
	}
	var fetch []storage.Object
	var wholes []input
	for _, obj := range d.Data {
		n := name(obj)
		s := Source{Name: n, Version: obj.Version}
		if covered[s.key()] {
			continue
		}
		if drop(n) {
			hidden = append(hidden, s)
			continue
		}
		wholes = append(wholes, input{src: s, whole: true})
		fetch = append(fetch, obj)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i, obj := range fetch {
		g.Go(func() error {
			f, err := l.load(gctx, obj)
			wholes[i].file = f
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, "", err
	}
	names := make([]string, 0, len(staged))
	for n := range staged {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		wholes = append(wholes, input{src: Source{Name: n}, file: &source{name: n, path: staged[n]}, whole: true})
	}
	inputs = append(inputs, wholes...)
	files := distinct(inputs)

	// The rows of each whole file: from the files' footers, which the
	// splice reads anyway, or from DuckDB.
	w := &partWriter{o: o, d: d, work: work, files: files, splice: keptWhole(inputs)}
	defer w.close()
	if err := w.count(ctx, inputs); err != nil {
		return nil, 0, "", err
	}
	// Cut into parts of about the target size: between sources, or, for a
	// splice, between files (an earlier compaction's file holds several).
	var parts [][]input
	var size int64
	for i, in := range inputs {
		unit := in.src.Rows
		if w.splice {
			if i > 0 && in.file == inputs[i-1].file {
				unit = 0 // the rest of a file already counted
			} else {
				for _, next := range inputs[i+1:] {
					if next.file != in.file {
						break
					}
					unit += next.src.Rows
				}
			}
		}
		if len(parts) == 0 || (unit > 0 && size > 0 && size+unit > o.TargetRows) {
			parts = append(parts, nil)
			size = 0
		}
		parts[len(parts)-1] = append(parts[len(parts)-1], in)
		size += in.src.Rows
	}
	if len(parts) == 0 {
		parts = [][]input{nil}
	}
	day, err := layout.ParseDate(d.Date)
	if err != nil {
		return nil, 0, "", err
	}
	outs := make([]string, len(parts))
	var bytes int64
	for k, part := range parts {
		p := Part{}
		for _, in := range part {
			src := in.src
			src.Part, src.First = k, p.Rows
			m.Sources = append(m.Sources, src)
			p.Rows += src.Rows
		}
		m.Rows += p.Rows
		out, size, err := w.write(ctx, k, part, p.Rows)
		if err != nil {
			return nil, 0, "", err
		}
		outs[k], bytes = out, bytes+size
		m.Parts = append(m.Parts, p)
	}
	for _, s := range hidden {
		m.Sources = append(m.Sources, s)
	}
	// The id is made now, after every input was read: a compaction that
	// commits later has a greater id.
	m.ID = newID(o.Now())
	for k, out := range outs {
		m.Parts[k].Name = layout.CompactedName(m.ID, k)
		if err := o.Root.Put(ctx, out, layout.Key(d.Company, day, m.Parts[k].Name)); err != nil {
			return nil, 0, "", err
		}
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, 0, "", err
	}
	// The commit.
	if err := o.Root.PutBytes(ctx, layout.Key(d.Company, day, layout.ManifestName(m.ID)), b, work); err != nil {
		return nil, 0, "", err
	}
	return m, bytes, w.how(), nil
}

// input is a source's rows: a range of an earlier compaction's file, or a
// whole file.
type input struct {
	src   Source
	file  *source
	first int64 // where the range starts in file, for an earlier compaction's rows
	whole bool
}

// distinct are the inputs' files, in order.
func distinct(inputs []input) []*source {
	var out []*source
	seen := map[*source]bool{}
	for _, in := range inputs {
		if !seen[in.file] {
			seen[in.file] = true
			out = append(out, in.file)
		}
	}
	return out
}

// keptWhole reports whether every earlier compaction's file the inputs read
// is kept whole — its sources' ranges, in order, are all its rows — so that
// it can be spliced as a whole file.
func keptWhole(inputs []input) bool {
	next := map[*source]int64{}
	for _, in := range inputs {
		if in.whole {
			continue
		}
		if in.first != next[in.file] {
			return false
		}
		next[in.file] = in.first + in.src.Rows
	}
	for f, n := range next {
		if n != f.rows {
			return false
		}
	}
	return true
}

// partWriter writes a compaction's parts: spliced while it can, else by
// DuckDB in one locked instance over the inputs, opened when first needed.
type partWriter struct {
	o      Options
	d      *Day
	work   string
	files  []*source
	splice bool
	sess   *engine.Session
	used   []string // "splice", "duckdb", in the order first used
}

// count sets the row count of every whole input: from the files' footers
// when they are to be spliced, else from DuckDB.
func (w *partWriter) count(ctx context.Context, inputs []input) error {
	if w.splice {
		for _, f := range w.files {
			if err := f.footer(); err != nil {
				if !isNotSpliceable(err) {
					return err
				}
				w.splice = false
				break
			}
		}
	}
	var wholes []*input
	for i := range inputs {
		if inputs[i].whole {
			wholes = append(wholes, &inputs[i])
		}
	}
	if w.splice {
		for _, in := range wholes {
			n, err := in.file.pq.rows()
			if err != nil {
				if !isNotSpliceable(err) {
					return err
				}
				w.splice = false
				break
			}
			in.src.Rows = n
		}
	}
	if w.splice || len(wholes) == 0 {
		return nil
	}
	sess, err := w.session(ctx)
	if err != nil {
		return err
	}
	paths := make([]string, len(wholes))
	for i, in := range wholes {
		paths[i] = in.file.path
	}
	rows, err := rowCounts(ctx, sess, paths)
	if err != nil {
		return err
	}
	for i, in := range wholes {
		in.src.Rows = rows[i]
	}
	return nil
}

// write writes part k, which holds rows rows, into a local file.
func (w *partWriter) write(ctx context.Context, k int, part []input, rows int64) (string, int64, error) {
	out := filepath.Join(w.work, fmt.Sprintf("part-%d.parquet", k))
	if w.splice {
		size, err := w.spliceTo(out, part, rows)
		if err == nil {
			w.use("splice")
			return out, size, nil
		}
		if !isNotSpliceable(err) {
			return "", 0, err
		}
		w.splice = false // this part and the next by DuckDB
	}
	sess, err := w.session(ctx)
	if err != nil {
		return "", 0, err
	}
	size, err := export(ctx, sess, part, rows, out)
	if err != nil {
		return "", 0, err
	}
	w.use("duckdb")
	return out, size, nil
}

func (w *partWriter) spliceTo(out string, part []input, rows int64) (int64, error) {
	var files []*parquetFile
	for _, f := range distinct(part) {
		files = append(files, f.pq)
	}
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	n, err := splice(f, files)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != rows {
		err = fmt.Errorf("compact: spliced %d rows where the sources hold %d; nothing committed", n, rows)
	}
	if err != nil {
		os.Remove(out)
		return 0, err
	}
	info, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// session opens the locked instance over every input, in local files.
func (w *partWriter) session(ctx context.Context) (*engine.Session, error) {
	if w.sess != nil {
		return w.sess, nil
	}
	paths := make([]string, len(w.files))
	for i, f := range w.files {
		var err error
		if paths[i], err = f.local(w.work); err != nil {
			return nil, err
		}
	}
	sess, err := w.o.Engine.Open(ctx, engine.Job{ID: fmt.Sprintf("compact-%s-%s", w.d.Company, w.d.Date), Tenant: w.d.Company, Files: paths, Share: w.o.share})
	if err != nil {
		return nil, err
	}
	w.sess = sess
	return sess, nil
}

func (w *partWriter) use(how string) {
	if !slices.Contains(w.used, how) {
		w.used = append(w.used, how)
	}
}

// how says how the parts were written: "splice", "duckdb" or both.
func (w *partWriter) how() string { return strings.Join(w.used, "+") }

func (w *partWriter) close() {
	if w.sess != nil {
		w.sess.Close()
	}
	for _, f := range w.files {
		f.close()
	}
}

// export writes one part with DuckDB into out: one scan of its inputs in
// order — each earlier compaction's file read for the ranges kept, each
// whole file whole — which DuckDB keeps (preserve_insertion_order), as the
// manifest records. It checks that the part holds exactly rows rows.
func export(ctx context.Context, sess *engine.Session, part []input, rows int64, out string) (int64, error) {
	var files []string
	ranges := map[string][]string{}
	for _, in := range part {
		path := in.file.path
		if len(files) == 0 || files[len(files)-1] != path {
			files = append(files, path)
		}
		if !in.whole {
			ranges[path] = append(ranges[path], fmt.Sprintf("(file_row_number >= %d AND file_row_number < %d)", in.first, in.first+in.src.Rows))
		}
	}
	q := layout.EmptySelect() + " WHERE false"
	if len(files) > 0 {
		list, err := engine.QuoteList(files)
		if err != nil {
			return 0, err
		}
		q = "SELECT " + layout.ColumnList() + " FROM read_parquet(" + list + ", filename = true, file_row_number = true, hive_partitioning = false)"
		var filters []string
		for _, f := range files {
			if r := ranges[f]; len(r) > 0 {
				filters = append(filters, fmt.Sprintf("(filename <> %s OR %s)", engine.Quote(f), strings.Join(r, " OR ")))
			}
		}
		if len(filters) > 0 {
			q += " WHERE " + strings.Join(filters, " AND ")
		}
	}
	sess.Then(q, nil)
	written, n, err := sess.Export(ctx, "parquet")
	if err != nil {
		return 0, fmt.Errorf("compact: %w", err)
	}
	if n != rows {
		return 0, fmt.Errorf("compact: wrote %d rows where the sources hold %d; nothing committed", n, rows)
	}
	// Out of the session's folder before the next part or the session's end.
	if err := os.Rename(written, out); err != nil {
		return 0, err
	}
	info, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// rowCounts returns the rows of each Parquet file, from its metadata.
func rowCounts(ctx context.Context, sess *engine.Session, paths []string) ([]int64, error) {
	list, err := engine.QuoteList(paths)
	if err != nil {
		return nil, err
	}
	sess.Then("SELECT file_name, sum(num_rows)::BIGINT FROM parquet_file_metadata("+list+") GROUP BY file_name", nil)
	rows, err := sess.Query(ctx)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byPath := map[string]int64{}
	for rows.Next() {
		r := rows.Row()
		path, _ := r[0].(string)
		n, _ := r[1].(int64)
		byPath[path] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]int64, len(paths))
	for i, p := range paths {
		n, ok := byPath[p]
		if !ok {
			return nil, fmt.Errorf("compact: no row count for %s", p)
		}
		out[i] = n
	}
	return out, nil
}

// clean removes, for every effective compaction of d older than the grace
// period, the data files it names and the compactions it supersedes; and
// any other compaction's files (one that lost to a concurrent one, or half
// written by a run that was stopped) once their id is older than the grace
// period. A Parquet file goes before its manifest, so a half-removed
// compaction is never committed.
func (o Options) clean(ctx context.Context, d *Day) (int, error) {
	now := o.Now()
	data := map[string]storage.Object{}
	for _, obj := range d.Data {
		data[name(obj)+"\x00"+obj.Version] = obj
	}
	var remove []storage.Object
	keep := map[string]bool{}
	for _, m := range d.Effective() {
		keep[m.ID] = true
		for _, sup := range m.Supersedes {
			keep[sup] = true // removed below when m is old enough, not as an orphan
		}
		if age(m.ID, now) < o.grace() {
			continue
		}
		for _, s := range m.Sources {
			if obj, ok := data[s.key()]; ok && !o.KeepReplaced {
				remove = append(remove, obj)
			}
		}
		for _, sup := range m.Supersedes {
			remove = append(remove, compactionFiles(d, sup)...)
		}
	}
	ids := map[string]bool{}
	for id := range d.Parquet {
		ids[id] = true
	}
	for id := range d.Files {
		ids[id] = true
	}
	for id := range ids {
		if !keep[id] && age(id, now) >= o.grace() {
			remove = append(remove, compactionFiles(d, id)...)
		}
	}
	var mu sync.Mutex
	n := 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	// Parquet files and data files first, manifests after.
	for _, manifests := range []bool{false, true} {
		for _, obj := range remove {
			if strings.HasSuffix(obj.Key, ".json") != manifests {
				continue
			}
			g.Go(func() error {
				if err := o.Root.Remove(gctx, obj.Key); err != nil {
					return err
				}
				mu.Lock()
				n++
				mu.Unlock()
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return n, err
		}
		g, gctx = errgroup.WithContext(ctx)
		g.SetLimit(8)
	}
	return n, nil
}

// compactionFiles are the listed files of compaction id: Parquet file first.
func compactionFiles(d *Day, id string) []storage.Object {
	var out []storage.Object
	for _, obj := range d.Parquet[id] {
		out = append(out, obj)
	}
	if obj, ok := d.Files[id]; ok {
		out = append(out, obj)
	}
	return out
}

func newID(now time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return now.UTC().Format(layout.CompactionIDFormat) + "-" + hex.EncodeToString(b[:])
}

// Put puts the finished local file into a company-day under name, replacing
// the file of that name: as a plain file, or, when a compaction holds the
// rows of the file it replaces, inside a new compaction (Replace).
func (o Options) Put(ctx context.Context, company string, day time.Time, name, local string) error {
	objs, _, err := o.Root.List(ctx, layout.DayPrefix(company, day), "", nil)
	if err != nil {
		return err
	}
	if days := Group(objs); len(days) == 1 && len(days[0].Files) > 0 {
		if err := days[0].Load(ctx, o.Root, nil); err != nil {
			return err
		}
		ok, err := o.Replace(ctx, days[0], name, map[string]string{name: local})
		if ok || err != nil {
			return err
		}
	}
	return o.Root.Put(ctx, local, layout.Key(company, day, name))
}
