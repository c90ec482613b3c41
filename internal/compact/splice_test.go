package compact

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/parquet-go/parquet-go"

	"lambduck/internal/engine"
	"lambduck/internal/layout"
)

// duckFile writes n rows of the layout's columns with DuckDB to path: values
// shaped like a log's (a client per row, so its column is plain; few paths,
// statuses and agents, so theirs are dictionaries), NULLs scattered in
// several columns, and non-ASCII text, which orders differently signed and
// unsigned. opts are COPY options; allNullQuery leaves query NULL.
func duckFile(t *testing.T, db *sql.DB, path string, seed, n int, opts string, allNullQuery bool) {
	t.Helper()
	query := "CASE WHEN i % 5 = 0 THEN 'q=' || (i % 7) END"
	if allNullQuery {
		query = "NULL::VARCHAR"
	}
	q := fmt.Sprintf(`COPY (SELECT
		CASE WHEN i %% 97 = 0 THEN NULL ELSE TIMESTAMPTZ '2025-04-01 00:00:00+00' + to_seconds((i * 13 + %[1]d) %% 86400) END AS ts,
		'10.' || (i * 31 %% 256) || '.' || (i %% 256) || '.' || ((i + %[1]d) %% 256) AS client_ip,
		['GET', 'POST', 'HEAD'][i %% 3 + 1] AS method,
		CASE WHEN i %% 53 = 0 THEN NULL ELSE '/p/' || ((i * 7 + %[1]d) %% 50) || CASE WHEN i %% 11 = 0 THEN '/ünï' ELSE '' END END AS path,
		%[2]s AS query,
		'HTTP/1.1' AS protocol,
		[200, 301, 404, 500][i %% 4 + 1]::SMALLINT AS status,
		(i * 977 %% 100000 - %[1]d)::BIGINT AS bytes,
		CASE WHEN i %% 3 = 0 THEN NULL ELSE 'https://r' || (i %% 11) || '.example/' END AS referrer,
		'ua-' || (i %% 17) || CASE WHEN i %% 4 = 0 THEN ' ü' ELSE '' END AS user_agent,
		'h.example' AS host,
		CASE WHEN i %% 89 = 0 THEN NULL ELSE (i %% 1000) / 7.0 - %[1]d END::DOUBLE AS request_time_ms,
		'test' AS source
		FROM range(%[1]d, %[1]d + %[3]d) t(i)) TO '%[4]s' (FORMAT parquet, COMPRESSION zstd%[5]s)`, seed, query, n, path, opts)
	if _, err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
}

// openAll reads the footers of paths, each from memory.
func openAll(t *testing.T, paths []string) []*parquetFile {
	t.Helper()
	var files []*parquetFile
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := readFooter(p, bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

func spliceFiles(t *testing.T, paths []string, out string) int64 {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := splice(f, openAll(t, paths))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// sameRows checks that out holds exactly the rows of paths, in their order:
// every row, at its place, once.
func sameRows(t *testing.T, db *sql.DB, paths []string, out string) {
	t.Helper()
	var offsets []string
	var off int64
	for _, p := range paths {
		var n int64
		if err := db.QueryRow(`SELECT count(*) FROM read_parquet(` + engine.Quote(p) + `)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		offsets = append(offsets, fmt.Sprintf("(%s, %d)", engine.Quote(p), off))
		off += n
	}
	list, _ := engine.QuoteList(paths)
	cols := layout.ColumnList()
	in := `SELECT o.off + file_row_number AS r, ` + cols + ` FROM read_parquet(` + list + `, filename = true, file_row_number = true)
		JOIN (VALUES ` + strings.Join(offsets, ", ") + `) o(f, off) ON filename = o.f`
	got := `SELECT file_row_number AS r, ` + cols + ` FROM read_parquet(` + engine.Quote(out) + `, file_row_number = true)`
	var n, missing, extra int64
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM (`+got+`)), (SELECT count(*) FROM (`+in+` EXCEPT ALL `+got+`)),
		(SELECT count(*) FROM (`+got+` EXCEPT ALL `+in+`))`).Scan(&n, &missing, &extra); err != nil {
		t.Fatal(err)
	}
	if n != off || missing != 0 || extra != 0 {
		t.Fatalf("spliced file: %d rows of %d, %d missing or moved, %d not in the inputs", n, off, missing, extra)
	}
}

// statsHold checks every column chunk's statistics against its rows: the
// null count exact, min and max the rows' own (readers prune row groups
// with them, so a wrong one loses rows).
func statsHold(t *testing.T, db *sql.DB, out string) {
	t.Helper()
	rows, err := db.Query(`SELECT row_group_id, path_in_schema, stats_null_count, stats_min_value, stats_max_value,
		sum(row_group_num_rows) OVER (PARTITION BY path_in_schema ORDER BY row_group_id) - row_group_num_rows
		FROM parquet_metadata(` + engine.Quote(out) + `) ORDER BY row_group_id, column_id`)
	if err != nil {
		t.Fatal(err)
	}
	type chunk struct {
		rg, first int64
		col       string
		nulls     sql.NullInt64
		lo, hi    sql.NullString
	}
	var chunks []chunk
	for rows.Next() {
		var c chunk
		if err := rows.Scan(&c.rg, &c.col, &c.nulls, &c.lo, &c.hi, &c.first); err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, c)
	}
	rows.Close()
	if len(chunks) == 0 {
		t.Fatal("no column chunks")
	}
	types := map[string]string{}
	for _, c := range layout.Columns {
		types[c.Name] = c.Type
	}
	checked := 0
	for _, c := range chunks {
		var rgRows int64
		if err := db.QueryRow(`SELECT row_group_num_rows FROM parquet_metadata(`+engine.Quote(out)+`) WHERE row_group_id = ? LIMIT 1`, c.rg).Scan(&rgRows); err != nil {
			t.Fatal(err)
		}
		var nulls int64
		var loOK, hiOK sql.NullBool
		err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FILTER (WHERE %[1]s IS NULL),
			TRY_CAST(?::VARCHAR AS %[2]s) = min(%[1]s), TRY_CAST(?::VARCHAR AS %[2]s) = max(%[1]s)
			FROM read_parquet(%[3]s, file_row_number = true) WHERE file_row_number >= ? AND file_row_number < ?`, c.col, types[c.col], engine.Quote(out)),
			c.lo, c.hi, c.first, c.first+rgRows).Scan(&nulls, &loOK, &hiOK)
		if err != nil {
			t.Fatal(err)
		}
		if !c.nulls.Valid || c.nulls.Int64 != nulls {
			t.Errorf("row group %d, %s: null count %v, the rows have %d", c.rg, c.col, c.nulls, nulls)
		}
		if nulls < rgRows && (!loOK.Bool || !hiOK.Bool) {
			t.Errorf("row group %d, %s: min %v, max %v are not the rows' own", c.rg, c.col, c.lo, c.hi)
		}
		checked++
	}
	t.Logf("statistics of %d column chunks hold", checked)
}

// readsInParquetGo reads every row of out with parquet-go, a reader apart
// from DuckDB.
func readsInParquetGo(t *testing.T, out string, want int64) {
	t.Helper()
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Stat()
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		t.Fatal(err)
	}
	r := parquet.NewReader(pf)
	defer r.Close()
	buf := make([]parquet.Row, 512)
	var n int64
	for {
		k, err := r.ReadRows(buf)
		n += int64(k)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n != want {
		t.Fatalf("parquet-go read %d rows of %d", n, want)
	}
}

func TestSpliceReadsAsTheFilesDid(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Exec("SET TimeZone = 'UTC'")
	var paths []string
	add := func(seed, n int, opts string, allNull bool) {
		p := filepath.Join(dir, fmt.Sprintf("in-%03d.parquet", len(paths)))
		duckFile(t, db, p, seed, n, opts, allNull)
		paths = append(paths, p)
	}
	// Small files as they arrive all day, with their odd ones: empty, a
	// column all NULL, several row groups, and one over the splice's row
	// group size.
	for i := range 30 {
		add(i*1000, 300+i*47, "", i == 7)
	}
	add(50_000, 0, "", false)
	add(60_000, 10_000, ", ROW_GROUP_SIZE 2048", false)
	add(80_000, 130_000, "", false)
	add(300_000, 700, "", false)
	out := filepath.Join(dir, "spliced.parquet")
	n := spliceFiles(t, paths, out)
	var groups int64
	if err := db.QueryRow(`SELECT count(DISTINCT row_group_id) FROM parquet_metadata(` + engine.Quote(out) + `)`).Scan(&groups); err != nil {
		t.Fatal(err)
	}
	// 30 small files and the 2048-row groups gather into the first row
	// group; the 130,000-row group stays alone; the last file is a third.
	if groups != 3 {
		t.Errorf("%d row groups, want 3", groups)
	}
	sameRows(t, db, paths, out)
	statsHold(t, db, out)
	readsInParquetGo(t, out, n)

	// A filter that row-group statistics and bloom filters decide gives
	// the inputs' answer.
	list, _ := engine.QuoteList(paths)
	for _, where := range []string{"ts >= TIMESTAMPTZ '2025-04-01 23:00:00+00'", "status = 404", "path = '/p/7/ünï'",
		"query IS NULL", "bytes < 0", "request_time_ms > 140", "user_agent = 'ua-3 ü'", "path = '/no/such/path'"} {
		var a, b int64
		if err := db.QueryRow(`SELECT (SELECT count(*) FROM read_parquet(`+list+`) WHERE `+where+`),
			(SELECT count(*) FROM read_parquet(`+engine.Quote(out)+`) WHERE `+where+`)`).Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Errorf("WHERE %s: %d rows in the inputs, %d spliced", where, a, b)
		}
	}
	// Every value of a dictionary column is in its row group's bloom
	// filter; a value that is nowhere is ruled out.
	q := engine.Quote(out)
	rows, err := db.Query(`WITH g AS (SELECT row_group_id, sum(row_group_num_rows) OVER (ORDER BY row_group_id) - row_group_num_rows AS lo, row_group_num_rows AS n
			FROM parquet_metadata(` + q + `) WHERE path_in_schema = 'path')
		SELECT DISTINCT g.row_group_id, r.path FROM read_parquet(` + q + `, file_row_number = true) r
		JOIN g ON r.file_row_number >= g.lo AND r.file_row_number < g.lo + g.n WHERE r.path IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	type present struct {
		rg int64
		v  string
	}
	var all []present
	for rows.Next() {
		var p present
		if err := rows.Scan(&p.rg, &p.v); err != nil {
			t.Fatal(err)
		}
		all = append(all, p)
	}
	rows.Close()
	if len(all) < 100 {
		t.Fatalf("%d paths in row groups", len(all))
	}
	for _, p := range all {
		var excluded bool
		if err := db.QueryRow(`SELECT bloom_filter_excludes FROM parquet_bloom_probe(`+q+`, 'path', ?) WHERE row_group_id = ?`, p.v, p.rg).Scan(&excluded); err != nil {
			t.Fatal(err)
		}
		if excluded {
			t.Errorf("path %q: the bloom filter of row group %d, which holds it, rules it out", p.v, p.rg)
		}
	}
	var ruledOut int64
	if err := db.QueryRow(`SELECT count(*) FILTER (WHERE bloom_filter_excludes) FROM parquet_bloom_probe(` + engine.Quote(out) + `, 'path', '/no/such/path')`).Scan(&ruledOut); err != nil {
		t.Fatal(err)
	}
	if ruledOut == 0 {
		t.Error("no bloom filter rules out a path that is nowhere")
	}
}

func TestSpliceOfParquetGoFiles(t *testing.T) {
	// The ingest fast path's writer: v2 pages, RLE_DICTIONARY.
	type row struct {
		TS        *time.Time `parquet:"ts,optional,timestamp(microsecond)"`
		ClientIP  *string    `parquet:"client_ip,optional"`
		Method    *string    `parquet:"method,optional,dict"`
		Path      *string    `parquet:"path,optional,dict"`
		Query     *string    `parquet:"query,optional,dict"`
		Protocol  *string    `parquet:"protocol,optional,dict"`
		Status    *int16     `parquet:"status,optional,dict"`
		Bytes     *int64     `parquet:"bytes,optional"`
		Referrer  *string    `parquet:"referrer,optional,dict"`
		UserAgent *string    `parquet:"user_agent,optional,dict"`
		Host      *string    `parquet:"host,optional,dict"`
		ReqTime   *float64   `parquet:"request_time_ms,optional"`
		Source    *string    `parquet:"source,optional,dict"`
	}
	ptr := func(s string) *string { return &s }
	dir := t.TempDir()
	var paths []string
	for f := range 5 {
		p := filepath.Join(dir, fmt.Sprintf("pg-%d.parquet", f))
		out, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w := parquet.NewGenericWriter[row](out, parquet.Compression(&parquet.Zstd))
		var rows []row
		for i := range 500 + f*100 {
			ts := time.Date(2025, 4, 1, 0, 0, i, 0, time.UTC)
			st, b, rt := int16(200+(i+f)%3*100), int64(i*f), float64(i)/3
			r := row{TS: &ts, ClientIP: ptr(fmt.Sprintf("10.0.%d.%d", f, i%256)), Method: ptr("GET"), Path: ptr(fmt.Sprintf("/f%d/%d", f, i%9)),
				Protocol: ptr("HTTP/2.0"), Status: &st, Bytes: &b, UserAgent: ptr(fmt.Sprintf("ua-%d", i%4)), Host: ptr("h"), ReqTime: &rt, Source: ptr("combined")}
			if i%4 == 0 {
				r.Query = ptr(fmt.Sprintf("a=%d", i%3))
				r.Referrer = ptr("https://ref.example/")
			}
			rows = append(rows, r)
		}
		if _, err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		out.Close()
		paths = append(paths, p)
	}
	out := filepath.Join(dir, "spliced.parquet")
	n := spliceFiles(t, paths, out)
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sameRows(t, db, paths, out)
	readsInParquetGo(t, out, n)
}

func TestSpliceDeclinesWhatItDoesNotKnow(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	zstd, snappy := filepath.Join(dir, "zstd.parquet"), filepath.Join(dir, "snappy.parquet")
	duckFile(t, db, zstd, 1, 100, "", false)
	duckFile(t, db, snappy, 2, 100, "", false)
	if _, err := db.Exec(`COPY (FROM read_parquet(` + engine.Quote(snappy) + `)) TO ` + engine.Quote(snappy) + ` (FORMAT parquet, COMPRESSION snappy)`); err != nil {
		t.Fatal(err)
	}
	extra := filepath.Join(dir, "extra.parquet")
	if _, err := db.Exec(`COPY (SELECT *, 1 AS more FROM read_parquet(` + engine.Quote(zstd) + `)) TO ` + engine.Quote(extra) + ` (FORMAT parquet)`); err != nil {
		t.Fatal(err)
	}
	for _, set := range [][]string{{zstd, snappy}, {zstd, extra}} {
		_, err := splice(io.Discard, openAll(t, set))
		if !isNotSpliceable(err) {
			t.Errorf("%v: %v, want the splice to decline", set, err)
		}
	}
}
