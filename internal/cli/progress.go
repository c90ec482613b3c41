package cli

import (
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows a bar on standard error when it is a terminal, and
// nothing otherwise (logs and CI output stay clean).
type progress struct {
	bar *progressbar.ProgressBar
}

func newProgress(total int64, what string) *progress { return newCountProgress(total, what, "rows") }

// newCountProgress is a bar over a count of unit (rows, days).
func newCountProgress(total int64, what, unit string) *progress {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)}
}

// newBytesProgress is a bar over bytes (ingest: source bytes done).
func newBytesProgress(total int64, what string) *progress {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return &progress{}
	}
	return &progress{bar: progressbar.DefaultBytes(total, what)}
}

func (p *progress) set(n int64) {
	if p.bar != nil {
		_ = p.bar.Set64(n)
	}
}

// setTotal changes what the bar counts up to.
func (p *progress) setTotal(n int64) {
	if p.bar != nil {
		p.bar.ChangeMax64(n)
	}
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
