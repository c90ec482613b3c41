// Package storage is the one place that knows a location is either a local
// folder or an S3 prefix. A Root is parsed once from what the user wrote
// (LAMBDUCK_DATA, LAMBDUCK_OUTPUT, --out, an ingest source); every reader and
// writer of data, ingest output and exports then uses its methods — list,
// fetch, put, remove, presign — with keys relative to it, and never asks
// which kind it is.
//
// Writes are whole or absent: a folder receives a file by rename (package
// atomicfile), S3 shows an object only once its upload completes.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"lambduck/internal/atomicfile"
	"lambduck/internal/bucket"
)

// Root is a folder or an S3 prefix.
type Root struct {
	spec string     // as given
	dir  string     // absolute folder; "" for S3
	uri  bucket.URI // for S3
	s3   *bucket.Provider
}

// Object is one file under a root.
type Object struct {
	Key  string // relative to the root, '/'-separated
	Size int64
	// Version changes when the object is replaced: the ETag in S3; size and
	// modification time in a folder.
	Version string
	path    string // a folder's file
}

// Parse reads a location: s3://bucket[/prefix], or a folder path (made
// absolute here, so a later change of working folder does not move it).
// s3 supplies the client for S3 roots; it may be nil when none is expected.
func Parse(location string, s3 *bucket.Provider) (*Root, error) {
	if location == "" {
		return nil, errors.New("storage: empty location")
	}
	if strings.HasPrefix(location, "s3://") {
		u, err := bucket.ParseURI(location)
		if err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
		if s3 == nil {
			return nil, fmt.Errorf("storage: %s: no S3 client configured", location)
		}
		return &Root{spec: location, uri: u, s3: s3}, nil
	}
	if strings.Contains(location, "://") {
		return nil, fmt.Errorf("storage: %q: only folders and s3:// locations are supported", location)
	}
	return Folder(location), nil
}

// Folder is the root of a local folder, made absolute (as given, cleaned,
// in the unlikely case the working folder cannot be found).
func Folder(dir string) *Root {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = filepath.Clean(dir)
	}
	return &Root{spec: dir, dir: abs}
}

// ParseFile splits the location of one file (a path, or s3://bucket/key)
// into the root that holds it and its key.
func ParseFile(location string, s3 *bucket.Provider) (*Root, string, error) {
	trimmed := strings.TrimSuffix(location, "/")
	if strings.HasPrefix(trimmed, "s3://") {
		b, key, ok := strings.Cut(strings.TrimPrefix(trimmed, "s3://"), "/")
		if !ok || key == "" {
			return nil, "", fmt.Errorf("storage: %q names no object", location)
		}
		r, err := Parse("s3://"+b+"/", s3)
		return r, key, err
	}
	abs, err := filepath.Abs(location)
	if err != nil {
		return nil, "", fmt.Errorf("storage: %q: %w", location, err)
	}
	r, err := Parse(filepath.Dir(abs), s3)
	return r, filepath.Base(abs), err
}

// String is the location as given.
func (r *Root) String() string { return r.spec }

// MustExist returns an error naming the absolute folder when a folder root
// does not exist or is not a folder: a mistyped or relative root would
// otherwise read as a root without data. An S3 root is not checked here
// (that would cost a request at every start; a missing bucket fails the
// first request with S3's own error).
func (r *Root) MustExist() error {
	if r.Remote() {
		return nil
	}
	fi, err := os.Stat(r.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the folder %s does not exist", r.dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a folder", r.dir)
	}
	return nil
}

// Remote reports whether reading an object means downloading it.
func (r *Root) Remote() bool { return r.dir == "" }

// Location is where key is, as a user would name it: a path or s3://bucket/key.
func (r *Root) Location(key string) string {
	if r.Remote() {
		return "s3://" + r.uri.Bucket + "/" + r.uri.Key(key)
	}
	return filepath.Join(r.dir, filepath.FromSlash(key))
}

// ErrBadKey is a key that could leave its root (empty, absolute, with a ".."
// segment, a backslash or a NUL); no operation takes one.
var ErrBadKey = errors.New("storage: refusing a key that could leave its root")

// CheckKey refuses a key that could leave its root, with ErrBadKey. Every
// method checks its keys; a caller that builds its own paths from keys
// (the warm cache) checks them here too.
func CheckKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\\\x00") ||
		slices.Contains(strings.Split(key, "/"), "..") {
		return fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	return nil
}

// List returns the objects whose keys start with prefix and come after
// startAfter, in key order, up to the first key for which stop returns true
// (stop must be monotone in key order; nil lists everything). It also
// returns the requests made (S3 LISTs; 0 for a folder). In a folder only
// regular files count: a symbolic link could point anywhere.
func (r *Root) List(ctx context.Context, prefix, startAfter string, stop func(key string) bool) ([]Object, int, error) {
	if r.Remote() {
		c, err := r.s3.Client(ctx)
		if err != nil {
			return nil, 0, err
		}
		after := ""
		if startAfter != "" {
			after = r.uri.Key(startAfter)
		}
		objs, n, err := c.List(ctx, r.uri.Bucket, r.uri.Key(prefix), after, func(key string) bool {
			return stop != nil && stop(strings.TrimPrefix(key, r.uri.Prefix))
		})
		out := make([]Object, 0, len(objs))
		for _, o := range objs {
			out = append(out, Object{Key: strings.TrimPrefix(o.Key, r.uri.Prefix), Size: o.Size, Version: o.ETag})
		}
		return out, n, err
	}
	return r.listFolder(ctx, prefix, startAfter, stop)
}

func (r *Root) listFolder(ctx context.Context, prefix, startAfter string, stop func(string) bool) ([]Object, int, error) {
	// Walk from the deepest folder that holds every key with the prefix.
	base := prefix
	if !strings.HasSuffix(base, "/") {
		base = path.Dir(base)
		if base == "." {
			base = ""
		}
	}
	start := filepath.Join(r.dir, filepath.FromSlash(base))
	var out []Object
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(r.dir, p)
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if p == start {
				return nil
			}
			dirKey := key + "/"
			// A folder wholly before startAfter, or wholly past stop, is skipped unread.
			if (startAfter != "" && dirKey < startAfter && !strings.HasPrefix(startAfter, dirKey)) ||
				(stop != nil && stop(dirKey)) || (!strings.HasPrefix(dirKey, prefix) && !strings.HasPrefix(prefix, dirKey)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(key, prefix) || key <= startAfter || (stop != nil && stop(key)) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed since the folder was read
			}
			return err
		}
		out = append(out, Object{Key: key, Size: info.Size(), path: p,
			Version: fmt.Sprintf("%d:%d", info.Size(), info.ModTime().UnixNano())})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, 0, err
}

// Folders returns the names of the folders directly under prefix (which
// ends in '/' or is ""): a delimiter listing in S3, no object read.
func (r *Root) Folders(ctx context.Context, prefix string) ([]string, error) {
	if r.Remote() {
		c, err := r.s3.Client(ctx)
		if err != nil {
			return nil, err
		}
		return c.Folders(ctx, r.uri.Bucket, r.uri.Key(prefix))
	}
	entries, err := os.ReadDir(filepath.Join(r.dir, filepath.FromSlash(prefix)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, err
}

// Fetch makes obj readable as a local file and returns its path: a folder's
// object is one already; an S3 object is downloaded to dst (exactly the
// listed version when obj.Version is set; the current one otherwise).
func (r *Root) Fetch(ctx context.Context, obj Object, dst string) (string, error) {
	if err := CheckKey(obj.Key); err != nil {
		return "", err
	}
	if !r.Remote() {
		if obj.path != "" {
			return obj.path, nil
		}
		return r.Location(obj.Key), nil
	}
	c, err := r.s3.Client(ctx)
	if err != nil {
		return "", err
	}
	o := bucket.Object{Bucket: r.uri.Bucket, Key: r.uri.Key(obj.Key), Size: obj.Size, ETag: obj.Version}
	if err := c.Download(ctx, o, dst); err != nil {
		return "", err
	}
	return dst, nil
}

// IsNotFound reports whether err says an object or file is not there.
func IsNotFound(err error) bool { return errors.Is(err, fs.ErrNotExist) || bucket.IsNotFound(err) }

// Read returns a small object's bytes (at most max).
func (r *Root) Read(ctx context.Context, obj Object, max int64) ([]byte, error) {
	if err := CheckKey(obj.Key); err != nil {
		return nil, err
	}
	if !r.Remote() {
		f, err := os.Open(r.Location(obj.Key))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, max+1))
		if err == nil && int64(len(b)) > max {
			err = fmt.Errorf("storage: %s: larger than %d bytes", obj.Key, max)
		}
		return b, err
	}
	c, err := r.s3.Client(ctx)
	if err != nil {
		return nil, err
	}
	return c.Get(ctx, bucket.Object{Bucket: r.uri.Bucket, Key: r.uri.Key(obj.Key), Size: obj.Size, ETag: obj.Version}, max)
}

// Put moves the finished local file src to key, replacing what was there: a
// rename into a folder, an upload to S3 (after which src is removed).
func (r *Root) Put(ctx context.Context, src, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if !r.Remote() {
		if err := atomicfile.Move(src, r.Location(key)); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		return nil
	}
	c, err := r.s3.Client(ctx)
	if err != nil {
		return err
	}
	if err := c.Upload(ctx, r.uri.Bucket, r.uri.Key(key), src); err != nil {
		return err
	}
	return os.Remove(src)
}

// PutBytes writes b as key, whole or not at all, through a file in scratch
// (a root puts files: a folder moves them into place, S3 uploads them).
func (r *Root) PutBytes(ctx context.Context, key string, b []byte, scratch string) error {
	f, err := os.CreateTemp(scratch, ".put-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // gone already unless Put failed
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return r.Put(ctx, f.Name(), key)
}

// Remove deletes key; a key that is not there is not an error.
func (r *Root) Remove(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if !r.Remote() {
		err := os.Remove(r.Location(key))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	c, err := r.s3.Client(ctx)
	if err != nil {
		return err
	}
	return c.Delete(ctx, r.uri.Bucket, r.uri.Key(key))
}

// Presign returns a URL that downloads key until it expires; "" for a
// folder, whose location is already a path the caller can open.
func (r *Root) Presign(ctx context.Context, key string, expiry time.Duration) (string, error) {
	if !r.Remote() {
		return "", nil
	}
	c, err := r.s3.Client(ctx)
	if err != nil {
		return "", err
	}
	return c.PresignGet(ctx, r.uri.Bucket, r.uri.Key(key), expiry)
}
