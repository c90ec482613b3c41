package ingest

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"

	"lambduck/internal/storage"
)

// FetchAll makes sources of the objects of root at key: the object itself,
// or every object below it when key names a folder or prefix (hidden files,
// whose names start with '.', are skipped). Remote objects are downloaded
// into scratch; a source's identity is its location (an absolute path or
// s3://bucket/key), so ingesting it again replaces what it wrote.
func FetchAll(ctx context.Context, root *storage.Root, key, scratch string) ([]Source, error) {
	key = strings.TrimSuffix(key, "/")
	objs, _, err := root.List(ctx, key, "", nil)
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, o := range objs {
		if key != "" && o.Key != key && !strings.HasPrefix(o.Key, key+"/") {
			continue // a sibling that shares the name's start
		}
		if strings.HasPrefix(path.Base(o.Key), ".") {
			continue
		}
		src, err := Fetch(ctx, root, o, scratch)
		if err != nil {
			RemoveTemporary(out)
			return nil, err
		}
		out = append(out, src)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no such file, or nothing in it to ingest", root.Location(key))
	}
	return out, nil
}

// Fetch makes one object of root a Source: downloaded into scratch (the
// current version) when the root is remote, read in place otherwise.
func Fetch(ctx context.Context, root *storage.Root, o storage.Object, scratch string) (Source, error) {
	if !root.Remote() {
		path, err := root.Fetch(ctx, o, "")
		if err != nil {
			return Source{}, err
		}
		return fromFile(path)
	}
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return Source{}, err
	}
	f, err := os.CreateTemp(scratch, "fetched-*.log")
	if err != nil {
		return Source{}, err
	}
	f.Close()
	o.Version = "" // the current version
	if _, err := root.Fetch(ctx, o, f.Name()); err != nil {
		os.Remove(f.Name())
		return Source{}, err
	}
	src, err := fromFile(f.Name())
	if err != nil {
		os.Remove(f.Name())
		return Source{}, err
	}
	src.Identity, src.Temporary = root.Location(o.Key), true
	return src, nil
}

// RemoveTemporary removes the local copies of sources made in scratch.
func RemoveTemporary(sources []Source) {
	for _, s := range sources {
		if s.Temporary {
			os.Remove(s.Path)
		}
	}
}
