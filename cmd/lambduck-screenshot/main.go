// Command lambduck-screenshot takes a PNG of a page (the README's picture of
// the demo's dashboard) with Debian's headless Chromium:
//
//	lambduck-screenshot [-chromium /usr/bin/chromium] [-width 1280 -height 800] page.html out.png
//
// `make screenshot` runs the demo and then this on its dashboard.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"lambduck/internal/browser"
)

func main() {
	chromium := flag.String("chromium", envOr(browser.Env, "/usr/bin/chromium"), "the Chromium binary (apt-get install chromium)")
	w := flag.Int64("width", 1280, "viewport width, CSS pixels")
	h := flag.Int64("height", 800, "viewport height (the PNG holds the whole page)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: lambduck-screenshot [flags] page.html out.png")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*chromium, flag.Arg(0), flag.Arg(1), *w, *h); err != nil {
		fmt.Fprintln(os.Stderr, "lambduck-screenshot:", err)
		os.Exit(1)
	}
}

func run(chromium, page, out string, w, h int64) error {
	abs, err := filepath.Abs(page)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return err
	}
	profile, err := os.MkdirTemp("", "lambduck-screenshot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bctx, _, stop, err := browser.Start(ctx, chromium, profile)
	if err != nil {
		return err
	}
	defer stop()
	png, err := browser.Screenshot(bctx, "file://"+abs, w, h)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d bytes\n", out, len(png))
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
