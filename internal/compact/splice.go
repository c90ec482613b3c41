package compact

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"reflect"
	"slices"
	"sync"

	ddzstd "github.com/DataDog/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/bloom"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"lambduck/internal/layout"
)

// A splice writes many Parquet files' rows as one file without decoding
// and encoding the values again: each column chunk of the output is its
// inputs' pages one after another. Pages that are not dictionary-encoded
// are copied byte for byte; a dictionary-encoded page gets its indices
// into the merged dictionary (decoded, mapped and encoded again, which
// costs a fraction of encoding the values). Small inputs' row groups are
// gathered into row groups of up to spliceRowGroupRows rows, so a
// compacted day reads like a day DuckDB wrote at once. Row order is the
// inputs' order, as the manifest records.
//
// Where anything is not as the splice expects (another schema than the
// layout's, encryption, a nested column, a page type it does not know),
// it says so with a notSpliceable error and the caller rewrites the files
// with DuckDB instead, which is the definition (docs/decisions.md).

// spliceRowGroupRows is DuckDB's default row group size.
const spliceRowGroupRows = 122_880

// notSpliceable says why files cannot be spliced; they are rewritten by
// DuckDB instead.
type notSpliceable struct{ why string }

func (e notSpliceable) Error() string { return "compact: not spliceable: " + e.why }

func cannot(format string, args ...any) error {
	return notSpliceable{fmt.Sprintf(format, args...)}
}

// isNotSpliceable reports whether err is the splice declining.
func isNotSpliceable(err error) bool {
	var ns notSpliceable
	return errors.As(err, &ns)
}

var parquetMagic = []byte("PAR1")

// parquetFile is one input: its bytes and its footer.
type parquetFile struct {
	name string
	r    io.ReaderAt
	meta format.FileMetaData
}

// readFooter reads a Parquet file's footer; a file that is not plain
// Parquet is not spliceable.
func readFooter(name string, r io.ReaderAt, size int64) (*parquetFile, error) {
	if size < 12 {
		return nil, cannot("%s: %d bytes is not a Parquet file", name, size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, err
	}
	var head [4]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, err
	}
	if !bytes.Equal(tail[4:], parquetMagic) || !bytes.Equal(head[:], parquetMagic) {
		return nil, cannot("%s: not a plain Parquet file (encrypted or not Parquet)", name)
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n <= 0 || n > size-12 {
		return nil, cannot("%s: footer of %d bytes in a file of %d", name, n, size)
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, size-8-n); err != nil {
		return nil, err
	}
	f := &parquetFile{name: name, r: r}
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), b, &f.meta); err != nil {
		return nil, cannot("%s: footer: %v", name, err)
	}
	return f, nil
}

// rows is the file's row count, checked against its row groups.
func (f *parquetFile) rows() (int64, error) {
	var n int64
	for _, rg := range f.meta.RowGroups {
		n += rg.NumRows
	}
	if n != f.meta.NumRows {
		return 0, cannot("%s: row groups hold %d rows, the footer says %d", f.name, n, f.meta.NumRows)
	}
	return n, nil
}

// spliceColumn is what the splice knows of one column.
type spliceColumn struct {
	leaf    format.SchemaElement
	maxDef  byte
	codec   format.CompressionCodec
	compare func(a, b []byte) int // nil: min and max are not carried over
}

// spliceSchema checks that files can be spliced together: each a flat
// table of the layout's columns, in order, all of one schema and one
// codec per column, nothing encrypted.
func spliceSchema(files []*parquetFile) ([]spliceColumn, error) {
	if len(files) == 0 {
		return nil, cannot("no files")
	}
	schema := files[0].meta.Schema
	if len(schema) != len(layout.Columns)+1 {
		return nil, cannot("%s: %d columns, the layout has %d", files[0].name, len(schema)-1, len(layout.Columns))
	}
	cols := make([]spliceColumn, len(layout.Columns))
	for i, c := range layout.Columns {
		leaf := schema[i+1]
		rep, _ := leaf.RepetitionType.Get()
		typ, ok := leaf.Type.Get()
		if leaf.Name != c.Name || !ok || (rep != format.Optional && rep != format.Required) {
			return nil, cannot("%s: column %d is %q, not a flat %q", files[0].name, i, leaf.Name, c.Name)
		}
		if n, _ := leaf.NumChildren.Get(); n != 0 {
			return nil, cannot("%s: column %s is nested", files[0].name, leaf.Name)
		}
		cols[i] = spliceColumn{leaf: leaf, compare: comparator(leaf, typ)}
		if rep == format.Optional {
			cols[i].maxDef = 1
		}
	}
	codecs := make([]bool, len(cols)) // the column's codec is known
	for _, f := range files {
		s := f.meta.Schema
		if len(s) != len(schema) || s[0].NumChildren != schema[0].NumChildren {
			return nil, cannot("%s: another schema than %s's", f.name, files[0].name)
		}
		for i := range cols {
			a, b := s[i+1], schema[i+1]
			a.FieldID, b.FieldID = 0, 0
			if !reflect.DeepEqual(a, b) {
				return nil, cannot("%s: column %s differs from %s's", f.name, a.Name, files[0].name)
			}
			// Min and max keep their meaning only in the type's own order.
			if len(f.meta.ColumnOrders) != len(cols) {
				cols[i].compare = nil
			} else if _, ok := f.meta.ColumnOrders[i].Value.(*format.TypeDefinedOrder); !ok {
				cols[i].compare = nil
			}
		}
		if f.meta.EncryptionAlgorithm.Value != nil {
			return nil, cannot("%s: encrypted", f.name)
		}
		for _, rg := range f.meta.RowGroups {
			if len(rg.Columns) != len(cols) {
				return nil, cannot("%s: a row group of %d columns", f.name, len(rg.Columns))
			}
			for i, cc := range rg.Columns {
				m := cc.MetaData
				if cc.FilePath != "" || len(cc.EncryptedColumnMetadata) > 0 || !reflect.ValueOf(cc.CryptoMetadata).IsZero() {
					return nil, cannot("%s: column %s is in another file or encrypted", f.name, cols[i].leaf.Name)
				}
				if typ, _ := cols[i].leaf.Type.Get(); m.Type != typ {
					return nil, cannot("%s: column %s's chunk is %v", f.name, cols[i].leaf.Name, m.Type)
				}
				if !codecs[i] {
					cols[i].codec, codecs[i] = m.Codec, true
				}
				if m.Codec != cols[i].codec {
					return nil, cannot("column %s: both %v and %v", cols[i].leaf.Name, cols[i].codec, m.Codec)
				}
			}
		}
	}
	return cols, nil
}

// comparator orders a column's plain-encoded values as its type's order
// does, where that is simple; nil where min and max are not carried over.
func comparator(leaf format.SchemaElement, typ format.Type) func(a, b []byte) int {
	ct, hasCT := leaf.ConvertedType.Get()
	unsigned := hasCT && ct >= deprecated.Uint8 && ct <= deprecated.Uint64
	if it, ok := leaf.LogicalType.Value.(*format.IntType); ok {
		unsigned = !it.IsSigned
	}
	fixed := func(size int, cmp func(a, b []byte) int) func(a, b []byte) int {
		return func(a, b []byte) int {
			if len(a) != size || len(b) != size {
				panic(errBadStat)
			}
			return cmp(a, b)
		}
	}
	switch typ {
	case format.Boolean:
		return fixed(1, func(a, b []byte) int { return int(a[0]&1) - int(b[0]&1) })
	case format.Int32:
		if unsigned {
			return fixed(4, func(a, b []byte) int { return cmp3(binary.LittleEndian.Uint32(a), binary.LittleEndian.Uint32(b)) })
		}
		return fixed(4, func(a, b []byte) int {
			return cmp3(int32(binary.LittleEndian.Uint32(a)), int32(binary.LittleEndian.Uint32(b)))
		})
	case format.Int64:
		if unsigned {
			return fixed(8, func(a, b []byte) int { return cmp3(binary.LittleEndian.Uint64(a), binary.LittleEndian.Uint64(b)) })
		}
		return fixed(8, func(a, b []byte) int {
			return cmp3(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
		})
	case format.Float:
		return fixed(4, func(a, b []byte) int {
			x, y := math.Float32frombits(binary.LittleEndian.Uint32(a)), math.Float32frombits(binary.LittleEndian.Uint32(b))
			if x != x || y != y {
				panic(errBadStat)
			}
			return cmp3(x, y)
		})
	case format.Double:
		return fixed(8, func(a, b []byte) int {
			x, y := math.Float64frombits(binary.LittleEndian.Uint64(a)), math.Float64frombits(binary.LittleEndian.Uint64(b))
			if x != x || y != y {
				panic(errBadStat)
			}
			return cmp3(x, y)
		})
	case format.ByteArray:
		switch leaf.LogicalType.Value.(type) {
		case nil, *format.StringType, *format.EnumType, *format.JsonType, *format.BsonType:
			if hasCT && ct == deprecated.Decimal {
				return nil
			}
			return bytes.Compare
		}
	}
	return nil
}

// errBadStat is a statistic a comparator cannot order (a NaN, a value of
// the wrong size): the column's min and max are then left out.
var errBadStat = errors.New("statistic out of order")

func cmp3[T int32 | int64 | uint32 | uint64 | float32 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// splice writes the rows of files, in order, to w as one Parquet file and
// returns how many rows it wrote.
func splice(w io.Writer, files []*parquetFile) (int64, error) {
	cols, err := spliceSchema(files)
	if err != nil {
		return 0, err
	}
	out := &countingWriter{w: bufio.NewWriterSize(w, 1<<20)}
	out.Write(parquetMagic)
	// Row groups gathered into output row groups of at most
	// spliceRowGroupRows rows (a larger one stays alone).
	type ref struct {
		f  *parquetFile
		rg int
	}
	var groups [][]ref
	var size int64
	for _, f := range files {
		for i, rg := range f.meta.RowGroups {
			if rg.NumRows == 0 {
				continue
			}
			if len(groups) == 0 || size+rg.NumRows > spliceRowGroupRows {
				groups = append(groups, nil)
				size = 0
			}
			groups[len(groups)-1] = append(groups[len(groups)-1], ref{f, i})
			size += rg.NumRows
		}
	}
	if len(groups) > math.MaxInt16 {
		return 0, cannot("%d row groups", len(groups))
	}
	var meta format.FileMetaData
	meta.Version = 1
	var blooms [][]byte // per output column chunk, in order: its bloom filter or nil
	cw := chunkWriters.Get().(*chunkWriter)
	defer chunkWriters.Put(cw)
	for g, group := range groups {
		rg := format.RowGroup{FileOffset: out.n, Ordinal: int16(g)}
		for _, r := range group {
			rg.NumRows += r.f.meta.RowGroups[r.rg].NumRows
		}
		for c := range cols {
			cw.reset(&cols[c])
			for _, r := range group {
				if err := cw.add(r.f, &r.f.meta.RowGroups[r.rg].Columns[c].MetaData); err != nil {
					return 0, err
				}
			}
			if cw.values != rg.NumRows {
				return 0, fmt.Errorf("compact: column %s: %d values in %d rows", cols[c].leaf.Name, cw.values, rg.NumRows)
			}
			cc, bloom, err := cw.write(out)
			if err != nil {
				return 0, err
			}
			rg.Columns = append(rg.Columns, cc)
			rg.TotalByteSize += cc.MetaData.TotalUncompressedSize
			rg.TotalCompressedSize += cc.MetaData.TotalCompressedSize
			blooms = append(blooms, bloom)
		}
		meta.RowGroups = append(meta.RowGroups, rg)
		meta.NumRows += rg.NumRows
	}
	// Bloom filters after the row groups, as DuckDB places them.
	for i, b := range blooms {
		if b == nil {
			continue
		}
		m := &meta.RowGroups[i/len(cols)].Columns[i%len(cols)].MetaData
		m.BloomFilterOffset, m.BloomFilterLength = out.n, int32(len(b))
		out.Write(b)
	}
	for _, f := range files {
		meta.Version = max(meta.Version, f.meta.Version)
	}
	meta.Schema = files[0].meta.Schema
	meta.CreatedBy = "lambduck compact"
	orders := true
	for _, f := range files {
		orders = orders && len(f.meta.ColumnOrders) == len(cols)
	}
	if orders {
		meta.ColumnOrders = files[0].meta.ColumnOrders
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &meta)
	if err != nil {
		return 0, err
	}
	out.Write(footer)
	out.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(footer))))
	out.Write(parquetMagic)
	if err := out.flush(); err != nil {
		return 0, err
	}
	return meta.NumRows, nil
}

// countingWriter knows its offset; the first write error sticks.
type countingWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.err = err
	return n, err
}

func (c *countingWriter) flush() error {
	if c.err != nil {
		return c.err
	}
	return c.w.Flush()
}

// chunkWriters keeps chunk writers, their buffers and their libzstd
// context, from one day's splice to the next: growing them anew for each
// day was ≈ 15% of a splice's CPU.
var chunkWriters = sync.Pool{New: func() any { return new(chunkWriter) }}

// chunkWriter gathers one output column chunk: its inputs' pages, their
// dictionaries merged, and the statistics.
type chunkWriter struct {
	col   *spliceColumn
	codec compress.Codec
	zstd  ddzstd.Ctx // libzstd, made when first needed
	// The merged dictionary: values (plain, without a length prefix) and
	// their index.
	dict     map[string]int32
	vals     [][]byte
	dictEnc  format.Encoding
	hasDict  bool
	allDict  bool // every data page is dictionary-encoded
	pages    bytes.Buffer
	uncomp   int64 // the pages' uncompressed size, headers included
	values   int64
	nulls    int64
	min, max []byte
	minmax   bool // min and max are known for every value so far
	encs     []format.Encoding
	pend     struct { // the page being gathered
		n      int // values, nulls included
		dict   bool
		enc    format.Encoding
		levels []uint8
		idx    []int32
		values []byte
	}
	// buffers reused from chunk to chunk
	raw, plain, enc, comp []byte
	levels                []uint8
	idx                   []int32
	hdr                   thrift.BytesReader
	dec                   *thrift.Decoder
	remap                 []int32
}

func (cw *chunkWriter) reset(col *spliceColumn) {
	cw.col = col
	cw.codec = parquet.LookupCompressionCodec(col.codec)
	if cw.dict == nil {
		cw.dict = map[string]int32{}
	}
	clear(cw.dict)
	clear(cw.vals[:cap(cw.vals)]) // no value of an earlier chunk kept alive
	cw.vals = cw.vals[:0]
	cw.hasDict, cw.allDict = false, true
	cw.pages.Reset()
	cw.uncomp, cw.values, cw.nulls = 0, 0, 0
	cw.min, cw.max, cw.minmax = nil, nil, col.compare != nil
	cw.encs = cw.encs[:0]
	// A splice that stopped half-way (declined) may have left a page
	// gathered: this chunk writer comes from the pool.
	p := &cw.pend
	p.n, p.levels, p.idx, p.values = 0, p.levels[:0], p.idx[:0], p.values[:0]
	if cw.dec == nil {
		cw.hdr = new(thrift.CompactProtocol).NewReaderFromBytes(nil)
		cw.dec = thrift.NewDecoder(cw.hdr)
	}
}

// add appends one input column chunk's pages.
func (cw *chunkWriter) add(f *parquetFile, m *format.ColumnMetaData) error {
	name := cw.col.leaf.Name
	start := m.DataPageOffset
	if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
		start = m.DictionaryPageOffset
	}
	if m.TotalCompressedSize <= 0 || m.TotalCompressedSize > 1<<31 {
		return cannot("%s: column %s: a chunk of %d bytes", f.name, name, m.TotalCompressedSize)
	}
	cw.raw = grow(cw.raw, int(m.TotalCompressedSize))
	if _, err := f.r.ReadAt(cw.raw, start); err != nil {
		return fmt.Errorf("compact: %s: %w", f.name, err)
	}
	for _, e := range m.Encoding {
		if !slices.Contains(cw.encs, e) {
			cw.encs = append(cw.encs, e)
		}
	}
	cw.remap = cw.remap[:0]
	dictSeen := false
	var values, nonNull int64
	for pos := 0; pos < len(cw.raw); {
		var h format.PageHeader
		cw.hdr.ResetBytes(cw.raw[pos:])
		if err := cw.dec.Decode(&h); err != nil {
			return cannot("%s: column %s: page header: %v", f.name, name, err)
		}
		hlen := cw.hdr.BytesRead()
		end := pos + hlen + int(h.CompressedPageSize)
		if h.CompressedPageSize < 0 || h.UncompressedPageSize < 0 || end > len(cw.raw) {
			return cannot("%s: column %s: a page past its chunk", f.name, name)
		}
		header, body := cw.raw[pos:pos+hlen], cw.raw[pos+hlen:end]
		pos = end
		switch h.Type {
		case format.DictionaryPage:
			dh, _ := h.DictionaryPageHeader.Get()
			if dictSeen || values > 0 || (dh.Encoding != format.Plain && dh.Encoding != format.PlainDictionary) {
				return cannot("%s: column %s: a dictionary page out of place or in %v", f.name, name, dh.Encoding)
			}
			dictSeen = true
			plain, err := cw.decompress(body, h.UncompressedPageSize)
			if err != nil {
				return fmt.Errorf("compact: %s: column %s: %w", f.name, name, err)
			}
			if err := cw.merge(plain, int(dh.NumValues), dh.Encoding); err != nil {
				return fmt.Errorf("compact: %s: column %s: %w", f.name, name, err)
			}
		case format.DataPage:
			dh, _ := h.DataPageHeader.Get()
			plain, err := cw.decompress(body, h.UncompressedPageSize)
			if err != nil {
				return fmt.Errorf("compact: %s: column %s: %w", f.name, name, err)
			}
			lv := 0 // bytes of definition levels
			present := int64(dh.NumValues)
			if cw.col.maxDef > 0 {
				if dh.DefinitionLevelEncoding != format.RLE || len(plain) < 4 {
					return cannot("%s: column %s: definition levels in %v", f.name, name, dh.DefinitionLevelEncoding)
				}
				lv = 4 + int(binary.LittleEndian.Uint32(plain))
				if lv > len(plain) {
					return cannot("%s: column %s: definition levels past the page", f.name, name)
				}
				if present, err = cw.present(plain[4:lv], int(dh.NumValues)); err != nil {
					return fmt.Errorf("compact: %s: column %s: %w", f.name, name, err)
				}
			}
			typ, _ := cw.col.leaf.Type.Get()
			switch {
			case isDictEnc(dh.Encoding):
				if !dictSeen {
					return fmt.Errorf("compact: %s: column %s: a dictionary-encoded page without a dictionary", f.name, name)
				}
				idx, err := cw.indices(plain[lv:], int(present))
				if err != nil {
					return fmt.Errorf("compact: %s: column %s: %w", f.name, name, err)
				}
				if err := cw.gather(dh.Encoding, int(dh.NumValues), idx, nil); err != nil {
					return err
				}
			case dh.Encoding == format.Plain && typ != format.Boolean:
				if err := cw.gather(dh.Encoding, int(dh.NumValues), nil, plain[lv:]); err != nil {
					return err
				}
			default:
				if err := cw.flush(); err != nil {
					return err
				}
				cw.allDict = false
				cw.page(&h, header, body)
			}
			values += int64(dh.NumValues)
			nonNull += present
		case format.DataPageV2:
			if err := cw.flush(); err != nil {
				return err
			}
			dh, _ := h.DataPageHeaderV2.Get()
			lv := int(dh.DefinitionLevelsByteLength) + int(dh.RepetitionLevelsByteLength)
			present := int64(dh.NumValues) - int64(dh.NumNulls)
			if lv < 0 || lv > len(body) || present < 0 || dh.RepetitionLevelsByteLength != 0 {
				return cannot("%s: column %s: a v2 page's levels", f.name, name)
			}
			if isDictEnc(dh.Encoding) {
				if !dictSeen {
					return fmt.Errorf("compact: %s: column %s: a dictionary-encoded page without a dictionary", f.name, name)
				}
				compressed := true
				if v, ok := dh.IsCompressed.Get(); ok {
					compressed = v
				}
				data := body[lv:]
				if compressed {
					var err error
					if data, err = cw.decompress(data, h.UncompressedPageSize-int32(lv)); err != nil {
						return fmt.Errorf("compact: %s: column %s: %w", f.name, name, err)
					}
				}
				idx, err := cw.indices(data, int(present))
				if err != nil {
					return fmt.Errorf("compact: %s: column %s: %w", f.name, name, err)
				}
				vals, err := appendIndices(nil, idx)
				if err != nil {
					return err
				}
				cw.enc = append(append(cw.enc[:0], body[:lv]...), vals...)
				uncomp := len(cw.enc)
				if compressed {
					comp, err := cw.compress(cw.comp[:0], vals)
					if err != nil {
						return err
					}
					cw.comp = comp
					cw.enc = append(cw.enc[:lv], comp...)
				}
				h.UncompressedPageSize, h.CompressedPageSize, h.CRC = int32(uncomp), int32(len(cw.enc)), 0
				if err := cw.page(&h, nil, cw.enc); err != nil {
					return err
				}
			} else {
				cw.allDict = false
				cw.page(&h, header, body)
			}
			values += int64(dh.NumValues)
			nonNull += present
		default:
			return cannot("%s: column %s: a page of type %v", f.name, name, h.Type)
		}
	}
	if values != m.NumValues {
		return fmt.Errorf("compact: %s: column %s: pages hold %d values, the chunk says %d", f.name, name, values, m.NumValues)
	}
	cw.values += values
	cw.nulls += values - nonNull
	if nonNull > 0 && cw.minmax {
		cw.stat(m.Statistics.MinValue, m.Statistics.MaxValue)
	}
	return nil
}

// stat folds one chunk's min and max into the chunk's.
func (cw *chunkWriter) stat(lo, hi []byte) {
	defer func() {
		if r := recover(); r != nil {
			if r != errBadStat {
				panic(r)
			}
			cw.minmax = false
		}
	}()
	if lo == nil || hi == nil {
		cw.minmax = false
		return
	}
	cmp := cw.col.compare
	cmp(lo, hi) // checks both
	if cw.min == nil || cmp(lo, cw.min) < 0 {
		cw.min = append(cw.min[:0:0], lo...)
	}
	if cw.max == nil || cmp(hi, cw.max) > 0 {
		cw.max = append(cw.max[:0:0], hi...)
	}
}

// page appends one page: header as it was (when not nil) or h encoded.
func (cw *chunkWriter) page(h *format.PageHeader, header, body []byte) error {
	if header == nil {
		b, err := thrift.Marshal(new(thrift.CompactProtocol), h)
		if err != nil {
			return err
		}
		header = b
	}
	cw.pages.Write(header)
	cw.pages.Write(body)
	cw.uncomp += int64(len(header)) + int64(h.UncompressedPageSize)
	return nil
}

// compress compresses a page's bytes with the column's codec: zstd, the
// usual one, with libzstd at DuckDB's level (3), faster than the pure-Go
// encoder on these pages (docs/performance.md); any other codec with
// parquet-go's. decompress likewise.
func (cw *chunkWriter) compress(dst, src []byte) ([]byte, error) {
	if cw.col.codec == format.Zstd {
		if n := ddzstd.CompressBound(len(src)); cap(dst) < n {
			dst = make([]byte, 0, n+n/4)
		}
		return cw.libzstd().CompressLevel(dst, src, zstdLevel)
	}
	return cw.codec.Encode(dst, src)
}

// zstdLevel is DuckDB's default zstd level, which ingest's files have too.
const zstdLevel = 3

func (cw *chunkWriter) libzstd() ddzstd.Ctx {
	if cw.zstd == nil {
		cw.zstd = ddzstd.NewCtx()
	}
	return cw.zstd
}

func (cw *chunkWriter) decompress(body []byte, size int32) ([]byte, error) {
	if cw.col.codec == format.Uncompressed {
		return body, nil
	}
	var plain []byte
	if cw.col.codec == format.Zstd && size > 0 {
		cw.plain = grow(cw.plain, int(size))
		n, err := cw.libzstd().DecompressInto(cw.plain, body)
		if err != nil {
			return nil, err
		}
		plain = cw.plain[:n]
	} else {
		var err error
		if plain, err = cw.codec.Decode(cw.plain[:0], body); err != nil {
			return nil, err
		}
		cw.plain = plain
	}
	if len(plain) != int(size) {
		return nil, fmt.Errorf("a page of %d bytes decompressed to %d", size, len(plain))
	}
	return plain, nil
}

// present counts the non-null values of a page from its definition levels
// (RLE, bit width 1).
func (cw *chunkWriter) present(levels []byte, n int) (int64, error) {
	var err error
	cw.levels, err = (&rle.Encoding{BitWidth: 1}).DecodeLevels(cw.levels[:0], levels)
	if err != nil {
		return 0, err
	}
	if len(cw.levels) < n {
		return 0, fmt.Errorf("%d definition levels for %d values", len(cw.levels), n)
	}
	var p int64
	for _, l := range cw.levels[:n] {
		p += int64(l & 1)
	}
	return p, nil
}

// merge adds one input's dictionary page (plain values) to the merged
// dictionary and sets remap: the input's index → the merged one.
func (cw *chunkWriter) merge(plain []byte, n int, enc format.Encoding) error {
	if !cw.hasDict {
		cw.hasDict, cw.dictEnc = true, enc
	}
	typ, _ := cw.col.leaf.Type.Get()
	width := 0
	switch typ {
	case format.Int32, format.Float:
		width = 4
	case format.Int64, format.Double:
		width = 8
	case format.Int96:
		width = 12
	case format.FixedLenByteArray:
		w, _ := cw.col.leaf.TypeLength.Get()
		width = int(w)
	case format.ByteArray:
	default:
		return cannot("a dictionary of %v", typ)
	}
	for i := 0; i < n; i++ {
		var v []byte
		if typ == format.ByteArray {
			if len(plain) < 4 || int(binary.LittleEndian.Uint32(plain)) > len(plain)-4 {
				return fmt.Errorf("dictionary: value %d past the page", i)
			}
			l := int(binary.LittleEndian.Uint32(plain))
			v, plain = plain[4:4+l], plain[4+l:]
		} else {
			if width <= 0 || len(plain) < width {
				return fmt.Errorf("dictionary: value %d past the page", i)
			}
			v, plain = plain[:width], plain[width:]
		}
		id, ok := cw.dict[string(v)]
		if !ok {
			if len(cw.vals) == math.MaxInt32 {
				return cannot("a dictionary of %d values", len(cw.vals))
			}
			id = int32(len(cw.vals))
			v = bytes.Clone(v)
			cw.dict[string(v)] = id
			cw.vals = append(cw.vals, v)
		}
		cw.remap = append(cw.remap, id)
	}
	return nil
}

// indices returns a page's n dictionary indices (bit width, then RLE) as
// indices into the merged dictionary.
func (cw *chunkWriter) indices(data []byte, n int) ([]int32, error) {
	if n == 0 {
		return cw.idx[:0], nil
	}
	if len(data) < 1 {
		return nil, fmt.Errorf("a dictionary-encoded page without indices")
	}
	width := int(data[0])
	if width > 32 {
		return nil, fmt.Errorf("indices of %d bits", width)
	}
	if width == 0 {
		cw.idx = append(cw.idx[:0], make([]int32, n)...)
	} else {
		var err error
		if cw.idx, err = (&rle.Encoding{BitWidth: width}).DecodeInt32(cw.idx[:0], data[1:]); err != nil {
			return nil, err
		}
	}
	if len(cw.idx) < n {
		return nil, fmt.Errorf("%d indices for %d values", len(cw.idx), n)
	}
	idx := cw.idx[:n]
	for i, x := range idx {
		if x < 0 || int(x) >= len(cw.remap) {
			return nil, fmt.Errorf("index %d of a dictionary of %d", x, len(cw.remap))
		}
		idx[i] = cw.remap[x]
	}
	return idx, nil
}

// appendIndices appends dictionary indices as a page holds them: their
// bit width, then RLE.
func appendIndices(dst []byte, idx []int32) ([]byte, error) {
	var top int32
	for _, x := range idx {
		top = max(top, x)
	}
	width := max(1, bits.Len32(uint32(top)))
	enc, err := (&rle.Encoding{BitWidth: width}).EncodeInt32(nil, idx)
	return append(append(dst, byte(width)), enc...), err
}

// A run of consecutive v1 pages of one kind (dictionary indices, or plain
// values) is written as one page: a day of small files is otherwise a
// chunk of small pages, which compress worse (≈ 10% more bytes) and which
// DuckDB reads 1.65× slower.
const gatherBytes = 1 << 20 // a gathered page's values, at most

// gather adds a v1 page's values — its definition levels (cw.levels) and
// either merged indices or plain values — to the page being gathered.
func (cw *chunkWriter) gather(enc format.Encoding, n int, idx []int32, plain []byte) error {
	p := &cw.pend
	dict := idx != nil || isDictEnc(enc)
	if p.n > 0 && (p.dict != dict || (!dict && p.enc != enc) || len(p.values)+len(plain) > gatherBytes || p.n+n > 1<<24) {
		if err := cw.flush(); err != nil {
			return err
		}
	}
	if p.n == 0 {
		p.dict, p.enc = dict, enc
	}
	if !dict {
		cw.allDict = false
	}
	p.n += n
	if cw.col.maxDef > 0 {
		p.levels = append(p.levels, cw.levels[:n]...)
	}
	p.idx = append(p.idx, idx...)
	p.values = append(p.values, plain...)
	return nil
}

// flush writes the gathered page, if any.
func (cw *chunkWriter) flush() error {
	p := &cw.pend
	if p.n == 0 {
		return nil
	}
	cw.enc = cw.enc[:0]
	if cw.col.maxDef > 0 {
		lv, err := (&rle.Encoding{BitWidth: 1}).EncodeLevels(cw.comp[:0], p.levels)
		if err != nil {
			return err
		}
		cw.enc = binary.LittleEndian.AppendUint32(cw.enc, uint32(len(lv)))
		cw.enc = append(cw.enc, lv...)
	}
	if p.dict {
		var err error
		if cw.enc, err = appendIndices(cw.enc, p.idx); err != nil {
			return err
		}
	} else {
		cw.enc = append(cw.enc, p.values...)
	}
	body := cw.enc
	if cw.col.codec != format.Uncompressed {
		comp, err := cw.compress(cw.comp[:0], cw.enc)
		if err != nil {
			return err
		}
		cw.comp, body = comp, comp
	}
	h := format.PageHeader{Type: format.DataPage, UncompressedPageSize: int32(len(cw.enc)), CompressedPageSize: int32(len(body))}
	h.DataPageHeader.Set(format.DataPageHeader{NumValues: int32(p.n), Encoding: p.enc, DefinitionLevelEncoding: format.RLE, RepetitionLevelEncoding: format.RLE})
	if err := cw.page(&h, nil, body); err != nil {
		return err
	}
	p.n, p.levels, p.idx, p.values = 0, p.levels[:0], p.idx[:0], p.values[:0]
	return nil
}

// write writes the chunk: the merged dictionary, then the pages. It
// returns the chunk's metadata and, for a chunk all of whose values are in
// its dictionary, its bloom filter (header and bitset).
func (cw *chunkWriter) write(out *countingWriter) (format.ColumnChunk, []byte, error) {
	if err := cw.flush(); err != nil {
		return format.ColumnChunk{}, nil, err
	}
	typ, _ := cw.col.leaf.Type.Get()
	m := format.ColumnMetaData{
		Type:         typ,
		Encoding:     slices.Clone(cw.encs),
		PathInSchema: []string{cw.col.leaf.Name},
		Codec:        cw.col.codec,
		NumValues:    cw.values,
	}
	start := out.n
	if cw.hasDict {
		cw.enc = cw.enc[:0]
		for _, v := range cw.vals {
			if typ == format.ByteArray {
				cw.enc = binary.LittleEndian.AppendUint32(cw.enc, uint32(len(v)))
			}
			cw.enc = append(cw.enc, v...)
		}
		if len(cw.enc) > math.MaxInt32 {
			return chunkOf(m, start), nil, cannot("column %s: a dictionary of %d bytes", cw.col.leaf.Name, len(cw.enc))
		}
		body := cw.enc
		if cw.col.codec != format.Uncompressed {
			comp, err := cw.compress(cw.comp[:0], cw.enc)
			if err != nil {
				return chunkOf(m, start), nil, err
			}
			cw.comp, body = comp, comp
		}
		h := format.PageHeader{Type: format.DictionaryPage, UncompressedPageSize: int32(len(cw.enc)), CompressedPageSize: int32(len(body))}
		h.DictionaryPageHeader.Set(format.DictionaryPageHeader{NumValues: int32(len(cw.vals)), Encoding: cw.dictEnc})
		header, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
		if err != nil {
			return chunkOf(m, start), nil, err
		}
		m.DictionaryPageOffset = out.n
		out.Write(header)
		out.Write(body)
		m.TotalUncompressedSize += int64(len(header) + len(cw.enc))
	}
	m.DataPageOffset = out.n
	out.Write(cw.pages.Bytes())
	m.TotalUncompressedSize += cw.uncomp
	m.TotalCompressedSize = out.n - start
	m.Statistics.NullCount = cw.nulls
	if cw.minmax && cw.min != nil {
		m.Statistics.MinValue, m.Statistics.MaxValue = cw.min, cw.max
	}
	var filter []byte
	if cw.hasDict && cw.allDict && len(cw.vals) > 0 {
		f := make(bloom.SplitBlockFilter, max(1, bloom.NumSplitBlocksOf(int64(len(cw.vals)), 16)))
		for _, v := range cw.vals {
			f.Insert(bloom.XXH64{}.Sum64(v))
		}
		var h format.BloomFilterHeader
		h.NumBytes = int32(len(f.Bytes()))
		h.Algorithm.Value = &format.SplitBlockAlgorithm{}
		h.Hash.Value = &format.XxHash{}
		h.Compression.Value = &format.BloomFilterUncompressed{}
		header, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
		if err != nil {
			return chunkOf(m, start), nil, err
		}
		filter = append(header, f.Bytes()...)
	}
	return chunkOf(m, start), filter, out.err
}

func chunkOf(m format.ColumnMetaData, start int64) format.ColumnChunk {
	return format.ColumnChunk{FileOffset: start, MetaData: m}
}

func isDictEnc(e format.Encoding) bool {
	return e == format.PlainDictionary || e == format.RLEDictionary
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
