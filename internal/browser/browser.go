// Package browser drives Debian's headless Chromium over the DevTools
// protocol (chromedp) for the tests and the README's screenshot: a page is
// loaded from a file, every request it makes and every console message or
// dialog it raises is recorded.
package browser

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Env names the Chromium binary (the test command sets it to Debian's
// /usr/bin/chromium).
const Env = "LAMBDUCK_CHROMIUM"

// Events is what a page did while it loaded.
type Events struct {
	mu       sync.Mutex
	requests []string // every URL requested, the page's own first
	console  []string // console messages and uncaught exceptions
	dialogs  []string // alert, confirm, prompt
}

func (e *Events) add(list *[]string, s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	*list = append(*list, s)
}

// Snapshot returns copies of what was recorded so far.
func (e *Events) Snapshot() (requests, console, dialogs []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.requests...), append([]string(nil), e.console...), append([]string(nil), e.dialogs...)
}

// Start launches chromium headless in a fresh profile under dir, without
// the background connections a closed network refuses, and returns a tab's
// context and what the tab records. cancel stops the browser.
func Start(ctx context.Context, chromium, dir string) (context.Context, *Events, context.CancelFunc, error) {
	if _, err := os.Stat(chromium); err != nil {
		return nil, nil, nil, fmt.Errorf("browser: %w", err)
	}
	// Chromium's own temp files (org.chromium.Chromium.*, its singleton
	// socket, whose path must stay short) go in a folder of this browser's,
	// removed when it stops, not in the system's temp folder.
	tmp, err := os.MkdirTemp("", "chromium-")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("browser: %w", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.UserDataDir(dir), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true),
		chromedp.Env("TMPDIR="+tmp))
	actx, stopBrowser := chromedp.NewExecAllocator(ctx, opts...)
	acancel := func() { stopBrowser(); os.RemoveAll(tmp) }
	tctx, tcancel := chromedp.NewContext(actx)
	ev := &Events{}
	if err := chromedp.Do(tctx); err != nil { // starts the browser
		tcancel()
		acancel()
		return nil, nil, nil, fmt.Errorf("browser: starting %s: %w", chromium, err)
	}
	err = chromedp.Listen(tctx, func(v any) {
		switch e := v.(type) {
		case *network.EventRequestWillBeSent:
			ev.add(&ev.requests, e.Request.URL)
		case *runtime.EventConsoleAPICalled:
			msg := string(e.Type)
			for _, a := range e.Args {
				msg += " " + fmt.Sprint(a.Value)
			}
			ev.add(&ev.console, msg)
		case *runtime.EventExceptionThrown:
			ev.add(&ev.console, "exception: "+e.ExceptionDetails.Text)
		case *page.EventJavascriptDialogOpening:
			ev.add(&ev.dialogs, e.Message)
			go chromedp.Call(tctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	})
	if err == nil {
		_, err = chromedp.Call(tctx, network.Enable, network.EnableParams{})
	}
	if err == nil {
		_, err = chromedp.Call(tctx, runtime.Enable, cdp.Empty{})
	}
	if err != nil {
		tcancel()
		acancel()
		return nil, nil, nil, fmt.Errorf("browser: starting %s: %w", chromium, err)
	}
	return tctx, ev, func() { tcancel(); acancel() }, nil
}

// Screenshot loads url in a viewport of w×h CSS pixels and returns a PNG of
// the whole page.
func Screenshot(ctx context.Context, url string, w, h int64) ([]byte, error) {
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h), chromedp.Navigate(url)); err != nil {
		return nil, err
	}
	return chromedp.Run(ctx, chromedp.FullScreenshot(100))
}
