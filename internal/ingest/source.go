package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
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

// Expand turns command-line arguments (files, folders, "-") into sources.
// Standard input is copied to scratch first: DuckDB reads files, and the
// copy's content hash is its identity.
func Expand(args []string, stdin io.Reader, scratch string) ([]Source, error) {
	var out []Source
	for _, arg := range args {
		if arg == "-" {
			src, err := fromStdin(stdin, scratch)
			if err != nil {
				return nil, err
			}
			out = append(out, src)
			continue
		}
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			src, err := fromFile(arg)
			if err != nil {
				return nil, err
			}
			out = append(out, src)
			continue
		}
		var files []string
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			src, err := fromFile(f)
			if err != nil {
				return nil, err
			}
			out = append(out, src)
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

var companySegment = regexp.MustCompile(`(?:^|/)company_id=([^/]+)/`)

// CompanyFromPath finds a company_id=<id> segment in a source's path or key.
func CompanyFromPath(p string) string {
	m := companySegment.FindStringSubmatch(filepath.ToSlash(p))
	if m == nil {
		return ""
	}
	return m[1]
}

func isBinary(head []byte) bool {
	return bytes.IndexByte(head, 0) >= 0
}
