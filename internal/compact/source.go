package compact

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"lambduck/internal/storage"
)

// memoryBudget is how many bytes of a day's S3 objects a compaction keeps
// in memory rather than in scratch files (creating a file per small object
// cost more CPU than the splice itself); objects over maxInMemory, and
// those past the budget, go to files.
const (
	memoryBudget = 64 << 20
	maxInMemory  = 8 << 20
)

// source is one input file: local (a folder's file, a staged file, an S3
// object downloaded) or an S3 object's bytes in memory.
type source struct {
	name string // its key, for errors
	path string
	data []byte
	rows int64 // an earlier compaction's part: its rows, from the manifest
	f    *os.File
	pq   *parquetFile
}

// loader reads a day's objects for a compaction.
type loader struct {
	root   *storage.Root
	work   string
	mu     sync.Mutex
	budget int64
	n      int
}

func (o Options) loader(work string) *loader {
	return &loader{root: o.Root, work: work, budget: memoryBudget}
}

func (l *loader) load(ctx context.Context, obj storage.Object) (*source, error) {
	s := &source{name: obj.Key}
	if !l.root.Remote() {
		var err error
		s.path, err = l.root.Fetch(ctx, obj, "")
		return s, err
	}
	l.mu.Lock()
	inMemory := obj.Size <= maxInMemory && obj.Size <= l.budget
	if inMemory {
		l.budget -= obj.Size
	}
	l.n++
	dst := filepath.Join(l.work, fmt.Sprintf("in-%d.parquet", l.n))
	l.mu.Unlock()
	var err error
	if inMemory {
		s.data, err = l.root.Read(ctx, obj, obj.Size)
	} else {
		s.path, err = l.root.Fetch(ctx, obj, dst)
	}
	return s, err
}

// footer reads the file's Parquet footer.
func (s *source) footer() error {
	var r io.ReaderAt
	var size int64
	if s.path == "" {
		r, size = bytes.NewReader(s.data), int64(len(s.data))
	} else {
		f, err := os.Open(s.path)
		if err != nil {
			return err
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		s.f, r, size = f, f, info.Size()
	}
	pq, err := readFooter(s.name, r, size)
	s.pq = pq
	return err
}

// local returns a path to the file, writing it into work when it is in
// memory.
func (s *source) local(work string) (string, error) {
	if s.path != "" {
		return s.path, nil
	}
	f, err := os.CreateTemp(work, "mem-*.parquet")
	if err != nil {
		return "", err
	}
	_, err = f.Write(s.data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	s.path = f.Name()
	return s.path, nil
}

func (s *source) close() {
	if s.f != nil {
		s.f.Close()
	}
}
