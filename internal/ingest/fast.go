package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"lambduck/internal/layout"
)

// The fast path for Combined logs (docs/performance.md, "Ingest speed"):
// a line of the usual shape — an IPv4 client, the time in its fixed layout,
// "GET|POST|HEAD /path HTTP/x" without percent-escapes, status, bytes,
// referrer and user agent in quotes — is parsed in Go and written to
// Parquet by parquet-go, on every core; every other line goes, in order,
// to a file that the SQL of combinedSQL reads as before. The SQL stays the
// definition: the fast path takes a line only where it gives exactly what
// the SQL gives (FuzzFastCombined and TestFastPathMatchesSQL hold it to
// that), and declines everything else.

// fastRow is one Combined line as a data file holds it: package layout's
// columns in their order with DuckDB's types (TIMESTAMPTZ is a UTC
// timestamp in microseconds; SMALLINT an INT32 of 16 bits). parquet-go
// writes a zero value of an optional column as NULL, so the fast path
// declines a line where such a text column would be empty, or ts 0. The
// columns that are NULL on some fast rows and not on others are pointers
// (into a fastSlot): parquet-go v0.32.0 writes some zero values of a
// column that mixes them as present (docs/performance.md).
type fastRow struct {
	TS            int64    `parquet:"ts,optional,timestamp(microsecond)"`
	ClientIP      string   `parquet:"client_ip,optional,dict"`
	Method        string   `parquet:"method,optional,dict"`
	Path          string   `parquet:"path,optional,dict"`
	Query         *string  `parquet:"query,optional"`
	Protocol      string   `parquet:"protocol,optional,dict"`
	Status        int16    `parquet:"status,optional"`
	Bytes         *int64   `parquet:"bytes,optional"`
	Referrer      *string  `parquet:"referrer,optional,dict"`
	UserAgent     string   `parquet:"user_agent,optional,dict"`
	Host          string   `parquet:"host,optional"`
	RequestTimeMS *float64 `parquet:"request_time_ms,optional"`
	Source        string   `parquet:"source,optional,dict"`
}

// fastSlot holds what a fastRow's pointers point to.
type fastSlot struct {
	bytes           int64
	query, referrer string
}

// point makes r's pointers point into s (after both were copied).
func (r *fastRow) point(s *fastSlot) {
	r.Bytes = &s.bytes
	if r.Query != nil {
		r.Query = &s.query
	}
	if r.Referrer != nil {
		r.Referrer = &s.referrer
	}
}

// fastEnabled switches the fast path (tests compare with it off).
var fastEnabled = true

// fastLineMax is the longest line the fast path reads; longer ones are left to the SQL.
const fastLineMax = 64 << 10

// parseFastCombined fills r (pointing into s) from line when the line has
// the usual Combined shape, and returns its day (days since 1970-01-01 in
// UTC); ok is false for every other line. r's strings point into line.
func parseFastCombined(line []byte, r *fastRow, s *fastSlot) (day int64, ok bool) {
	if len(line) > fastLineMax || !plainText(line) {
		return 0, false
	}
	// The quotes that split the line; a quote after a backslash is part of
	// its field (combinedSQL's escape rule).
	var q [6]int
	from := 0
	for i := range q {
		j := nextQuote(line, from)
		if j < 0 {
			return 0, false
		}
		q[i], from = j, j+1
	}
	p1, req, mid, ref, gap, ua := line[:q[0]], line[q[0]+1:q[1]], line[q[1]+1:q[2]], line[q[2]+1:q[3]], line[q[3]+1:q[4]], line[q[4]+1:q[5]]
	if len(gap) != 1 || gap[0] != ' ' || bytes.IndexByte(p1, '\\') >= 0 || bytes.IndexByte(mid, '\\') >= 0 {
		return 0, false
	}
	// p1: "<ipv4> <ident> <user> [dd/Mon/yyyy:HH:MM:SS +zzzz]…", ASCII.
	sp := bytes.IndexByte(p1, ' ')
	lb := bytes.IndexByte(p1, '[')
	if sp < 0 || lb < 0 || len(p1) < lb+28 || p1[lb+27] != ']' || !asciiOnly(p1) || !(strictIPv4(p1[:sp]) || plainIPv6(p1[:sp])) {
		return 0, false
	}
	ts, ok := combinedTime(p1[lb+1 : lb+27])
	if !ok {
		return 0, false
	}
	// The request: exactly "METHOD path PROTOCOL" of the usual kind.
	s1 := bytes.IndexByte(req, ' ')
	if s1 < 0 {
		return 0, false
	}
	s2 := bytes.IndexByte(req[s1+1:], ' ')
	if s2 < 0 {
		return 0, false
	}
	s2 += s1 + 1
	method, target, proto := req[:s1], req[s1+1:s2], req[s2+1:]
	if len(target) == 0 || bytes.IndexByte(proto, ' ') >= 0 || bytes.IndexByte(target, '%') >= 0 || !usualMethod(method) || !usualProtocol(proto) {
		return 0, false
	}
	// " <status> <bytes> "
	if len(mid) < 7 || mid[0] != ' ' || mid[4] != ' ' || mid[len(mid)-1] != ' ' {
		return 0, false
	}
	status, ok := digits(mid[1:4])
	if !ok || status < 100 || status > 599 {
		return 0, false
	}
	size := mid[5 : len(mid)-1]
	var n int64
	if len(size) != 1 || size[0] != '-' {
		if len(size) > 18 {
			return 0, false
		}
		if n, ok = digits(size); !ok {
			return 0, false
		}
	}
	if len(ua) == 0 {
		return 0, false
	}
	r.TS = ts * 1_000_000
	r.ClientIP = view(p1[:sp])
	r.Method, r.Protocol = view(method), view(proto)
	r.Path, r.Query = unescaped(target), nil
	if i := bytes.IndexByte(target, '?'); i >= 0 {
		s.query, r.Query = unescaped(target[i+1:]), &s.query
		if i > 0 {
			r.Path = unescaped(target[:i])
		}
	}
	r.Status = int16(status)
	s.bytes, r.Bytes = n, &s.bytes
	r.Referrer = nil
	if len(ref) != 1 || ref[0] != '-' {
		s.referrer, r.Referrer = unescaped(ref), &s.referrer
	}
	r.UserAgent = unescaped(ua)
	r.Host, r.RequestTimeMS, r.Source = "", nil, "combined"
	return ts / 86400, true // ts > 0: the year is 1971 or later
}

// plainText is valid UTF-8 without control characters, and without U+E000
// (combinedSQL's stand-in for an escaped quote).
func plainText(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 { // printable ASCII, eight bytes at a time
		v := binary.LittleEndian.Uint64(b[i:])
		if v&highs != 0 || (v-0x20*ones)&^v&highs != 0 || ((v^0x7f*ones)-ones)&^(v^0x7f*ones)&highs != 0 {
			break
		}
	}
	ascii := true
	for _, c := range b[i:] {
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	return ascii || (utf8.Valid(b) && !bytes.Contains(b, []byte("\uE000")))
}

func asciiOnly(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// nextQuote is the index of the first '"' at or after from that does not follow a backslash.
func nextQuote(b []byte, from int) int {
	for {
		i := bytes.IndexByte(b[from:], '"')
		if i < 0 {
			return -1
		}
		i += from
		if i == 0 || b[i-1] != '\\' {
			return i
		}
		from = i + 1
	}
}

// unescaped is b with each escaped quote (\") as a quote.
func unescaped(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return view(b)
	}
	return strings.ReplaceAll(string(b), `\"`, `"`)
}

// view is b as a string without a copy; parquet-go copies what it keeps.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func digits(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, len(b) > 0
}

// plainIPv6 is an IPv6 address of the plain forms, each of which validIP's
// ipv6 accepts: eight groups of one to four hex digits, or fewer around
// one "::" (seven at most). Other forms (an IPv4 tail, a zone) are left to the SQL.
func plainIPv6(b []byte) bool {
	groups, gap, digits := 0, false, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			if digits++; digits > 4 {
				return false
			}
			if digits == 1 {
				groups++
			}
		case c == ':':
			if i+1 < len(b) && b[i+1] == ':' {
				if gap {
					return false
				}
				gap, digits = true, 0
				i++
				continue
			}
			if digits == 0 || i+1 == len(b) { // ":" must follow a group and precede one
				return false
			}
			digits = 0
		default:
			return false
		}
	}
	return (!gap && groups == 8) || (gap && groups <= 7)
}

// strictIPv4 is a dotted quad without leading zeros (validIP's ipv4).
func strictIPv4(b []byte) bool {
	for part := 0; part < 4; part++ {
		end := bytes.IndexByte(b, '.')
		if part == 3 {
			end = len(b)
		} else if end < 0 {
			return false
		}
		oct := b[:end]
		if len(oct) == 0 || len(oct) > 3 || (len(oct) > 1 && oct[0] == '0') {
			return false
		}
		if v, ok := digits(oct); !ok || v > 255 {
			return false
		}
		if part < 3 {
			b = b[end+1:]
		}
	}
	return true
}

func usualMethod(b []byte) bool {
	s := view(b)
	return s == "GET" || s == "POST" || s == "HEAD"
}

func usualProtocol(b []byte) bool {
	s := view(b)
	return s == "HTTP/1.1" || s == "HTTP/1.0" || s == "HTTP/2.0" || s == "HTTP/2" || s == "HTTP/3"
}

// combinedTime reads "dd/Mon/yyyy:HH:MM:SS +zzzz" in exactly that layout
// (the canonical month names, a real date, an offset under 16 hours) as
// Unix seconds.
func combinedTime(t []byte) (int64, bool) {
	if t[2] != '/' || t[6] != '/' || t[11] != ':' || t[14] != ':' || t[17] != ':' || t[20] != ' ' || (t[21] != '+' && t[21] != '-') {
		return 0, false
	}
	month := 0
	switch string(t[3:6]) {
	case "Jan":
		month = 1
	case "Feb":
		month = 2
	case "Mar":
		month = 3
	case "Apr":
		month = 4
	case "May":
		month = 5
	case "Jun":
		month = 6
	case "Jul":
		month = 7
	case "Aug":
		month = 8
	case "Sep":
		month = 9
	case "Oct":
		month = 10
	case "Nov":
		month = 11
	case "Dec":
		month = 12
	}
	d, ok1 := digits(t[0:2])
	y, ok2 := digits(t[7:11])
	hh, ok3 := digits(t[12:14])
	mm, ok4 := digits(t[15:17])
	ss, ok5 := digits(t[18:20])
	zh, ok6 := digits(t[22:24])
	zm, ok7 := digits(t[24:26])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || month == 0 || y < 1971 || d < 1 || d > daysIn(y, month) ||
		hh > 23 || mm > 59 || ss > 59 || zh > 15 || zm > 59 {
		return 0, false
	}
	off := (zh*60 + zm) * 60
	if t[21] == '-' {
		off = -off
	}
	return daysFromCivil(y, int64(month), d)*86400 + hh*3600 + mm*60 + ss - off, true
}

func daysIn(y int64, month int) int64 {
	switch month {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the days from 1970-01-01 to a date of the proleptic
// Gregorian calendar (Howard Hinnant's algorithm; y ≥ 1).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// fastSplit is what the fast path did with one source.
type fastSplit struct {
	rows int64 // lines written to Parquet
	// left is the file of every other line, in order ("" when there is
	// none), and leftLines the line number in the source of each.
	left      string
	leftLines []int64
	// cr: a line in left holds a carriage return. DuckDB's reader ends
	// lines at CRLF, CR or LF depending on the first line of the file it
	// reads, so it might split and number left's lines unlike the source's.
	cr bool
	// days are the open files, to absorb the SQL's rows and be closed.
	days *dayFiles
}

// fastFraction is how many of the lines in head the fast path takes.
func fastFraction(head []byte) float64 {
	var r fastRow
	var s fastSlot
	lines, fast := 0, 0
	for {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			break // the last line may be cut off
		}
		lines++
		if _, ok := parseFastCombined(head[:i], &r, &s); ok {
			fast++
		}
		head = head[i+1:]
	}
	if lines == 0 {
		return 0
	}
	return float64(fast) / float64(lines)
}

// splitCombined writes the fast lines of src under stage, one Parquet
// file per day (date=<day>/fast-<n>.parquet, left open in the result's
// days), and the other lines to a file in scratch. A plain file is read in
// parts byte ranges at once, each cut at a line end; a compressed one whole.
func splitCombined(ctx context.Context, src Source, stage, scratch string, parts int) (_ fastSplit, err error) {
	var ranges [][2]int64
	if src.Gzip || parts < 2 || src.Size < 8<<20 {
		ranges = [][2]int64{{0, -1}}
	} else if ranges, err = lineRanges(src.Path, src.Size, parts); err != nil {
		return fastSplit{}, err
	}
	days := &dayFiles{stage: stage, open: map[int64]*dayWriter{}}
	results := make([]*fastPart, len(ranges))
	errs := make([]error, len(ranges))
	var wg sync.WaitGroup
	for k, rg := range ranges {
		results[k] = &fastPart{k: k, scratch: scratch, days: days}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[k] = results[k].run(ctx, src, rg)
		}()
	}
	wg.Wait()
	out := fastSplit{days: days}
	defer func() {
		if err != nil {
			days.close()
		}
		for _, p := range results {
			if p.left != nil {
				p.left.Close()
				if err != nil || p.left.Name() != out.left {
					os.Remove(p.left.Name())
				}
			}
		}
	}()
	for _, e := range errs {
		if e != nil {
			return fastSplit{}, e
		}
	}
	// Join the parts' leftover lines, renumbered from the source's start.
	var before int64
	var joined *os.File
	for _, p := range results {
		out.rows += p.rows
		for _, n := range p.leftLines {
			out.leftLines = append(out.leftLines, before+n)
		}
		before += p.lines
		out.cr = out.cr || p.cr
		if p.left == nil {
			continue
		}
		if joined == nil {
			joined, out.left = p.left, p.left.Name()
			continue
		}
		if _, err := p.left.Seek(0, io.SeekStart); err != nil {
			return fastSplit{}, err
		}
		if _, err := io.Copy(joined, p.left); err != nil {
			return fastSplit{}, err
		}
	}
	return out, nil
}

// lineRanges cuts a file of size into n byte ranges that end at line ends.
func lineRanges(path string, size int64, n int) ([][2]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][2]int64
	start := int64(0)
	buf := make([]byte, 64<<10)
	for k := 1; k < n && start < size; k++ {
		at := size * int64(k) / int64(n)
		if at <= start {
			continue
		}
		end := int64(-1)
		for pos := at; pos < size && end < 0; pos += int64(len(buf)) {
			m, err := f.ReadAt(buf, pos)
			if i := bytes.IndexByte(buf[:m], '\n'); i >= 0 {
				end = pos + int64(i) + 1
			} else if err != nil {
				break
			}
		}
		if end < 0 || end >= size {
			break
		}
		out = append(out, [2]int64{start, end})
		start = end
	}
	return append(out, [2]int64{start, size}), nil
}

// fastPart is one range of a source, read by one goroutine.
type fastPart struct {
	k           int
	scratch     string
	days        *dayFiles
	lines, rows int64
	left        *os.File
	leftW       *bufio.Writer
	leftLines   []int64
	cr          bool
}

func (p *fastPart) run(ctx context.Context, src Source, rg [2]int64) (err error) {
	var r io.Reader
	if rg[1] < 0 {
		rc, err := src.open()
		if err != nil {
			return err
		}
		defer rc.Close()
		r = rc
	} else {
		f, err := os.Open(src.Path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = io.NewSectionReader(f, rg[0], rg[1]-rg[0])
	}
	defer func() {
		if p.leftW != nil && err == nil {
			err = p.leftW.Flush()
		}
	}()
	const batch = 4096
	rows := make([]fastRow, batch)
	slots := make([]fastSlot, batch)
	buf := make([]byte, 4<<20)
	have, n, day, eof := 0, 0, int64(-1), false
	flush := func() error {
		if n == 0 {
			return nil
		}
		err := p.days.write(day, rows[:n])
		p.rows += int64(n)
		n = 0
		return err
	}
	for !eof {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, rerr := io.ReadFull(r, buf[have:])
		have += m
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			eof = true
		} else if rerr != nil {
			return rerr
		}
		block := buf[:have]
		for {
			i := bytes.IndexByte(block, '\n')
			if i < 0 && !(eof && len(block) > 0) {
				break
			}
			line := block
			if i >= 0 {
				line, block = block[:i], block[i+1:]
			} else {
				block = nil
			}
			p.lines++
			d, ok := parseFastCombined(line, &rows[n], &slots[n])
			if !ok {
				if err := p.leave(line); err != nil {
					return err
				}
				continue
			}
			if d != day && n > 0 { // the rows before this one are another day's
				k := n
				if err := flush(); err != nil {
					return err
				}
				rows[0], slots[0] = rows[k], slots[k]
				rows[0].point(&slots[0])
			}
			day = d
			if n++; n == batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		// The rows point into buf: write them before it is reused.
		if err := flush(); err != nil {
			return err
		}
		rest := copy(buf, block)
		if rest == len(buf) { // a line longer than the buffer: grow it
			buf = append(buf, make([]byte, len(buf))...)
		}
		have = rest
	}
	return nil
}

// leave writes a line the fast path declined to the part's leftover file.
func (p *fastPart) leave(line []byte) error {
	if p.left == nil {
		f, err := os.CreateTemp(p.scratch, fmt.Sprintf("left-%d-*.log", p.k))
		if err != nil {
			return err
		}
		p.left, p.leftW = f, bufio.NewWriterSize(f, 1<<20)
	}
	p.leftLines = append(p.leftLines, p.lines)
	p.cr = p.cr || bytes.IndexByte(line, '\r') >= 0
	p.leftW.Write(line)
	return p.leftW.WriteByte('\n')
}

// dayFiles are the fast path's open Parquet files, one a day, shared by
// the parts: a log is mostly in time order, so two parts share a day only
// where one's range ends and the other's begins. They stay open until the
// SQL's rows for the same days have joined them (absorb), so that a source
// writes one file a day. At most maxOpenDays are open; the least recently
// used is closed then, and its day gets another file if it comes back.
type dayFiles struct {
	stage string
	mu    sync.Mutex
	open  map[int64]*dayWriter
	files int
	tick  int64
}

const maxOpenDays = 8

// dayWriter is the open Parquet file of one day.
type dayWriter struct {
	mu   sync.Mutex
	path string
	f    *os.File
	w    *parquet.GenericWriter[fastRow]
	used int64
}

// writer returns the open file of day, opening it when there is none.
func (d *dayFiles) writer(day int64) (*dayWriter, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tick++
	if w := d.open[day]; w != nil {
		w.used = d.tick
		return w, nil
	}
	if len(d.open) == maxOpenDays {
		var oldest int64
		first := true
		for k, o := range d.open {
			if first || o.used < d.open[oldest].used {
				oldest, first = k, false
			}
		}
		w := d.open[oldest]
		delete(d.open, oldest)
		w.mu.Lock() // a part may be writing to it
		err := w.close()
		w.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	dir := filepath.Join(d.stage, "date="+time.Unix(day*86400, 0).UTC().Format(layout.DateFormat))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	d.files++
	path := filepath.Join(dir, fmt.Sprintf("fast-%d.parquet", d.files))
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := &dayWriter{path: path, f: f, used: d.tick, w: parquet.NewGenericWriter[fastRow](f, parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.MaxRowsPerRowGroup(122_880), parquet.CreatedBy("lambduck", "", ""))}
	d.open[day] = w
	return w, nil
}

// write appends rows of one day to that day's file.
func (d *dayFiles) write(day int64, rows []fastRow) error {
	for {
		w, err := d.writer(day)
		if err != nil {
			return err
		}
		w.mu.Lock()
		if w.w != nil { // else another part closed it since: open the day again
			_, err = w.w.Write(rows)
			w.mu.Unlock()
			return err
		}
		w.mu.Unlock()
	}
}

// absorb moves the rows of the Parquet files the SQL wrote for a day into
// that day's open file, and removes them; files of a day that is not open
// stay as they are. A file is left alone, too, when a row holds empty text
// in a column that fastRow writes as NULL when empty.
func (d *dayFiles) absorb(stage string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range d.open {
		dir := filepath.Dir(w.path)
		others, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
		if err != nil {
			return err
		}
		for _, path := range others {
			if strings.HasPrefix(filepath.Base(path), "fast-") {
				continue
			}
			rows, ok, err := readSQLRows(path)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if !ok {
				continue
			}
			if _, err := w.w.Write(rows); err != nil {
				return err
			}
			if err := os.Remove(path); err != nil {
				return err
			}
		}
	}
	return nil
}

// sqlRow reads a row the SQL wrote; every text column may be NULL.
type sqlRow struct {
	TS            int64    `parquet:"ts,optional,timestamp(microsecond)"`
	ClientIP      *string  `parquet:"client_ip,optional"`
	Method        *string  `parquet:"method,optional"`
	Path          *string  `parquet:"path,optional"`
	Query         *string  `parquet:"query,optional"`
	Protocol      *string  `parquet:"protocol,optional"`
	Status        *int16   `parquet:"status,optional"`
	Bytes         *int64   `parquet:"bytes,optional"`
	Referrer      *string  `parquet:"referrer,optional"`
	UserAgent     *string  `parquet:"user_agent,optional"`
	Host          *string  `parquet:"host,optional"`
	RequestTimeMS *float64 `parquet:"request_time_ms,optional"`
	Source        *string  `parquet:"source,optional"`
}

// readSQLRows reads a file the SQL wrote as fastRows; ok is false when a
// row does not fit one (empty text where fastRow means NULL, a NULL time or status).
func readSQLRows(path string) ([]fastRow, bool, error) {
	rows, err := parquet.ReadFile[sqlRow](path)
	if err != nil {
		return nil, false, err
	}
	out := make([]fastRow, len(rows))
	text := func(p *string, ok *bool) string {
		if p == nil {
			return ""
		}
		if *p == "" {
			*ok = false
		}
		return *p
	}
	ok := true
	for i, r := range rows {
		if r.TS == 0 || r.Status == nil || *r.Status == 0 {
			return nil, false, nil
		}
		out[i] = fastRow{TS: r.TS, ClientIP: text(r.ClientIP, &ok), Method: text(r.Method, &ok), Path: text(r.Path, &ok),
			Query: r.Query, Protocol: text(r.Protocol, &ok), Status: *r.Status, Bytes: r.Bytes, Referrer: r.Referrer,
			UserAgent: text(r.UserAgent, &ok), Host: text(r.Host, &ok), RequestTimeMS: r.RequestTimeMS, Source: text(r.Source, &ok)}
	}
	return out, ok, nil
}

// close closes every open file.
func (d *dayFiles) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var first error
	for day, w := range d.open {
		if err := w.close(); err != nil && first == nil {
			first = err
		}
		delete(d.open, day)
	}
	return first
}

func (w *dayWriter) close() error {
	err := w.w.Close()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.w = nil
	return err
}
