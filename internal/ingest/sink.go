package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"lambduck/internal/atomicfile"
	"lambduck/internal/bucket"
)

// Sink is where finished day files go: the data root, a folder or an S3
// prefix. Paths are relative to it: company_id=<id>/date=<day>/<name>.parquet.
type Sink interface {
	Put(ctx context.Context, local, rel string) error
	List(ctx context.Context, relPrefix string) ([]string, error)
	Remove(ctx context.Context, rel string) error
	String() string
}

// NewSink opens the data root named by root (a folder or s3://bucket/prefix).
func NewSink(root string, client *bucket.Client) (Sink, error) {
	if !bucket.IsURI(root) {
		return FolderSink{Root: root}, nil
	}
	u, err := bucket.ParseURI(root)
	if err != nil {
		return nil, err
	}
	return S3Sink{Client: client, Root: u}, nil
}

// FolderSink is a data root folder: files are moved in whole (atomicfile).
type FolderSink struct{ Root string }

func (f FolderSink) Put(_ context.Context, local, rel string) error {
	return atomicfile.Move(local, filepath.Join(f.Root, filepath.FromSlash(rel)))
}

func (f FolderSink) List(_ context.Context, relPrefix string) ([]string, error) {
	var out []string
	base := filepath.Join(f.Root, filepath.FromSlash(relPrefix))
	err := filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return filepath.SkipAll
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(f.Root, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	return out, err
}

func (f FolderSink) Remove(_ context.Context, rel string) error {
	err := os.Remove(filepath.Join(f.Root, filepath.FromSlash(rel)))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

func (f FolderSink) String() string { return f.Root }

// S3Sink is a data root in S3: an object appears only when its upload completes.
type S3Sink struct {
	Client *bucket.Client
	Root   bucket.URI
}

func (s S3Sink) Put(ctx context.Context, local, rel string) error {
	return s.Client.Upload(ctx, s.Root.Bucket, s.Root.Key(rel), local)
}

func (s S3Sink) List(ctx context.Context, relPrefix string) ([]string, error) {
	objs, _, err := s.Client.List(ctx, s.Root.Bucket, s.Root.Key(relPrefix), "", nil)
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, strings.TrimPrefix(o.Key, s.Root.Prefix))
	}
	return out, err
}

func (s S3Sink) Remove(ctx context.Context, rel string) error {
	return s.Client.Delete(ctx, s.Root.Bucket, s.Root.Key(rel))
}

func (s S3Sink) String() string { return s.Root.String() }

// ExpandS3 lists the objects under an s3:// URI (one object, or a prefix)
// and downloads each into scratch; their identity is their s3:// URI.
func ExpandS3(ctx context.Context, client *bucket.Client, uri, scratch string) ([]Source, error) {
	u, err := bucket.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	prefix := strings.TrimSuffix(u.Prefix, "/")
	objs, _, err := client.List(ctx, u.Bucket, prefix, "", nil)
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, o := range objs {
		if o.Key != prefix && !strings.HasPrefix(o.Key, prefix+"/") && prefix != "" {
			continue // a sibling that shares the name's start
		}
		src, err := FetchS3(ctx, client, o, scratch)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, nil
}

// FetchS3 downloads one object into scratch as a Source.
func FetchS3(ctx context.Context, client *bucket.Client, o bucket.Object, scratch string) (Source, error) {
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return Source{}, err
	}
	f, err := os.CreateTemp(scratch, "s3-*.log")
	if err != nil {
		return Source{}, err
	}
	f.Close()
	o.ETag = "" // the current version
	if err := client.Download(ctx, o, f.Name()); err != nil {
		os.Remove(f.Name())
		return Source{}, err
	}
	info, err := os.Stat(f.Name())
	if err != nil {
		return Source{}, err
	}
	gz, err := isGzip(f.Name())
	if err != nil {
		return Source{}, err
	}
	return Source{Path: f.Name(), Identity: o.URI(), Size: info.Size(), Gzip: gz, Temporary: true}, nil
}
