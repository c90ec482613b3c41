package report

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Merge is how a report's answers over day-disjoint parts of a range make
// its answer over the whole range, exactly: the header's
//
//	-- merge: sum by <column>[, …]; order by <column> [desc][, …]; limit $<param>
//	-- merge: sum; distinct <column> of <access_logs column>
//
// "sum by" groups the parts' rows by the key columns and adds every other
// column (a plain "sum": one row, every column added). That is exact for
// counts and sums, and for the unique-visitor counts, whose key holds the
// date: a visitor of one part is never a visitor of another. "distinct C of
// X" (one-row reports only) makes C the count of distinct X over the whole
// range: each part answers the list of its distinct X instead, and the
// merge counts their union. "order by" orders the merged rows; "limit
// $p" applies the parameter p after the merge — a part answers every
// group, since a top-k of parts is not the top-k of the whole.
//
// A report without a merge declaration is never split.
type Merge struct {
	Keys     []string     // "sum by" columns; empty for a one-row report
	Order    []OrderItem  // "order by"
	Limit    string       // the parameter that limits the merged rows; "" when none
	Distinct []DistinctOf // one-row reports: columns counted over the whole range
}

// OrderItem is one column of "order by".
type OrderItem struct {
	Column string
	Desc   bool
}

// DistinctOf is "distinct <Column> of <Of>".
type DistinctOf struct {
	Column, Of string
}

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)

// mergeSyntax is what a merge line looks like, for errors.
const mergeSyntax = `"sum [by <columns>]; [order by <column> [desc], …]; [limit $<param>]; [distinct <column> of <column>]"`

// parseMerge reads a merge line's value; params are the header's.
func parseMerge(s string, params []Param) (*Merge, error) {
	m := &Merge{}
	sawSum := false
	for _, clause := range strings.Split(s, ";") {
		f := strings.Fields(strings.ReplaceAll(clause, ",", " , "))
		switch {
		case len(f) == 0:
			continue
		case f[0] == "sum":
			if sawSum {
				return nil, fmt.Errorf("merge: sum given twice")
			}
			sawSum = true
			if len(f) == 1 {
				continue
			}
			if f[1] != "by" {
				return nil, fmt.Errorf("merge: want \"sum\" or \"sum by <columns>\", not %q", strings.TrimSpace(clause))
			}
			for _, c := range splitCommas(f[2:]) {
				if len(c) != 1 || !identRE.MatchString(c[0]) {
					return nil, fmt.Errorf("merge: sum by: %q is not a column name", strings.Join(c, " "))
				}
				m.Keys = append(m.Keys, c[0])
			}
		case f[0] == "order" && len(f) > 2 && f[1] == "by":
			for _, c := range splitCommas(f[2:]) {
				if len(c) == 0 {
					return nil, fmt.Errorf("merge: order by: an empty item")
				}
				item := OrderItem{Column: c[0]}
				if len(c) == 2 && (strings.EqualFold(c[1], "desc") || strings.EqualFold(c[1], "asc")) {
					item.Desc = strings.EqualFold(c[1], "desc")
				} else if len(c) != 1 {
					return nil, fmt.Errorf("merge: order by: want <column> [asc|desc], not %q", strings.Join(c, " "))
				}
				if !identRE.MatchString(item.Column) {
					return nil, fmt.Errorf("merge: order by: %q is not a column name", item.Column)
				}
				m.Order = append(m.Order, item)
			}
		case f[0] == "limit" && len(f) == 2 && strings.HasPrefix(f[1], "$"):
			name := f[1][1:]
			i := slices.IndexFunc(params, func(p Param) bool { return p.Name == name })
			if i < 0 || params[i].Type != Integer {
				return nil, fmt.Errorf("merge: limit $%s is not an integer parameter of the header", name)
			}
			m.Limit = name
		case f[0] == "distinct" && len(f) == 4 && f[2] == "of":
			if !identRE.MatchString(f[1]) || !identRE.MatchString(f[3]) {
				return nil, fmt.Errorf("merge: distinct %s of %s: want column names", f[1], f[3])
			}
			m.Distinct = append(m.Distinct, DistinctOf{Column: f[1], Of: f[3]})
		default:
			return nil, fmt.Errorf("merge: %q is not a clause; want %s", strings.TrimSpace(clause), mergeSyntax)
		}
	}
	switch {
	case !sawSum:
		return nil, fmt.Errorf("merge: want %s", mergeSyntax)
	case len(m.Distinct) > 0 && len(m.Keys) > 0:
		return nil, fmt.Errorf("merge: distinct is for one-row reports (plain \"sum\"), not with sum by")
	}
	if len(m.Order) > 0 && len(m.Keys) == 0 {
		return nil, fmt.Errorf("merge: a one-row report (plain \"sum\") has no order by")
	}
	return m, nil
}

// String is the declaration as a header writes it.
func (m *Merge) String() string {
	var clauses []string
	sum := "sum"
	if len(m.Keys) > 0 {
		sum += " by " + strings.Join(m.Keys, ", ")
	}
	clauses = append(clauses, sum)
	for _, d := range m.Distinct {
		clauses = append(clauses, "distinct "+d.Column+" of "+d.Of)
	}
	if len(m.Order) > 0 {
		items := make([]string, len(m.Order))
		for i, o := range m.Order {
			items[i] = o.Column
			if o.Desc {
				items[i] += " desc"
			}
		}
		clauses = append(clauses, "order by "+strings.Join(items, ", "))
	}
	if m.Limit != "" {
		clauses = append(clauses, "limit $"+m.Limit)
	}
	return strings.Join(clauses, "; ")
}

// splitCommas splits fields at "," tokens.
func splitCommas(f []string) [][]string {
	var out [][]string
	cur := []string{}
	for _, w := range f {
		if w == "," {
			out = append(out, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, w)
	}
	return append(out, cur)
}

// Check says why the merge does not fit a result with these columns: every
// key, order and distinct column must be one of them.
func (m *Merge) Check(columns []string) error {
	has := func(c string) bool { return slices.Contains(columns, c) }
	for _, k := range m.Keys {
		if !has(k) {
			return fmt.Errorf("merge: sum by %s: the result has no column %s", k, k)
		}
	}
	for _, o := range m.Order {
		if !has(o.Column) {
			return fmt.Errorf("merge: order by %s: the result has no column %s", o.Column, o.Column)
		}
	}
	for _, d := range m.Distinct {
		if !has(d.Column) {
			return fmt.Errorf("merge: distinct %s: the result has no column %s", d.Column, d.Column)
		}
	}
	return nil
}

// PartialSQL is the statement a part runs: stmt itself, with each distinct
// column replaced by the list of its part's distinct values.
func (m *Merge) PartialSQL(stmt string) string {
	if len(m.Distinct) == 0 {
		return stmt
	}
	var repl []string
	for _, d := range m.Distinct {
		repl = append(repl, fmt.Sprintf("(SELECT list(DISTINCT %s) FROM %s) AS %s", Ident(d.Of), DataView, Ident(d.Column)))
	}
	return "SELECT * REPLACE (" + strings.Join(repl, ", ") + ") FROM (\n" + trimStatement(stmt) + "\n)"
}

// MergeSQL is the statement that merges the parts' rows, read from the view
// named from; columns and types are the parts' (a distinct column's type is
// its list's). The merged columns keep the parts' types and order.
func (m *Merge) MergeSQL(from string, columns, types []string) string {
	sel := make([]string, len(columns))
	for i, c := range columns {
		switch {
		case slices.Contains(m.Keys, c):
			sel[i] = Ident(c)
		case slices.ContainsFunc(m.Distinct, func(d DistinctOf) bool { return d.Column == c }):
			sel[i] = fmt.Sprintf("(SELECT count(DISTINCT v) FROM (SELECT unnest(%s) AS v FROM %s))::BIGINT AS %s", Ident(c), from, Ident(c))
		default:
			sel[i] = fmt.Sprintf("sum(%s)::%s AS %s", Ident(c), types[i], Ident(c))
		}
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + from
	if len(m.Keys) > 0 {
		keys := make([]string, len(m.Keys))
		for i, k := range m.Keys {
			keys[i] = Ident(k)
		}
		q += " GROUP BY " + strings.Join(keys, ", ")
	}
	if len(m.Order) > 0 {
		items := make([]string, len(m.Order))
		for i, o := range m.Order {
			items[i] = Ident(o.Column)
			if o.Desc {
				items[i] += " DESC"
			}
		}
		q += " ORDER BY " + strings.Join(items, ", ")
	}
	if m.Limit != "" {
		q += " LIMIT $" + m.Limit
	}
	return q
}

// Ident quotes a column name for SQL.
func Ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// trimStatement is a statement without its trailing semicolon, ready to nest.
func trimStatement(s string) string { return strings.TrimRight(strings.TrimSpace(s), ";") }
