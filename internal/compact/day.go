// Package compact rewrites a company-day's many small Parquet files into one
// and decides, for every reader, which of a day's files hold its rows.
//
// A compaction writes into the day _compacted-<id>.parquet with the rows
// (and _compacted-<id>-<k>.parquet parts for a very large day), then
// _compacted-<id>.json, its manifest, which names its parts and every
// source (file name and version) whose rows they hold and where they are.
// Writing the manifest is the commit: a reader honours a compaction only
// when the manifest and all its parts are listed, reads the parts, and
// skips the files it names. The replaced files are removed only a grace period later, so a
// reader that listed the day before the commit still finds them.
// docs/decisions.md has the rule and its proof.
package compact

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"lambduck/internal/layout"
	"lambduck/internal/storage"
)

// Manifest is a compaction's record of what its Parquet files hold.
type Manifest struct {
	ID   string `json:"id"`
	Rows int64  `json:"rows"`
	// Parts are the Parquet files, in order (one, unless the day is larger
	// than the target size).
	Parts []Part `json:"parts"`
	// Sources are the files whose rows the Parquet files hold, each as rows
	// [First, First+Rows) of part Part, in that order. A source with no rows of its
	// own is a file it hides (a source re-ingested into the compaction); a
	// source with no version never was a file of the day (its rows were
	// written straight into a compaction).
	Sources []Source `json:"sources"`
	// Supersedes are the earlier compactions of the day whose rows this one
	// holds.
	Supersedes []string `json:"supersedes,omitempty"`
}

// Part is one of a compaction's Parquet files.
type Part struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
}

// Source is one file's rows in a compaction.
type Source struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Part    int    `json:"part,omitempty"`
	First   int64  `json:"first"`
	Rows    int64  `json:"rows"`
}

func (s Source) key() string { return s.Name + "\x00" + s.Version }

// maxManifest bounds what a reader will read as a manifest.
const maxManifest = 16 << 20

// Day is one company-day as a listing shows it.
type Day struct {
	Company string
	Date    string                            // YYYY-MM-DD
	Data    []storage.Object                  // data files (layout.ParseKey)
	Parquet map[string]map[int]storage.Object // compaction id → its Parquet files by part
	Files   map[string]storage.Object         // compaction id → its manifest
	// Manifests are the committed compactions' manifests, once loaded.
	Manifests map[string]*Manifest
}

// Group sorts a listing into days, in key order; keys outside the layout
// are left out.
func Group(objs []storage.Object) []*Day {
	byKey := map[string]*Day{}
	var out []*Day
	day := func(f layout.DataFile) *Day {
		k := f.Company + "/" + f.Day
		d := byKey[k]
		if d == nil {
			d = newDay(f.Company, f.Day)
			byKey[k] = d
			out = append(out, d)
		}
		return d
	}
	for _, o := range objs {
		if f, ok := layout.ParseKey(o.Key); ok {
			d := day(f)
			d.Data = append(d.Data, o)
		} else if c, ok := layout.ParseCompactionKey(o.Key); ok {
			d := day(c.DataFile)
			if c.Manifest {
				d.Files[c.ID] = o
			} else {
				if d.Parquet[c.ID] == nil {
					d.Parquet[c.ID] = map[int]storage.Object{}
				}
				d.Parquet[c.ID][c.Part] = o
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Company+"/"+out[i].Date < out[j].Company+"/"+out[j].Date
	})
	return out
}

func newDay(company, date string) *Day {
	return &Day{Company: company, Date: date, Parquet: map[string]map[int]storage.Object{}, Files: map[string]storage.Object{}}
}

// committed returns the ids whose manifest and first Parquet file are both
// listed, newest first (whether every part is listed too is known once the
// manifest is read: whole).
func (d *Day) committed() []string {
	var ids []string
	for id := range d.Files {
		if _, ok := d.Parquet[id][0]; ok {
			ids = append(ids, id)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	return ids
}

// Load reads the manifests of the day's committed compactions (none for a
// day that was never compacted). cache, when not nil, keeps manifests by key
// and version between calls (a manifest never changes once written).
func (d *Day) Load(ctx context.Context, root *storage.Root, cache *Cache) error {
	d.Manifests = map[string]*Manifest{}
	for _, id := range d.committed() {
		obj := d.Files[id]
		m := cache.get(obj)
		if m == nil {
			b, err := root.Read(ctx, obj, maxManifest)
			if storage.IsNotFound(err) {
				// Removed since the listing: only a superseded or losing
				// compaction's manifest is removed, and its parts first.
				continue
			}
			if err != nil {
				return fmt.Errorf("compaction manifest %s: %w", obj.Key, err)
			}
			m = new(Manifest)
			if err := json.Unmarshal(b, m); err != nil || m.ID != id {
				return fmt.Errorf("compaction manifest %s: not a manifest of compaction %s", obj.Key, id)
			}
			cache.put(obj, m)
		}
		d.Manifests[id] = m
	}
	return nil
}

// Effective returns the compactions a reader honours, newest first: of the
// committed ones, each that no newer honoured one supersedes and that names
// no source a newer honoured one names (two compactions that ran at once
// over the same files: the later commit wins, the other's rows are read
// from their files, which are not removed while it loses).
func (d *Day) Effective() []*Manifest {
	var out []*Manifest
	covered, superseded := map[string]bool{}, map[string]bool{}
	for _, id := range d.committed() {
		m := d.Manifests[id]
		if m == nil || superseded[id] || !d.whole(m) {
			continue
		}
		conflict := false
		for _, s := range m.Sources {
			if covered[s.key()] {
				conflict = true
				break
			}
		}
		if conflict {
			continue
		}
		out = append(out, m)
		for _, s := range m.Sources {
			covered[s.key()] = true
		}
		for _, sup := range m.Supersedes {
			superseded[sup] = true
		}
	}
	return out
}

// Live returns the objects a reader reads: the Parquet files of the
// effective compactions and every data file they do not name.
func (d *Day) Live() []storage.Object {
	eff := d.Effective()
	covered := map[string]bool{}
	var out []storage.Object
	for _, m := range eff {
		for _, s := range m.Sources {
			covered[s.key()] = true
		}
		for k := range m.Parts {
			out = append(out, d.Parquet[m.ID][k])
		}
	}
	for _, o := range d.Data {
		if !covered[name(o)+"\x00"+o.Version] {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Stems are the sources the day holds rows of, as a reader reads it: the
// name stems of its data files outside the effective compactions, and of
// the sources with rows inside them ("ingest-<hash>" for every part
// "ingest-<hash>-<k>.parquet"; "gen-<seed>").
func (d *Day) Stems() []string {
	var out []string
	covered := map[string]bool{}
	for _, m := range d.Effective() {
		for _, s := range m.Sources {
			covered[s.key()] = true
			if s.Rows > 0 {
				out = append(out, Stem(s.Name))
			}
		}
	}
	for _, o := range d.Data {
		if !covered[name(o)+"\x00"+o.Version] {
			out = append(out, Stem(name(o)))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Stem is a data file's source stem: its name without ".parquet" and, for
// ingest's parts, without the part number.
func Stem(file string) string {
	n := strings.TrimSuffix(file, ".parquet")
	if rest, ok := strings.CutPrefix(n, "ingest-"); ok {
		if i := strings.Index(rest, "-"); i >= 0 {
			n = n[:len("ingest-")+i]
		}
	}
	return n
}

// whole reports whether every Parquet file of m is listed: only then is
// the compaction committed.
func (d *Day) whole(m *Manifest) bool {
	if len(m.Parts) == 0 {
		return false
	}
	for k, p := range m.Parts {
		obj, ok := d.Parquet[m.ID][k]
		if !ok || !strings.HasSuffix(obj.Key, "/"+p.Name) {
			return false
		}
	}
	return true
}

// name is an object's file name within its day.
func name(o storage.Object) string {
	if f, ok := layout.ParseKey(o.Key); ok {
		return f.Name
	}
	return ""
}

// Cache keeps loaded manifests by key and version; a nil *Cache caches
// nothing.
type Cache struct {
	mu sync.Mutex
	m  map[string]*Manifest
}

// NewCache returns an empty manifest cache.
func NewCache() *Cache { return &Cache{m: map[string]*Manifest{}} }

func (c *Cache) get(o storage.Object) *Manifest {
	if c == nil || o.Version == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[o.Key+"\x00"+o.Version]
}

func (c *Cache) put(o storage.Object, m *Manifest) {
	if c == nil || o.Version == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[o.Key+"\x00"+o.Version] = m
}

// age is how long ago the compaction id was made (0 for an id without a time).
func age(id string, now time.Time) time.Duration {
	t, ok := layout.CompactionTime(id)
	if !ok {
		return 0
	}
	return now.Sub(t)
}
