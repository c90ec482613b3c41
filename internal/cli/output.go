package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"

	"lambduck/internal/handler"
	"lambduck/internal/words"
)

// printAnswer prints a report's answer in one of the output modes: table
// (for people), json (the body, indented), csv or ndjson (the rows).
func printAnswer(w io.Writer, res *handler.Result, mode string) error {
	switch {
	case res.Page != nil: // the dashboard as a page: the page itself
		_, err := w.Write(res.Page)
		return err
	case mode == "json" || res.Dashboard != nil:
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	case res.Location != "": // exported: where to, whatever the mode
		printResult(w, res)
		return nil
	case mode == "csv":
		c := csv.NewWriter(w)
		c.Write(res.Columns)
		for _, r := range res.Rows {
			rec := make([]string, len(r))
			for i, v := range r {
				if v != nil {
					rec[i] = cell(v)
				}
			}
			c.Write(rec)
		}
		c.Flush()
		return c.Error()
	case mode == "ndjson":
		for _, r := range res.Rows {
			var b bytes.Buffer
			b.WriteByte('{')
			for i, v := range r {
				if i > 0 {
					b.WriteByte(',')
				}
				k, _ := json.Marshal(res.Columns[i])
				val, err := json.Marshal(v)
				if err != nil {
					return err
				}
				b.Write(k)
				b.WriteByte(':')
				b.Write(val)
			}
			b.WriteString("}\n")
			if _, err := w.Write(b.Bytes()); err != nil {
				return err
			}
		}
		return nil
	}
	printResult(w, res)
	return nil
}

// printResult renders a result as a table — byte counts in binary units,
// as GoAccess shows them — (or where it was exported) and one line of what
// it cost.
func printResult(w io.Writer, res *handler.Result) {
	if res.Location != "" {
		fmt.Fprintf(w, "%s: %s written to %s\n", res.Report, words.Plural(res.RowCount, "row"), res.Location)
		if res.URL != "" {
			fmt.Fprintf(w, "download (presigned): %s\n", res.URL)
		}
	} else {
		rows := make([][]string, len(res.Rows))
		for i, r := range res.Rows {
			rows[i] = make([]string, len(r))
			for j, v := range r {
				rows[i][j] = cell(v)
				if isByteColumn(res.Columns[j]) {
					switch n := v.(type) {
					case int64:
						rows[i][j] = words.Bytes(n)
					case *big.Int: // sum() of BIGINT is a HUGEINT
						if n.IsInt64() {
							rows[i][j] = words.Bytes(n.Int64())
						}
					}
				}
			}
		}
		writeTable(w, res.Columns, rows)
	}
	split := ""
	if st := res.Stats; st.Shards > 1 {
		split = fmt.Sprintf(" over %s (%s at once", words.Plural(st.Shards, "shard"), words.Plural(st.Workers, "worker"))
		if st.Retries > 0 {
			split += ", " + words.Plural(st.Retries, "retry")
		}
		split += ")"
	}
	fmt.Fprintf(w, "\n%s: %s; read %s (%s)%s in %.1f ms.\n",
		res.Report, words.Plural(res.RowCount, "row"), words.Plural(res.Stats.Files, "file"), words.Bytes(res.Stats.BytesRead), split, res.Stats.DurationMS)
}

// isByteColumn says whether a column holds byte counts, by the names the
// reports use (bandwidth, bytes, …_bytes).
func isByteColumn(name string) bool {
	return name == "bandwidth" || name == "bytes" || strings.HasSuffix(name, "_bytes") || strings.HasSuffix(name, "_bandwidth")
}
