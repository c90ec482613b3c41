// Package output puts exported and oversized results where LAMBDUCK_OUTPUT
// says, under <output>/<report>/<company_id>/<request id>.<ext>. A result is
// whole or absent (package atomicfile): no reader ever sees part of one.
package output

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"lambduck/internal/atomicfile"
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
	if err := atomicfile.Move(src, dst); err != nil {
		return "", fmt.Errorf("output: %w", err)
	}
	return dst, nil
}
