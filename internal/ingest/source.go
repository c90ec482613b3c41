package ingest

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"lambduck/internal/bucket"
	"lambduck/internal/storage"
)

// Source is one raw log file.
type Source struct {
	Path     string // local file DuckDB reads
	Identity string // what names its output: absolute path, s3://bucket/key, or stdin's content hash
	Size     int64
	Gzip     bool
	// Temporary: Path is a copy in scratch (standard input, an S3 object)
	// that the caller removes when done.
	Temporary bool
}

// ID is the stable name stem of the source's output files.
func (s Source) ID() string {
	sum := sha256.Sum256([]byte(s.Identity))
	return "ingest-" + hex.EncodeToString(sum[:8])
}

// Expand turns command-line arguments into sources: files, folders (every
// file below, in name order, hidden ones skipped), s3://bucket/key or
// s3://bucket/prefix (s3 makes the client), and "-" for standard input.
// Standard input and S3 objects are copied to scratch first (DuckDB reads
// files); a copy of standard input is named by its content hash. On error,
// the copies made so far are removed.
func Expand(ctx context.Context, args []string, stdin io.Reader, scratch string, s3 *bucket.Provider) (_ []Source, err error) {
	var out []Source
	defer func() {
		if err != nil {
			RemoveTemporary(out)
		}
	}()
	for _, arg := range args {
		if arg == "-" {
			src, err := fromStdin(stdin, scratch)
			if err != nil {
				return nil, err
			}
			out = append(out, src)
			continue
		}
		root, key, err := storage.ParseFile(arg, s3)
		if err != nil {
			return nil, err
		}
		srcs, err := FetchAll(ctx, root, key, scratch)
		out = append(out, srcs...)
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no source to ingest")
	}
	return out, nil
}

func fromFile(path string) (Source, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Source{}, err
	}
	info, err := os.Stat(abs)
	if err != nil {
		return Source{}, err
	}
	gz, err := isGzip(abs)
	if err != nil {
		return Source{}, err
	}
	return Source{Path: abs, Identity: abs, Size: info.Size(), Gzip: gz}, nil
}

func fromStdin(r io.Reader, scratch string) (Source, error) {
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return Source{}, err
	}
	f, err := os.CreateTemp(scratch, "stdin-*.log")
	if err != nil {
		return Source{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err != nil {
		return Source{}, fmt.Errorf("reading standard input: %w", err)
	}
	gz, err := isGzip(f.Name())
	if err != nil {
		return Source{}, err
	}
	return Source{Path: f.Name(), Identity: "stdin:" + hex.EncodeToString(h.Sum(nil)), Size: n, Gzip: gz, Temporary: true}, nil
}

func isGzip(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var magic [2]byte
	n, _ := io.ReadFull(f, magic[:])
	return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b, nil
}

// open returns the source's decompressed text.
func (s Source) open() (io.ReadCloser, error) {
	f, err := os.Open(s.Path)
	if err != nil {
		return nil, err
	}
	if !s.Gzip {
		return f, nil
	}
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: not a valid gzip file: %w", s.Path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

// head returns up to n bytes of the decompressed text.
func (s Source) head(n int) ([]byte, error) {
	rc, err := s.open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	buf := make([]byte, n)
	m, err := io.ReadFull(rc, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	return buf[:m], nil
}

// isBinary reports whether the start of a file is mostly not text. NUL
// bytes alone do not make a log binary (a crash can leave runs of them, and
// those lines are counted as rejected); other control characters in more
// than a tenth of the rest do, and so does a start that is all NULs.
func isBinary(head []byte) bool {
	text, control := 0, 0
	for _, c := range head {
		switch {
		case c == 0:
			continue
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v', c == 0x7f:
			control++
		}
		text++
	}
	return (len(head) > 0 && text == 0) || control*10 > text
}
