// Package bucket is the one place that talks to S3: s3:// URIs, the client
// (built from the SDK's own configuration: AWS_ENDPOINT_URL_S3, AWS_REGION,
// the credential chain), listing, downloads pinned to an ETag, uploads
// through the transfer manager, presigned GET URLs and deletes.
package bucket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// URI is s3://bucket/prefix. Prefix is empty or ends with '/'.
type URI struct {
	Bucket string
	Prefix string
}

// ParseURI reads s3://bucket[/prefix].
func ParseURI(s string) (URI, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return URI{}, fmt.Errorf("%q is not an s3:// URI", s)
	}
	b, p, _ := strings.Cut(rest, "/")
	if b == "" {
		return URI{}, fmt.Errorf("%q names no bucket", s)
	}
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return URI{Bucket: b, Prefix: p}, nil
}

// Key is the object key of rel under the prefix.
func (u URI) Key(rel string) string { return u.Prefix + strings.TrimPrefix(filepath.ToSlash(rel), "/") }

func (u URI) String() string { return "s3://" + u.Bucket + "/" + u.Prefix }

// Object is a listed object.
type Object struct {
	Bucket string
	Key    string
	Size   int64
	ETag   string
}

// URI of the object, s3://bucket/key.
func (o Object) URI() string { return "s3://" + o.Bucket + "/" + o.Key }

// Client wraps the SDK's S3 client and transfer manager.
type Client struct {
	s3      *s3.Client
	tm      *transfermanager.Client
	presign *s3.PresignClient
}

// New builds a client from the SDK's default configuration. pathStyle is for
// S3-compatible servers that need bucket names in the path.
func New(ctx context.Context, pathStyle bool) (*Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(httpClient()))
	if err != nil {
		return nil, fmt.Errorf("s3: AWS configuration: %w", err)
	}
	return NewFromConfig(cfg, pathStyle), nil
}

// maxIdlePerHost is how many idle connections to one endpoint the client
// keeps. The SDK keeps 10; staging and compaction run 32 GETs at a time
// (compaction a day per core), so with 10 most connections were closed after
// one request and dialled again: 10% of a compaction's CPU here, and a TLS
// handshake each on real S3 (docs/performance.md).
const maxIdlePerHost = 128

func httpClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = max(t.MaxIdleConns, maxIdlePerHost)
		t.MaxIdleConnsPerHost = maxIdlePerHost
	})
}

// NewFromConfig builds a client from an explicit configuration.
func NewFromConfig(cfg aws.Config, pathStyle bool) *Client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = httpClient()
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = pathStyle
		// Checksums only when the operation requires them: S3-compatible
		// servers differ in which trailing checksums they accept.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return &Client{
		s3: c,
		tm: transfermanager.New(c, func(o *transfermanager.Options) {
			o.Concurrency = 4
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		}),
		presign: s3.NewPresignClient(c),
	}
}

// List returns the objects under prefix whose keys come after startAfter,
// in key order, stopping at the first key for which stop returns true
// (nil: list everything). It also returns the number of requests made.
func (c *Client) List(ctx context.Context, bucket, prefix, startAfter string, stop func(key string) bool) ([]Object, int, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	p := s3.NewListObjectsV2Paginator(c.s3, in)
	var out []Object
	requests := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		requests++
		if err != nil {
			return nil, requests, describe(err, "listing s3://"+bucket+"/"+prefix)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if stop != nil && stop(key) {
				return out, requests, nil
			}
			out = append(out, Object{Bucket: bucket, Key: key, Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag)})
		}
	}
	return out, requests, nil
}

// Folders returns the names of the "folders" directly under prefix (keys
// up to the next '/'), with a delimiter listing: no object is listed.
func (c *Client) Folders(ctx context.Context, bucket, prefix string) ([]string, error) {
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")})
	var out []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, describe(err, "listing s3://"+bucket+"/"+prefix)
		}
		for _, cp := range page.CommonPrefixes {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/"))
		}
	}
	return out, nil
}

// singleGetMax: objects up to the transfer manager's part size are fetched
// with one GET; larger ones in parallel ranged parts.
const singleGetMax = 64 << 20

// copyBuffers hold 1 MiB each: io.Copy's 32 KiB would cost a write system
// call per 32 KiB of every staged object.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// Download writes the object, exactly the version with obj.ETag, to dst:
// into a hidden file beside it, renamed into place when complete.
func (c *Client) Download(ctx context.Context, obj Object, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(dst), ".download-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if obj.Size > 0 && obj.Size <= singleGetMax {
		// One streaming GET: for objects of a part or less, the transfer
		// manager's ranged machinery only adds round trips.
		in := &s3.GetObjectInput{Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key)}
		if obj.ETag != "" {
			in.IfMatch = aws.String(obj.ETag)
		}
		var out *s3.GetObjectOutput
		if out, err = c.s3.GetObject(ctx, in); err == nil {
			buf := copyBuffers.Get().(*[]byte)
			// Write-only wrapper: *os.File's ReadFrom would pick its own 32 KiB buffer.
			_, err = io.CopyBuffer(struct{ io.Writer }{f}, out.Body, *buf)
			copyBuffers.Put(buf)
			out.Body.Close()
		}
	} else {
		in := &transfermanager.DownloadObjectInput{Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key), WriterAt: f}
		if obj.ETag != "" {
			in.IfMatch = aws.String(obj.ETag)
		}
		_, err = c.tm.DownloadObject(ctx, in)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return describe(err, "downloading "+obj.URI())
	}
	return os.Rename(f.Name(), dst)
}

// Get returns a small object's bytes (at most max; exactly the listed
// version when obj.ETag is set).
func (c *Client) Get(ctx context.Context, obj Object, max int64) ([]byte, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(obj.Bucket), Key: aws.String(obj.Key)}
	if obj.ETag != "" {
		in.IfMatch = aws.String(obj.ETag)
	}
	out, err := c.s3.GetObject(ctx, in)
	if err != nil {
		return nil, describe(err, "reading "+obj.URI())
	}
	defer out.Body.Close()
	// The listed size, when known, is the buffer's: no growing and copying.
	buf := bytes.NewBuffer(make([]byte, 0, min(max, obj.Size)+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(out.Body, max+1)); err != nil {
		return nil, describe(err, "reading "+obj.URI())
	}
	b := buf.Bytes()
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", obj.URI(), max)
	}
	return b, nil
}

// Upload puts the local file src at key. S3 makes an object visible only
// when its upload completes, so a reader sees it whole or not at all.
func (c *Client) Upload(ctx context.Context, bucket, key, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = c.tm.UploadObject(ctx, &transfermanager.UploadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f})
	return describe(err, "uploading s3://"+bucket+"/"+key)
}

// UploadTree uploads every file below dir to prefix + its relative path.
func (c *Client) UploadTree(ctx context.Context, dir, bucket, prefix string) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		return c.Upload(ctx, bucket, prefix+filepath.ToSlash(rel), p)
	})
}

// Delete removes key.
func (c *Client) Delete(ctx context.Context, bucket, key string) error {
	_, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return describe(err, "deleting s3://"+bucket+"/"+key)
}

// PresignGet returns a URL that downloads key over plain HTTP until it expires.
func (c *Client) PresignGet(ctx context.Context, bucket, key string, expiry time.Duration) (string, error) {
	req, err := c.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)},
		s3.WithPresignExpires(expiry))
	if err != nil {
		return "", describe(err, "presigning s3://"+bucket+"/"+key)
	}
	return req.URL, nil
}

// CreateBucket makes a bucket (tests and set-up scripts).
func (c *Client) CreateBucket(ctx context.Context, bucket string) error {
	_, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	if errors.As(err, &owned) {
		return nil
	}
	return describe(err, "creating bucket "+bucket)
}

// describe turns SDK errors into messages that say what failed and why,
// without request signatures or credentials.
func describe(err error, what string) error {
	if err == nil {
		return nil
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return &Error{What: what, Code: api.ErrorCode(), Msg: api.ErrorMessage(), Err: err}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("s3: %s: %s: %w", what, ue.Op, ue.Err)
	}
	return fmt.Errorf("s3: %s: %w", what, err)
}

// Error is a failed S3 operation: what was attempted and S3's answer.
type Error struct {
	What, Code, Msg string
	Err             error
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("s3: %s: %s", e.What, e.Code)
	}
	return fmt.Sprintf("s3: %s: %s (%s)", e.What, e.Code, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// IsNotFound reports whether err says an object or bucket does not exist
// (or changed since it was listed).
func IsNotFound(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket", "PreconditionFailed":
			return true
		}
	}
	return false
}
