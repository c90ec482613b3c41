package compact_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"lambduck/internal/bucket"
	"lambduck/internal/compact"
	"lambduck/internal/engine"
	"lambduck/internal/gen"
	"lambduck/internal/layout"
	"lambduck/internal/s3test"
	"lambduck/internal/storage"
	"lambduck/internal/store"
	"lambduck/internal/testkit"
)

var (
	april1 = time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	april3 = time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC)
)

func newEngine(t testing.TB) *engine.Engine { return testkit.Engine(t) }

// fill writes files per day for company 1690 over April 1–3: gen's rows,
// one file per seed (gen-<seed>.parquet), as small files arriving all day.
func fill(t testing.TB, eng *engine.Engine, root *storage.Root, seeds ...int64) {
	t.Helper()
	for _, seed := range seeds {
		if _, err := gen.Parquet(context.Background(), eng, gen.Options{Root: root, Companies: []string{"1690"},
			Start: april1, End: april3, RowsPerDay: 300, Seed: seed, TimeZone: time.UTC}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// figures is what a report reads, computed apart from lambduck's SQL: the
// rows, their bytes, and a fingerprint of every row that changes when a row
// is missing or read twice.
type figures struct{ Rows, Bytes, Print int64 }

// read selects April 1–3 through the store, as a report does, and sums the
// selected files with a plain DuckDB.
func read(ctx context.Context, s *store.Store) (figures, int, error) {
	var f figures
	sel, err := s.Select(ctx, "1690", april1, april3)
	if err != nil {
		return f, 0, err
	}
	if len(sel.Files) == 0 {
		return f, 0, nil
	}
	list, _ := engine.QuoteList(sel.Paths())
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return f, 0, err
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(bytes), 0), coalesce(sum(hash(ts, client_ip, path, bytes, user_agent) % 1000000007), 0)::BIGINT
		FROM read_parquet(`+list+`, hive_partitioning = false)`).Scan(&f.Rows, &f.Bytes, &f.Print)
	return f, len(sel.Files), err
}

func newStore(t testing.TB, root *storage.Root) *store.Store {
	t.Helper()
	s, err := store.New(root, store.Options{CacheDir: t.TempDir(), Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustRead(t testing.TB, s *store.Store) (figures, int) {
	t.Helper()
	f, n, err := read(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return f, n
}

// names lists a day's files in a folder root.
func names(t testing.TB, dir string, day string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "company_id=1690", "date="+day))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestCompactionReadsTheSameAndRecordsWhereEachSourceIs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := storage.Folder(dir)
	eng := newEngine(t)
	fill(t, eng, root, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	s := newStore(t, root)
	before, files := mustRead(t, s)
	if files != 30 || before.Rows != 9000 {
		t.Fatalf("before: %d files, %+v", files, before)
	}
	o := compact.Options{Root: root, Engine: eng, Scratch: t.TempDir()}
	sum, err := compact.Run(ctx, o, "1690", april1, april3, nil)
	if err != nil || sum.Compacted != 3 || sum.Removed != 0 {
		t.Fatalf("%v %+v", err, sum)
	}
	for _, d := range sum.Days {
		if d.Rewrite != "splice" {
			t.Errorf("%s: rewritten by %q, want the splice (gen's files are DuckDB's, one schema)", d.Date, d.Rewrite)
		}
	}
	after, files := mustRead(t, s)
	if files != 3 || after != before {
		t.Fatalf("after: %d files, %+v; want 3 files, %+v", files, after, before)
	}
	// The replaced files stay for the grace period (readers that listed
	// before the commit still find them), hidden by the manifest.
	if got := len(names(t, dir, "2025-04-01")); got != 12 {
		t.Fatalf("day holds %d files, want 10 replaced + the compaction's 2", got)
	}
	// The manifest says where each source's rows are: rows [first, first+rows)
	// of the compacted file are exactly that file's rows, in its order.
	days, _, err := compact.List(ctx, root, "1690", april1, april1)
	if err != nil || len(days) != 1 {
		t.Fatal(err, days)
	}
	d := days[0]
	if err := d.Load(ctx, root, nil); err != nil {
		t.Fatal(err)
	}
	eff := d.Effective()
	if len(eff) != 1 || len(eff[0].Sources) != 10 || eff[0].Rows != 3000 {
		t.Fatalf("manifest %+v", eff)
	}
	db, _ := sql.Open("duckdb", "")
	defer db.Close()
	cfile := filepath.Join(dir, "company_id=1690", "date=2025-04-01", layout.CompactedName(eff[0].ID, 0))
	for _, src := range eff[0].Sources {
		var same, n int64
		err := db.QueryRow(`WITH c AS (SELECT ts, client_ip, path, bytes, row_number() OVER (ORDER BY file_row_number) AS k
				FROM read_parquet(?, file_row_number = true) WHERE file_row_number >= ? AND file_row_number < ?),
			f AS (SELECT ts, client_ip, path, bytes, row_number() OVER (ORDER BY file_row_number) AS k FROM read_parquet(?, file_row_number = true))
			SELECT count(*) FILTER (WHERE c.ts = f.ts AND c.client_ip = f.client_ip AND c.path = f.path AND c.bytes = f.bytes), count(*)
			FROM c FULL JOIN f USING (k)`,
			cfile, src.First, src.First+src.Rows, filepath.Join(dir, "company_id=1690", "date=2025-04-01", src.Name)).Scan(&same, &n)
		if err != nil || same != src.Rows || n != src.Rows {
			t.Fatalf("%s: rows [%d, %d): %d of %d rows match: %v", src.Name, src.First, src.First+src.Rows, same, n, err)
		}
	}
	// After the grace period the next run removes them.
	o.Now = func() time.Time { return time.Now().Add(compact.DefaultGrace + time.Minute) }
	if sum, err = compact.Run(ctx, o, "1690", april1, april3, nil); err != nil || sum.Removed != 30 || sum.Compacted != 0 {
		t.Fatalf("%v %+v", err, sum)
	}
	if got := names(t, dir, "2025-04-01"); len(got) != 2 || !strings.HasSuffix(got[0], ".json") {
		t.Fatalf("day holds %v", got)
	}
	if again, files := mustRead(t, s); files != 3 || again != before {
		t.Fatalf("after removal: %d files, %+v", files, again)
	}
}

// A day whose files cannot be spliced together (here one file in another
// codec) is rewritten by DuckDB, with the same outcome.
func TestCompactionFallsBackToDuckDB(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := storage.Folder(dir)
	eng := newEngine(t)
	fill(t, eng, root, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	snappy := filepath.Join(dir, "company_id=1690", "date=2025-04-02", "gen-3.parquet")
	db, _ := sql.Open("duckdb", "")
	defer db.Close()
	if _, err := db.Exec(`COPY (FROM read_parquet(` + engine.Quote(snappy) + `)) TO ` + engine.Quote(snappy+".tmp") + ` (FORMAT parquet, COMPRESSION snappy)`); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(snappy+".tmp", snappy); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, root)
	before, _ := mustRead(t, s)
	o := compact.Options{Root: root, Engine: eng, Scratch: t.TempDir()}
	sum, err := compact.Run(ctx, o, "1690", april1, april3, nil)
	if err != nil || sum.Compacted != 3 {
		t.Fatalf("%v %+v", err, sum)
	}
	for _, d := range sum.Days {
		want := "splice"
		if d.Date == "2025-04-02" {
			want = "duckdb"
		}
		if d.Rewrite != want {
			t.Errorf("%s: rewritten by %q, want %q", d.Date, d.Rewrite, want)
		}
	}
	if after, files := mustRead(t, s); files != 3 || after != before {
		t.Fatalf("after: %d files, %+v; want %+v", files, after, before)
	}
}

// A day under the threshold is left alone; late data for a compacted day is
// read, and compacted with it once the day is over the threshold again.
func TestLateDataAndTheThreshold(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := storage.Folder(dir)
	eng := newEngine(t)
	fill(t, eng, root, 1, 2, 3)
	// Parts of at most 700 rows: a day of 300-row files is cut into
	// several files, each of whole sources.
	o := compact.Options{Root: root, Engine: eng, Scratch: t.TempDir(), Threshold: 3, Grace: -1, TargetRows: 700}
	if sum, err := compact.Run(ctx, o, "1690", april1, april3, nil); err != nil || sum.Compacted != 0 {
		t.Fatalf("three files, threshold 3: %v %+v", err, sum)
	}
	fill(t, eng, root, 4)
	s := newStore(t, root)
	want, _ := mustRead(t, s)
	if sum, err := compact.Run(ctx, o, "1690", april1, april3, nil); err != nil || sum.Compacted != 3 || sum.Removed != 12 {
		t.Fatalf("%v %+v", err, sum)
	}
	fill(t, eng, root, 5) // late: one more file a day
	got, files := mustRead(t, s)
	if files != 3*2+3 || got.Rows != want.Rows+900 {
		t.Fatalf("late data: %d files, %+v (before it %+v)", files, got, want)
	}
	want = got
	fill(t, eng, root, 6, 7, 8)
	if sum, err := compact.Run(ctx, o, "1690", april1, april3, nil); err != nil || sum.Compacted != 3 {
		t.Fatalf("%v %+v", err, sum)
	}
	got, files = mustRead(t, s)
	if files != 3*4 || got.Rows != want.Rows+2700 {
		t.Fatalf("compacted again: %d files, %+v", files, got)
	}
	if n := len(names(t, dir, "2025-04-02")); n != 5 {
		t.Fatalf("%d files left in the day, want the compaction's 4 parts and manifest", n)
	}
	// gen again with a seed the compaction holds: its rows are replaced, not
	// doubled (in a compaction of gen's, with the default target: one file).
	fill(t, eng, root, 6)
	if again, files := mustRead(t, s); files != 3 || again != got {
		t.Fatalf("regenerated seed 6: %d files, %+v; want %+v", files, again, got)
	}
	// A file copied by hand over a name the compaction holds: the next
	// compaction takes the copy's rows in place of the old ones.
	other := t.TempDir()
	fill(t, eng, storage.Folder(other), 99)
	for _, d := range []string{"2025-04-01", "2025-04-02", "2025-04-03"} {
		b, err := os.ReadFile(filepath.Join(other, "company_id=1690", "date="+d, "gen-99.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "company_id=1690", "date="+d, "gen-7.parquet"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	expect := t.TempDir()
	fill(t, eng, storage.Folder(expect), 1, 2, 3, 4, 5, 6, 8, 99)
	want, _ = mustRead(t, newStore(t, storage.Folder(expect)))
	o.Threshold = 1
	if _, err := compact.Run(ctx, o, "1690", april1, april3, nil); err != nil {
		t.Fatal(err)
	}
	if again, files := mustRead(t, s); files != 3*4 || again != want {
		t.Fatalf("after a copy over gen-7.parquet: %d files, %+v; want %+v", files, again, want)
	}
}

// Readers running while compactions run see every row exactly once: a
// store selecting and a plain DuckDB summing, in a loop, against
// compactions of the same days, each superseding the last, with the real
// clock and a grace period longer than a read.
func TestReadersDuringCompactionFolder(t *testing.T) {
	dir := t.TempDir()
	readersDuringCompaction(t, storage.Folder(dir), 0)
}

func TestReadersDuringCompactionS3(t *testing.T) {
	srv := s3test.Start(t, "lake")
	root, err := storage.Parse("s3://lake/data", bucket.Ready(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	readersDuringCompaction(t, root, 1000)
}

func readersDuringCompaction(t *testing.T, root *storage.Root, targetRows int64) {
	ctx := context.Background()
	eng := newEngine(t)
	fill(t, eng, root, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	want, _ := mustRead(t, newStore(t, root))
	o := compact.Options{Root: root, Engine: eng, Scratch: t.TempDir(), Grace: 2 * time.Second, TargetRows: targetRows}
	stop := make(chan struct{})
	var reads, wrong atomic.Int64
	var mu sync.Mutex
	var errs []string
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := store.New(root, store.Options{CacheDir: t.TempDir(), Concurrency: 4})
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, _, err := read(ctx, s)
				reads.Add(1)
				if err != nil || got != want {
					wrong.Add(1)
					mu.Lock()
					errs = append(errs, fmt.Sprintf("%+v %v", got, err))
					mu.Unlock()
				}
			}
		}()
	}
	deadline := time.Now().Add(6 * time.Second)
	runs := 0
	for time.Now().Before(deadline) {
		days, _, err := compact.List(ctx, root, "1690", april1, april3)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range days {
			if _, err := o.CompactDay(ctx, d, true); err != nil {
				t.Fatal(err)
			}
		}
		runs++
	}
	close(stop)
	wg.Wait()
	if wrong.Load() > 0 || reads.Load() < 10 || runs < 3 {
		t.Fatalf("%d of %d reads wrong over %d compactions of each day: %v", wrong.Load(), reads.Load(), runs, errs[:min(len(errs), 3)])
	}
	t.Logf("%d reads, all exact, over %d compactions of each day", reads.Load(), runs)
}

// Two compactions of the same day at once: readers still see each row once
// (the later commit wins), and a later run leaves one file.
func TestConcurrentCompactionsOfOneDay(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := storage.Folder(dir)
	eng := newEngine(t)
	fill(t, eng, root, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	s := newStore(t, root)
	want, _ := mustRead(t, s)
	o := compact.Options{Root: root, Engine: eng, Scratch: t.TempDir()}
	days, _, err := compact.List(ctx, root, "1690", april1, april1)
	if err != nil {
		t.Fatal(err)
	}
	// Both work from the same listing: neither sees the other's commit.
	d1, d2 := *days[0], *days[0]
	if _, err := o.CompactDay(ctx, &d1, true); err != nil {
		t.Fatal(err)
	}
	if _, err := o.CompactDay(ctx, &d2, true); err != nil {
		t.Fatal(err)
	}
	if got, files := mustRead(t, s); got != want || files != 1+9+9 {
		t.Fatalf("after two concurrent compactions of April 1: %d files, %+v; want %+v", files, got, want)
	}
	o.Grace = -1
	o.Now = func() time.Time { return time.Now().Add(compact.DefaultGrace + time.Minute) }
	if _, err := compact.Run(ctx, o, "1690", april1, april3, nil); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir, "2025-04-01"); len(got) != 2 {
		t.Fatalf("day holds %v after the clean-up", got)
	}
	if got, files := mustRead(t, s); got != want || files != 3 {
		t.Fatalf("after clean-up: %d files, %+v", files, got)
	}
}

// The S3 server stopped in the middle of a compaction: what is there reads
// right, and the next run, with the server back, finishes the job.
func TestS3ServerStoppedMidCompaction(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t, "lake")
	root, err := storage.Parse("s3://lake/data", bucket.Ready(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	eng := newEngine(t)
	fill(t, eng, root, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	want, _ := mustRead(t, newStore(t, root))
	o := compact.Options{Root: root, Engine: eng, Scratch: t.TempDir(), Grace: -1}
	for _, after := range []time.Duration{5, 20, 40, 80, 160} {
		done := make(chan error, 1)
		go func() {
			_, err := compact.Run(ctx, o, "1690", april1, april3, nil)
			done <- err
		}()
		time.Sleep(after * time.Millisecond)
		srv.Stop()
		err := <-done
		if err := srv.Restart(); err != nil {
			t.Fatal(err)
		}
		got, _ := mustRead(t, newStore(t, root))
		if got != want {
			t.Fatalf("server stopped after %v (run: %v): %+v, want %+v", after*time.Millisecond, err, got, want)
		}
		fill(t, eng, root, 10+int64(after)) // more small files for the next round
		want, _ = mustRead(t, newStore(t, root))
	}
	o.Threshold = 1
	if _, err := compact.Run(ctx, o, "1690", april1, april3, nil); err != nil {
		t.Fatal(err)
	}
	got, files := mustRead(t, newStore(t, root))
	if got != want || files != 3 {
		t.Fatalf("after the last run: %d files, %+v; want 3, %+v", files, got, want)
	}
}

// The child of TestKilledCompaction: one compaction run over the folder it
// is given, with no grace (the parent is the only reader, between runs).
func TestKilledCompactionChild(t *testing.T) {
	dir := os.Getenv("LAMBDUCK_COMPACT_CHILD")
	if dir == "" {
		t.Skip("run by TestKilledCompaction")
	}
	// The parent's folder holds the scratch too: a killed child runs no
	// clean-up, so nothing of it may live in a folder of its own.
	scratch := filepath.Join(filepath.Dir(dir), "child-scratch")
	eng, err := engine.New(engine.Settings{Scratch: scratch})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	root := storage.Folder(dir)
	o := compact.Options{Root: root, Engine: eng, Scratch: scratch, Threshold: 1, Grace: -1}
	if _, err := compact.Run(context.Background(), o, "1690", april1, april3, nil); err != nil {
		t.Fatal(err)
	}
}

// Compaction killed (SIGKILL) at any point leaves data that reads exactly
// right, and the next run finishes the job.
func TestKilledCompaction(t *testing.T) {
	dir := t.TempDir()
	root := storage.Folder(dir)
	eng := newEngine(t)
	fill(t, eng, root, 1, 2, 3, 4, 5, 6)
	s := newStore(t, root)
	want, _ := mustRead(t, s)
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledCompactionChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "LAMBDUCK_COMPACT_CHILD="+dir)
		return cmd
	}
	killed := 0
	for i, after := range []time.Duration{30, 60, 90, 120, 150, 180, 220, 260, 300, 350, 400, 500} {
		cmd := child()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(after * time.Millisecond)
		if cmd.Process.Signal(syscall.SIGKILL) == nil {
			killed++
		}
		cmd.Wait()
		got, _ := mustRead(t, s)
		if got != want {
			t.Fatalf("killed after %v: %+v, want %+v", after*time.Millisecond, got, want)
		}
		fill(t, eng, root, int64(100+i)) // a new small file a day for the next run
		want, _ = mustRead(t, s)
	}
	if out, err := child().CombinedOutput(); err != nil {
		t.Fatalf("the run after the kills: %v\n%s", err, out)
	}
	got, files := mustRead(t, s)
	if got != want || files != 3 {
		t.Fatalf("after the last run: %d files, %+v; want 3, %+v", files, got, want)
	}
	for _, day := range []string{"2025-04-01", "2025-04-02", "2025-04-03"} {
		if n := names(t, dir, day); len(n) != 2 {
			t.Fatalf("%s holds %v: want only the compaction's two files", day, n)
		}
	}
	t.Logf("%d runs killed, data exact after each", killed)
}

// A reader that listed a day just before the clean-up removed a superseded
// compaction finds its manifest gone when it reads it: that compaction is
// not committed any more, and the reader reads the one that superseded it.
func TestManifestRemovedAfterTheListing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := storage.Folder(dir)
	eng := newEngine(t)
	fill(t, eng, root, 1, 2, 3)
	s := newStore(t, root)
	want, _ := mustRead(t, s)
	o := compact.Options{Root: root, Engine: eng, Scratch: t.TempDir()}
	for range 2 { // the second supersedes the first
		days, _, err := compact.List(ctx, root, "1690", april1, april1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.CompactDay(ctx, days[0], true); err != nil {
			t.Fatal(err)
		}
	}
	days, _, err := compact.List(ctx, root, "1690", april1, april1)
	if err != nil {
		t.Fatal(err)
	}
	d := days[0]
	if len(d.Files) != 2 {
		t.Fatalf("%d manifests listed, want 2", len(d.Files))
	}
	var oldest string
	for id := range d.Files {
		if oldest == "" || id < oldest {
			oldest = id
		}
	}
	if err := os.Remove(filepath.Join(dir, "company_id=1690", "date=2025-04-01", layout.ManifestName(oldest))); err != nil {
		t.Fatal(err)
	}
	if err := d.Load(ctx, root, nil); err != nil {
		t.Fatalf("a manifest removed since the listing: %v", err)
	}
	if live := d.Live(); len(live) != 1 || !strings.Contains(live[0].Key, "_compacted-") || strings.Contains(live[0].Key, oldest) {
		t.Fatalf("live %v", live)
	}
	if got, _ := mustRead(t, s); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
}

// With KeepReplaced, what a Hive-style reader (Athena) reads — every
// Parquet file whose name does not start with _ or . — is exactly what
// lambduck's readers read, before and after compactions and late data.
func TestKeepReplacedKeepsAthenaExact(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := storage.Folder(dir)
	eng := newEngine(t)
	fill(t, eng, root, 1, 2, 3, 4)
	hive := func() figures {
		t.Helper()
		var f figures
		files, _ := filepath.Glob(filepath.Join(dir, "company_id=1690", "date=*", "*.parquet"))
		var visible []string
		for _, p := range files {
			if layout.IsDataFileName(filepath.Base(p)) {
				visible = append(visible, p)
			}
		}
		if len(visible) == 0 {
			return f
		}
		list, _ := engine.QuoteList(visible)
		db, err := sql.Open("duckdb", "")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(bytes), 0), coalesce(sum(hash(ts, client_ip, path, bytes, user_agent) % 1000000007), 0)::BIGINT
			FROM read_parquet(`+list+`)`).Scan(&f.Rows, &f.Bytes, &f.Print); err != nil {
			t.Fatal(err)
		}
		return f
	}
	s := newStore(t, root)
	o := compact.Options{Root: root, Engine: eng, Scratch: t.TempDir(), Threshold: 1, Grace: -1, KeepReplaced: true}
	for step, change := range []func(){
		func() {},
		func() { fill(t, eng, root, 5) }, // late data for the compacted days
		func() { fill(t, eng, root, 2) }, // a source written again
	} {
		change()
		if _, err := compact.Run(ctx, o, "1690", april1, april3, nil); err != nil {
			t.Fatal(err)
		}
		got, files := mustRead(t, s)
		if athena := hive(); athena != got || files != 3 {
			t.Errorf("step %d: lambduck reads %+v from %d files, a Hive reader %+v", step, got, files, athena)
		}
	}
	if n := len(names(t, dir, "2025-04-02")); n != 5+2 {
		t.Errorf("%d files in the day: want the 5 sources kept, a part and its manifest", n)
	}
	// Without it, the replaced files go, and a Hive reader sees nothing.
	o.KeepReplaced = false
	if _, err := compact.Run(ctx, o, "1690", april1, april3, nil); err != nil {
		t.Fatal(err)
	}
	if athena := hive(); athena.Rows != 0 {
		t.Errorf("replaced files removed, a Hive reader still sees %+v", athena)
	}
}
