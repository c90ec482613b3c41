package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"lambduck/internal/compact"
	"lambduck/internal/layout"
	"lambduck/internal/storage"
)

// Record is what ingest keeps of a source it wrote, one small JSON object
// per source under the company's folder (company_id=<id>/_sources/, outside
// the partitions, so readers never see it): the source's name, which its
// files' names only hash, and a fingerprint of its bytes, so the same log
// ingested under two names can be noticed and undone.
type Record struct {
	ID          string    `json:"id"` // the stem of its files' names (Source.ID)
	Identity    string    `json:"source"`
	Format      string    `json:"format"`
	Size        int64     `json:"size"`
	Fingerprint string    `json:"fingerprint"`
	Rows        int64     `json:"rows"`
	Days        []string  `json:"days"`
	IngestedAt  time.Time `json:"ingested_at"`
}

// A source's record is kept twice under the company's _sources/ folder: as
// <id>.json (found by the source's id, to replace it) and as
// <fingerprint>/<id>.json (found by the bytes, to notice the same log under
// another name). Ingest reads neither by listing every record: a company
// gathers thousands of sources (ALB writes a file every 5 minutes per node).
func recordKey(company, id string) string {
	return layout.CompanyPrefix(company) + "_sources/" + id + ".json"
}

func fingerprintPrefix(company, fp string) string {
	return layout.CompanyPrefix(company) + "_sources/" + fp + "/"
}

// parseRecordKey reads a by-id record's key: company_id=<c>/_sources/<id>.json.
func parseRecordKey(key string) (id string, ok bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || parts[1] != "_sources" {
		return "", false
	}
	id, ok = strings.CutSuffix(parts[2], ".json")
	return id, ok && id != "" && !strings.Contains(id, ".")
}

// parseMarkerKey reads a by-fingerprint key: company_id=<c>/_sources/<fp>/<id>.json.
func parseMarkerKey(key string) (fp, id string, ok bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 4 || parts[1] != "_sources" {
		return "", "", false
	}
	id, ok = strings.CutSuffix(parts[3], ".json")
	return parts[2], id, ok && id != ""
}

// fingerprintSample is how much of each end of a source the fingerprint reads.
const fingerprintSample = 1 << 20

// Fingerprint identifies a source's bytes cheaply: a hash of its size and of
// its first and last MiB (a whole hash would read every byte a second time).
// Two logs with the same size, start and end are the same log in practice.
func Fingerprint(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", fi.Size())
	if _, err := io.CopyN(h, f, fingerprintSample); err != nil && !errors.Is(err, io.EOF) {
		return "", 0, err
	}
	if fi.Size() > 2*fingerprintSample {
		if _, err := f.Seek(-fingerprintSample, io.SeekEnd); err != nil {
			return "", 0, err
		}
		if _, err := io.Copy(h, f); err != nil {
			return "", 0, err
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:12]), fi.Size(), nil
}

// readRecords reads the records under prefix (by-id, or one fingerprint's).
func readRecords(ctx context.Context, root *storage.Root, prefix string) ([]Record, []storage.Object, error) {
	objs, _, err := root.List(ctx, prefix, "", nil)
	if err != nil {
		return nil, nil, err
	}
	var out []Record
	for _, o := range objs {
		b, err := root.Read(ctx, o, 1<<20)
		if err != nil {
			return nil, nil, err
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", root.Location(o.Key), err)
		}
		out = append(out, rec)
	}
	return out, objs, nil
}

// keepRecord writes the source's record (by id and by fingerprint) once its
// rows are in place, and returns the names of the company's other sources
// with the same fingerprint. The previous record of the source is replaced
// (the log may have grown: another fingerprint).
func keepRecord(ctx context.Context, root *storage.Root, rec Record, company, scratch string) (same []string, err error) {
	old, _, err := readRecords(ctx, root, recordKey(company, rec.ID))
	if err != nil {
		return nil, err
	}
	others, _, err := readRecords(ctx, root, fingerprintPrefix(company, rec.Fingerprint))
	if err != nil {
		return nil, err
	}
	for _, o := range others {
		if o.ID != rec.ID {
			same = append(same, o.Identity)
		}
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	for _, key := range []string{fingerprintPrefix(company, rec.Fingerprint) + rec.ID + ".json", recordKey(company, rec.ID)} {
		if err := root.PutBytes(ctx, key, b, scratch); err != nil {
			return nil, err
		}
	}
	for _, o := range old {
		if o.ID == rec.ID && o.Fingerprint != rec.Fingerprint && o.Fingerprint != "" {
			if err := root.Remove(ctx, fingerprintPrefix(company, o.Fingerprint)+rec.ID+".json"); err != nil {
				return nil, err
			}
		}
	}
	return same, nil
}

// SourceInfo is one source of a company as `lambduck sources` lists it: the
// record when ingest kept one, and the days the data itself holds rows of
// it on (plain files and compactions alike).
type SourceInfo struct {
	Record
	// Recorded is false for files no record names (gen's, or an ingest
	// from before records were kept): their name is the file stem.
	Recorded bool     `json:"recorded"`
	DataDays []string `json:"data_days"`
	// SameAs are other sources with the same fingerprint.
	SameAs []string `json:"same_as,omitempty"`
}

// Sources lists a company's sources, by id.
func Sources(ctx context.Context, root *storage.Root, company string) ([]SourceInfo, error) {
	existing, _, err := root.List(ctx, layout.CompanyPrefix(company), "", nil)
	if err != nil {
		return nil, err
	}
	byID := map[string]*SourceInfo{}
	get := func(id string) *SourceInfo {
		if byID[id] == nil {
			byID[id] = &SourceInfo{Record: Record{ID: id}}
		}
		return byID[id]
	}
	fps := map[string][]string{}
	for _, o := range existing {
		if fp, id, ok := parseMarkerKey(o.Key); ok {
			fps[fp] = append(fps[fp], id)
			continue
		}
		id, ok := parseRecordKey(o.Key)
		if !ok {
			continue
		}
		b, err := root.Read(ctx, o, 1<<20)
		if err != nil {
			return nil, err
		}
		s := get(id)
		if err := json.Unmarshal(b, &s.Record); err != nil {
			return nil, fmt.Errorf("%s: %w", root.Location(o.Key), err)
		}
		s.Recorded = true
	}
	for _, d := range compact.Group(existing) {
		if err := d.Load(ctx, root, nil); err != nil {
			return nil, err
		}
		for _, stem := range d.Stems() {
			s := get(stem)
			s.DataDays = append(s.DataDays, d.Date)
		}
	}
	out := make([]SourceInfo, 0, len(byID))
	for _, s := range byID {
		for _, other := range fps[s.Fingerprint] {
			if other != s.ID && s.Fingerprint != "" {
				s.SameAs = append(s.SameAs, other)
			}
		}
		slices.Sort(s.DataDays)
		s.DataDays = slices.Compact(s.DataDays)
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// RemoveSource deletes exactly one source's rows from every day of the
// company — plain files, and inside compactions by a new compaction without
// them (no reader sees half of it) — then its record. id is the source's
// file stem (Source.ID, as `lambduck sources` lists it).
func RemoveSource(ctx context.Context, co compact.Options, root *storage.Root, company, id string) (days []string, err error) {
	if id == "" || strings.ContainsAny(id, "/.") {
		return nil, fmt.Errorf("%q is not a source id (`lambduck sources` lists them)", id)
	}
	stage, err := os.MkdirTemp(co.Scratch, "remove-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	before, err := Sources(ctx, root, company)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(before, func(s SourceInfo) bool { return s.ID == id })
	if i < 0 {
		return nil, fmt.Errorf("company %s has no source %s (`lambduck sources --company %s` lists them)", company, id, company)
	}
	fs := FileSummary{Company: company}
	// An ingest of nothing: every day's rows of the source go, as when a
	// re-ingested source no longer covers a day.
	if err := removeFromDays(ctx, co, stage, id, &fs, root); err != nil {
		return nil, err
	}
	if fp := before[i].Fingerprint; fp != "" {
		if err := root.Remove(ctx, fingerprintPrefix(company, fp)+id+".json"); err != nil {
			return nil, err
		}
	}
	if before[i].Recorded {
		if err := root.Remove(ctx, recordKey(company, id)); err != nil {
			return nil, err
		}
	}
	return before[i].DataDays, nil
}

// removeFromDays is moveIntoPlace with nothing staged.
func removeFromDays(ctx context.Context, co compact.Options, stage, id string, fs *FileSummary, root *storage.Root) error {
	if err := os.MkdirAll(filepath.Join(stage, "empty"), 0o700); err != nil {
		return err
	}
	return moveIntoPlace(ctx, co, filepath.Join(stage, "empty"), Source{}, fs, Options{Root: root}, id)
}
