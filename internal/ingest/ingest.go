package ingest

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"lambduck/internal/compact"
	"lambduck/internal/engine"
	"lambduck/internal/layout"
	"lambduck/internal/storage"
	"lambduck/internal/words"
)

// Options say where ingested rows go and how sources are read.
type Options struct {
	Root    *storage.Root // the data root
	Company string        // "" to take it from each source's company_id=<id> path segment
	Format  string        // "" to detect per source
	// LogFormat, when set, reads every source with this custom layout
	// (GoAccess's log-format language; see NginxLogFormat) instead.
	LogFormat *LogFormat
	TimeZone  *time.Location // partition dates are calendar dates here
	Samples   int            // rejected lines to report per source (default 5)
	// CompactGrace is how long files that a re-ingest replaces inside a
	// compaction stay for readers that listed before (0: compact.DefaultGrace).
	CompactGrace time.Duration
}

// Rejected is one line that did not parse.
type Rejected struct {
	Line int64  `json:"line"`
	Text string `json:"text"`
}

// FileSummary is the outcome for one source.
type FileSummary struct {
	Source        string     `json:"source"`
	Format        string     `json:"format"`
	Company       string     `json:"company_id"`
	LinesRead     int64      `json:"lines_read"`
	RowsWritten   int64      `json:"rows_written"`
	LinesRejected int64      `json:"lines_rejected"`
	FirstRejected []Rejected `json:"first_rejected"`
	Days          []string   `json:"days"`
	Files         int        `json:"files"`
	Error         string     `json:"error,omitempty"`
	// SameBytesAs are sources of the company ingested earlier under other
	// names whose bytes look the same (Fingerprint): its rows may be
	// counted twice (`lambduck sources --remove` undoes one).
	SameBytesAs []string `json:"same_bytes_as,omitempty"`
	// Rejected: the source is not a log (or names no valid company);
	// ingesting it again would fail the same way.
	Rejected bool `json:"rejected,omitempty"`
}

// Summary is the outcome of one ingest run.
type Summary struct {
	Sources       []FileSummary `json:"sources"`
	LinesRead     int64         `json:"lines_read"`
	RowsWritten   int64         `json:"rows_written"`
	LinesRejected int64         `json:"lines_rejected"`
	FailedSources int           `json:"failed_sources"`
	Bytes         int64         `json:"bytes"`
	DurationMS    int64         `json:"duration_ms"`
}

// Run ingests every source. A source that is not a log (binary, unknown
// format, mostly unparseable) fails alone, writes nothing, and is reported;
// the others go on. progress, when not nil, is told the source bytes done,
// also while a source is being read (a few times a second).
func Run(ctx context.Context, eng *engine.Engine, sources []Source, o Options, progress func(bytes int64)) (Summary, error) {
	began := time.Now()
	if o.Samples == 0 {
		o.Samples = 5
	}
	if o.TimeZone == nil {
		o.TimeZone = time.UTC
	}
	tool, err := eng.OpenTool(ctx)
	if err != nil {
		return Summary{}, err
	}
	defer tool.Close()
	var sum Summary
	for i, src := range sources {
		var stop func()
		if progress != nil {
			done := sum.Bytes
			stop = watchReads(src.Size, 200*time.Millisecond, func(read int64) { progress(done + read) })
		}
		fs, err := ingestOne(ctx, eng, tool, i, src, o)
		if stop != nil {
			stop()
		}
		if err != nil {
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			var notALog *NotALogError
			fs.Error, fs.Rejected = err.Error(), errors.As(err, &notALog)
			sum.FailedSources++
		}
		sum.Sources = append(sum.Sources, fs)
		sum.LinesRead += fs.LinesRead
		sum.RowsWritten += fs.RowsWritten
		sum.LinesRejected += fs.LinesRejected
		sum.Bytes += src.Size
		if progress != nil {
			progress(sum.Bytes)
		}
	}
	sum.DurationMS = time.Since(began).Milliseconds()
	return sum, nil
}

// NotALogError is a source rejected as a whole.
type NotALogError struct{ Msg string }

func (e *NotALogError) Error() string { return e.Msg }

func ingestOne(ctx context.Context, eng *engine.Engine, tool *engine.Tool, n int, src Source, o Options) (fs FileSummary, err error) {
	fs = FileSummary{Source: src.Identity, FirstRejected: []Rejected{}, Days: []string{}}
	head, err := src.head(64 << 10)
	if err != nil {
		return fs, err
	}
	if isBinary(head) {
		return fs, &NotALogError{src.Identity + ": binary data, not a text log"}
	}
	fs.Format = o.Format
	if o.LogFormat != nil {
		fs.Format = Custom
	}
	if fs.Format == "" {
		if fs.Format, err = Detect(head); err != nil {
			return fs, &NotALogError{src.Identity + ": " + err.Error()}
		}
	}
	fs.Company = o.Company
	if fs.Company == "" {
		fs.Company = layout.CompanyFromPath(src.Identity)
		if fs.Company == "" {
			return fs, &NotALogError{src.Identity + ": no company: pass --company or put the file under a company_id=<id>/ folder"}
		}
	}
	if !layout.ValidCompanyID(fs.Company) {
		return fs, &NotALogError{fmt.Sprintf("%s: company id %q must match %s", src.Identity, fs.Company, layout.CompanyIDRule)}
	}
	var parse string
	if o.LogFormat != nil {
		parse, err = o.LogFormat.sql(o.TimeZone)
	} else {
		parse, err = formatSQL(fs.Format, head, o.TimeZone)
	}
	if err != nil {
		return fs, &NotALogError{src.Identity + ": " + err.Error()}
	}

	// Nothing reaches the data root before the verdict below: rows are
	// written to Parquet in scratch first, good ones under their day,
	// rejected ones under the partition of no day, which is only counted.
	stage, err := os.MkdirTemp(tool.Dir(), "ingest-")
	if err != nil {
		return fs, err
	}
	defer os.RemoveAll(stage)
	// The usual Combined line takes the fast path (fast.go); the SQL reads
	// the others. Where the head says most lines would not take it, the
	// SQL reads the whole source, as it does in another time zone.
	read, fast := src, fastSplit{}
	if fastEnabled && fs.Format == "combined" && o.LogFormat == nil && o.TimeZone == time.UTC && fastFraction(head) >= 0.5 {
		if fast, err = splitCombined(ctx, src, stage, tool.Dir(), eng.Settings().Cores()); err != nil {
			return fs, fmt.Errorf("%s: %w", src.Identity, err)
		}
		defer fast.days.close()
		if fast.left != "" {
			defer os.Remove(fast.left)
		}
		read = Source{Path: fast.left, Identity: src.Identity}
		if fast.cr { // then the SQL reads the whole source, which it splits into lines as it always has
			if err := fast.days.close(); err != nil {
				return fs, err
			}
			if err := os.RemoveAll(stage); err != nil {
				return fs, err
			}
			if err := os.Mkdir(stage, 0o700); err != nil {
				return fs, err
			}
			read, fast = src, fastSplit{}
		}
	}

	rejects := fmt.Sprintf("csv_rejects_%d", n)
	compression := "none"
	if read.Gzip {
		compression = "gzip"
	}
	// Every line is one VARCHAR: no delimiter, quote or escape applies. Lines
	// DuckDB cannot read as text (invalid UTF-8, over 8 MB) land in the
	// rejects table with their line numbers instead of failing the file.
	// Buffers of 16 MB, not DuckDB's 16 × max_line_size (128 MB), keep memory
	// down and let progress move through a file (docs/performance.md).
	lines := fmt.Sprintf(`SELECT line FROM read_csv(%s, columns = {'line': 'VARCHAR'}, delim = chr(1), quote = '', escape = '',
		header = false, auto_detect = false, strict_mode = false, compression = '%s', max_line_size = 8388608, buffer_size = 16777216,
		ignore_errors = true, store_rejects = true, rejects_table = '%s', rejects_scan = '%s_scan') WHERE line IS NOT NULL`,
		engine.Quote(read.Path), compression, rejects, rejects)
	c := tool.Conn()
	// Each format's SQL is a WITH query over `lines`; prepend lines as its first CTE.
	parsed := "WITH lines AS (" + lines + "),\n" + strings.TrimPrefix(strings.TrimSpace(parse), "WITH")

	// One streaming pass parses every line the fast path left.
	textLines, parseRejected, csvRejected := fast.rows, int64(0), int64(0)
	if read.Path != "" {
		written, err := writeStage(ctx, c, stage, read, parsed, o)
		if err != nil {
			return fs, err
		}
		textLines += written
		if parseRejected, err = countRows(ctx, c, filepath.Join(stage, rejectedPartition)); err != nil {
			return fs, err
		}
		if err := c.QueryRowContext(ctx, `SELECT count(DISTINCT line) FROM `+rejects).Scan(&csvRejected); err != nil {
			return fs, err
		}
	}
	if fast.days != nil { // the SQL's rows join the fast path's files: one file a day
		if err := fast.days.absorb(stage); err != nil {
			return fs, fmt.Errorf("%s: %w", src.Identity, err)
		}
		if err := fast.days.close(); err != nil {
			return fs, fmt.Errorf("%s: %w", src.Identity, err)
		}
	}
	if like := headerLines[fs.Format]; like != "" && parseRejected > 0 { // header lines are not requests
		var headers int64
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM (`+lines+`) WHERE line LIKE `+engine.Quote(like)).Scan(&headers); err != nil {
			return fs, err
		}
		textLines -= headers
		parseRejected -= headers
	}
	okRows := textLines - parseRejected
	fs.LinesRead = textLines + csvRejected
	fs.LinesRejected = textLines - okRows + csvRejected
	if fs.LinesRejected > 0 {
		if fs.FirstRejected, err = firstRejected(ctx, c, src, parsed, rejects, fast.leftLines, o.Samples); err != nil {
			return fs, err
		}
	}
	if okRows == 0 || fs.LinesRejected*2 > fs.LinesRead {
		msg := fmt.Sprintf("%s: not %s log: %d of %s did not parse", src.Identity, words.A(fs.Format), fs.LinesRejected, words.Plural(fs.LinesRead, "line"))
		if len(fs.FirstRejected) > 0 {
			msg += fmt.Sprintf(" (line %d: %.120q)", fs.FirstRejected[0].Line, fs.FirstRejected[0].Text)
		}
		fs.LinesRejected, fs.LinesRead = 0, 0
		return fs, &NotALogError{msg}
	}
	fp, size, err := Fingerprint(src.Path)
	if err != nil {
		return fs, fmt.Errorf("%s: %w", src.Identity, err)
	}
	if err := moveIntoPlace(ctx, compact.Options{Root: o.Root, Engine: eng, Scratch: tool.Dir(), Grace: o.CompactGrace}, stage, src, &fs, o, src.ID()); err != nil {
		return fs, err
	}
	fs.RowsWritten = okRows
	// The record of the source, and the same bytes under another name.
	rec := Record{ID: src.ID(), Identity: src.Identity, Format: fs.Format, Size: size, Fingerprint: fp, Rows: okRows,
		Days: fs.Days, IngestedAt: time.Now().UTC().Truncate(time.Second)}
	if fs.SameBytesAs, err = keepRecord(ctx, o.Root, rec, fs.Company, tool.Dir()); err != nil {
		return fs, fmt.Errorf("%s: the record of the source: %w", src.Identity, err)
	}
	return fs, nil
}

// firstRejected returns the first n rejected lines in file order with their
// line numbers: lines DuckDB could not read come from its rejects table
// (numbered in the fast path's leftover file when leftLines is not nil:
// leftLines[k-1] is the source's number of its line k); lines that did not
// parse are found by reading the file once more.
func firstRejected(ctx context.Context, c *sql.Conn, src Source, parsed, rejects string, leftLines []int64, n int) ([]Rejected, error) {
	var out []Rejected
	rows, err := c.QueryContext(ctx, `SELECT line, any_value(csv_line) FROM `+rejects+` GROUP BY line ORDER BY line LIMIT `+fmt.Sprint(n))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r Rejected
		var text sql.NullString
		if err := rows.Scan(&r.Line, &text); err != nil {
			rows.Close()
			return nil, err
		}
		r.Text = text.String
		if leftLines != nil && r.Line >= 1 && r.Line <= int64(len(leftLines)) {
			r.Line = leftLines[r.Line-1]
		}
		out = append(out, r)
	}
	rows.Close()

	bad := map[string]bool{}
	rows, err = c.QueryContext(ctx, `SELECT DISTINCT line FROM (`+parsed+`) WHERE NOT ok`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, err
		}
		bad[s] = true
	}
	rows.Close()
	if len(bad) > 0 {
		rc, err := src.open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		sc := bufio.NewScanner(rc)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		found := 0
		for no := int64(1); sc.Scan() && found < n; no++ {
			line := strings.TrimSuffix(sc.Text(), "\r")
			if bad[line] {
				out = append(out, Rejected{Line: no, Text: line})
				found++
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	if len(out) > n {
		out = out[:n]
	}
	for i := range out {
		if len(out[i].Text) > 500 {
			out[i].Text = out[i].Text[:500] + "…"
		}
	}
	return out, nil
}

// rejectedPartition is the stage's folder of the lines that did not parse
// (their date is NULL, which DuckDB writes as Hive's default partition).
const rejectedPartition = "date=__HIVE_DEFAULT_PARTITION__"

// writeStage copies every line of parsed to Parquet in the folder stage,
// one file per day, the rejected lines under rejectedPartition, and returns
// the number of lines written.
func writeStage(ctx context.Context, c *sql.Conn, stage string, src Source, parsed string, o Options) (int64, error) {
	// A day in UTC is plain arithmetic on the instant; another zone asks
	// ICU for its offset on each row (docs/performance.md).
	date, args := "CAST(timezone($tz, ts) AS DATE)", []any{sql.Named("tz", o.TimeZone.String())}
	if o.TimeZone == time.UTC {
		date, args = "CAST(make_timestamp(epoch_us(ts)) AS DATE)", nil
	}
	res, err := c.ExecContext(ctx, `COPY (SELECT `+layout.ColumnList()+`, CASE WHEN ok THEN `+date+` END AS date FROM (`+parsed+`))
		TO `+engine.Quote(stage)+` (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'part_{i}')`,
		args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", src.Identity, err)
	}
	return res.RowsAffected()
}

// countRows returns the rows of the Parquet files in dir (0 when there is no dir).
func countRows(ctx context.Context, c *sql.Conn, dir string) (int64, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil || len(files) == 0 {
		return 0, err
	}
	var n int64
	err = c.QueryRowContext(ctx, `SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(`+engine.Quote(filepath.Join(dir, "*.parquet"))+`)`).Scan(&n)
	return n, err
}

// manifests keeps the compaction manifests ingest has read, for the life of
// the process: a manifest never changes once written (it is keyed by its
// version), and a warm Lambda ingesting a file every few minutes reads the
// company's compacted days again each time.
var manifests = compact.NewCache()

// moveIntoPlace puts each staged day file into its partition, named for
// the source, then removes what an earlier ingest of the same source left
// on days it no longer covers. On a day whose compaction holds the source's
// earlier rows, the new rows (or none) replace them inside a new compaction
// instead (package compact), so that a reader sees the old rows or the new,
// never both.
// id is the stem of the source's files.
func moveIntoPlace(ctx context.Context, co compact.Options, stage string, src Source, fs *FileSummary, o Options, id string) error {
	// The partitions only (the records under _sources/ are not data).
	existing, _, err := o.Root.List(ctx, layout.CompanyPrefix(fs.Company)+"date=", "", nil)
	if err != nil {
		return err
	}
	compacted := map[string]*compact.Day{}
	for _, d := range compact.Group(existing) {
		if len(d.Files) > 0 {
			if err := d.Load(ctx, o.Root, manifests); err != nil {
				return err
			}
			compacted[d.Date] = d
		}
	}
	dayDirs, err := filepath.Glob(filepath.Join(stage, "date=*"))
	if err != nil {
		return err
	}
	keep, replaced := map[string]bool{}, map[string]bool{}
	for _, dir := range dayDirs {
		if filepath.Base(dir) == rejectedPartition {
			continue
		}
		day, err := time.Parse(layout.DateFormat, strings.TrimPrefix(filepath.Base(dir), "date="))
		if err != nil {
			return fmt.Errorf("%s: staged partition %s: %w", src.Identity, filepath.Base(dir), err)
		}
		files, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
		if err != nil {
			return err
		}
		sort.Strings(files)
		staged := map[string]string{}
		for k, f := range files {
			name := id + ".parquet"
			if len(files) > 1 {
				name = fmt.Sprintf("%s-%d.parquet", id, k)
			}
			staged[name] = f
		}
		date := day.Format(layout.DateFormat)
		fs.Days = append(fs.Days, date)
		fs.Files += len(staged)
		if d := compacted[date]; d != nil {
			ok, err := co.Replace(ctx, d, id, staged)
			if err != nil {
				return fmt.Errorf("%s: %w", src.Identity, err)
			}
			if ok {
				replaced[date] = true
				continue
			}
		}
		for name, f := range staged {
			rel := layout.Key(fs.Company, day, name)
			if err := o.Root.Put(ctx, f, rel); err != nil {
				return fmt.Errorf("%s: %w", src.Identity, err)
			}
			keep[rel] = true
		}
	}
	sort.Strings(fs.Days)
	for date, d := range compacted {
		if !replaced[date] && !slices.Contains(fs.Days, date) {
			ok, err := co.Replace(ctx, d, id, nil)
			if err != nil {
				return fmt.Errorf("%s: %w", src.Identity, err)
			}
			replaced[date] = ok
		}
	}
	for _, obj := range existing {
		f, ok := layout.ParseKey(obj.Key)
		// On a replaced day the compaction hides the old files and removes
		// them after its grace period.
		if ok && strings.HasPrefix(f.Name, id) && !keep[obj.Key] && !replaced[f.Day] {
			if err := o.Root.Remove(ctx, obj.Key); err != nil {
				return err
			}
		}
	}
	return nil
}
