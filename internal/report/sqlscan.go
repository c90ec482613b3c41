package report

import (
	"fmt"
	"strings"
	"unicode"
)

// sqlScan is what the catalog needs to know about a report's SQL text,
// read with strings, quoted identifiers and comments skipped.
type sqlScan struct {
	params        map[string]bool // $name references
	readsDataView bool            // the identifier access_logs appears
}

// scanSQL checks that text is one SELECT or WITH statement and collects its
// parameter references. It is a guard for authors' mistakes; the hard
// isolation boundary is DuckDB's locked configuration (see package engine).
func scanSQL(text string) (sqlScan, error) {
	s := sqlScan{params: map[string]bool{}}
	var words []string
	statementEnded := false
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '-' && strings.HasPrefix(text[i:], "--"):
			j := strings.IndexByte(text[i:], '\n')
			if j < 0 {
				i = len(text)
			} else {
				i += j + 1
			}
			continue
		case c == '/' && strings.HasPrefix(text[i:], "/*"):
			j := strings.Index(text[i+2:], "*/")
			if j < 0 {
				return s, fmt.Errorf("unterminated /* comment")
			}
			i += j + 4
			continue
		case unicode.IsSpace(rune(c)):
			i++
			continue
		}
		if statementEnded {
			return s, fmt.Errorf("only one statement is allowed (text follows a ';')")
		}
		switch {
		case c == '\'' || c == '"':
			j := closingQuote(text, i)
			if j < 0 {
				return s, fmt.Errorf("unterminated %c quote", c)
			}
			if c == '"' && strings.EqualFold(text[i+1:j], DataView) {
				s.readsDataView = true
			}
			i = j + 1
		case c == '$':
			j := i + 1
			for j < len(text) && isIdent(text[j]) {
				j++
			}
			if j < len(text) && text[j] == '$' { // $$…$$ or $tag$…$tag$ string
				tag := text[i : j+1]
				k := strings.Index(text[j+1:], tag)
				if k < 0 {
					return s, fmt.Errorf("unterminated %s string", tag)
				}
				i = j + 1 + k + len(tag)
				continue
			}
			name := text[i+1 : j]
			if name == "" || (name[0] >= '0' && name[0] <= '9') {
				return s, fmt.Errorf("positional parameter at byte %d: refer to parameters by name ($name)", i)
			}
			s.params[name] = true
			i = j
		case c == ';':
			statementEnded = true
			i++
		case c == '?':
			return s, fmt.Errorf("'?' parameter at byte %d: refer to parameters by name ($name)", i)
		case isIdent(c):
			j := i
			for j < len(text) && isIdent(text[j]) {
				j++
			}
			w := strings.ToLower(text[i:j])
			words = append(words, w)
			if w == DataView {
				s.readsDataView = true
			}
			i = j
		default:
			i++
		}
	}
	if len(words) == 0 || (words[0] != "select" && words[0] != "with") {
		return s, fmt.Errorf("the statement must be a SELECT or WITH … SELECT")
	}
	return s, nil
}

// closingQuote returns the index of the quote that closes the one at i, honouring doubled quotes.
func closingQuote(text string, i int) int {
	q := text[i]
	for j := i + 1; j < len(text); j++ {
		if text[j] == q {
			if j+1 < len(text) && text[j+1] == q {
				j++
				continue
			}
			return j
		}
	}
	return -1
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
