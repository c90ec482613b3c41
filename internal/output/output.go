// Package output puts exported and oversized results where LAMBDUCK_OUTPUT
// says, under <output>/<report>/<company_id>/<request id>.<ext>. A result is
// whole or absent (package atomicfile): no reader ever sees part of one.
package output

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"lambduck/internal/atomicfile"
	"lambduck/internal/bucket"
)

// Result is where an export landed.
type Result struct {
	Location string // folder path or s3://bucket/key
	URL      string // presigned GET URL, for S3
}

// Local is an output folder.
type Local struct {
	Root string
}

// Key is the relative location of a result.
func Key(report, company, requestID, ext string) string {
	if company == "" {
		company = "_"
	}
	return filepath.Join(report, company, requestID+"."+ext)
}

// Put moves the finished file src (in scratch) to key under the root and
// returns where it now is.
func (l *Local) Put(ctx context.Context, src, key string) (Result, error) {
	if strings.Contains(key, "..") {
		return Result{}, fmt.Errorf("output: refusing key %q", key)
	}
	dst := filepath.Join(l.Root, key)
	if err := atomicfile.Move(src, dst); err != nil {
		return Result{}, fmt.Errorf("output: %w", err)
	}
	return Result{Location: dst}, nil
}

// S3 is an output prefix in S3. Put uploads (S3 shows an object only when
// its upload completes) and returns a presigned GET URL.
type S3 struct {
	Client *bucket.Client
	Root   bucket.URI
	Expiry time.Duration
}

// Put uploads the finished file src to key under the prefix.
func (s *S3) Put(ctx context.Context, src, key string) (Result, error) {
	if strings.Contains(key, "..") {
		return Result{}, fmt.Errorf("output: refusing key %q", key)
	}
	k := s.Root.Key(key)
	if err := s.Client.Upload(ctx, s.Root.Bucket, k, src); err != nil {
		return Result{}, err
	}
	url, err := s.Client.PresignGet(ctx, s.Root.Bucket, k, s.Expiry)
	if err != nil {
		return Result{}, err
	}
	return Result{Location: "s3://" + s.Root.Bucket + "/" + k, URL: url}, nil
}
