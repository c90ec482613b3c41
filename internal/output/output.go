// Package output puts exported and oversized results where LAMBDUCK_OUTPUT
// says, under <output>/<report>/<company_id>/<request id>.<ext>. A result is
// whole or absent: it is written beside its final name and renamed into
// place, so no reader ever sees part of one.
package output

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

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
func (l *Local) Put(ctx context.Context, src, key string) (string, error) {
	if strings.Contains(key, "..") {
		return "", fmt.Errorf("output: refusing key %q", key)
	}
	dst := filepath.Join(l.Root, key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("output: %w", err)
	}
	if err := os.Rename(src, dst); err == nil {
		return dst, nil
	}
	// Scratch and output on different file systems: copy beside the target, then rename.
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".partial-*")
	if err != nil {
		return "", fmt.Errorf("output: %w", err)
	}
	defer os.Remove(tmp.Name())
	in, err := os.Open(src)
	if err != nil {
		tmp.Close()
		return "", fmt.Errorf("output: %w", err)
	}
	defer in.Close()
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return "", fmt.Errorf("output: writing %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("output: writing %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("output: %w", err)
	}
	return dst, nil
}
