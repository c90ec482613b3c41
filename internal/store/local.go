package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Local is a data root on the local file system.
type Local struct {
	Root string // absolute
}

// NewLocal returns the store for the folder root.
func NewLocal(root string) (*Local, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("store: data root %q: %w", root, err)
	}
	return &Local{Root: abs}, nil
}

// Select lists the Parquet files of company for the days start…end. Only
// regular files count: a symbolic link could point into another tenant's
// folder, and names starting with '.' or '_' are writers' temporary files.
func (l *Local) Select(ctx context.Context, company string, start, end time.Time) (Selection, error) {
	if err := checkCompany(company); err != nil {
		return Selection{}, err
	}
	var sel Selection
	for _, day := range Days(start, end) {
		if err := ctx.Err(); err != nil {
			return Selection{}, err
		}
		dir := filepath.Join(l.Root, PartitionDir(company, day))
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Selection{}, fmt.Errorf("store: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if !e.Type().IsRegular() || !strings.HasSuffix(name, ".parquet") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return Selection{}, fmt.Errorf("store: %w", err)
			}
			sel.Files = append(sel.Files, File{Path: filepath.Join(dir, name), Size: info.Size()})
			sel.Bytes += info.Size()
		}
	}
	return sel, nil
}
