package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"lambduck/internal/engine"
)

// Commit is the build's commit when the build says it (-ldflags -X
// lambduck/internal/cli.Commit=…, as make build and make bootstrap do);
// otherwise Go's VCS stamp is used when there is one.
var Commit string

// version is what --version prints: the build's commit (and whether the
// tree was modified), the embedded DuckDB's version, Go's, and the platform.
func version() string {
	commit, modified := "unknown (built without VCS information)", ""
	if Commit != "" {
		commit = Commit
	}
	duckdbGo := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && len(s.Value) >= 12 && Commit == "":
				commit = s.Value[:12]
			case s.Key == "vcs.modified" && s.Value == "true":
				modified = " (modified)"
			}
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/duckdb/duckdb-go/v2" {
				duckdbGo = ", duckdb-go " + d.Version
			}
		}
	}
	db, err := engine.DuckDBVersion()
	if err != nil {
		db = "unknown (" + err.Error() + ")"
	}
	return fmt.Sprintf("lambduck %s%s\nDuckDB %s%s\n%s %s/%s\n", commit, modified, db, duckdbGo, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
