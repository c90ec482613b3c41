package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"lambduck/internal/layout"
	"lambduck/internal/words"
)

// Type is a report parameter's declared type.
type Type string

const (
	String  Type = "string"
	Integer Type = "integer"
	Double  Type = "double"
	Date    Type = "date"
	Boolean Type = "boolean"
)

// maxStringParam bounds a string parameter; reports filter on values, they do not store documents.
const maxStringParam = 4096

func parseType(s string) (Type, error) {
	switch t := Type(s); t {
	case String, Integer, Double, Date, Boolean:
		return t, nil
	}
	return "", fmt.Errorf("unknown type %q (want string, integer, double, date or boolean)", s)
}

// FromString converts text (a header default, a query-string value) to the type's Go value.
func (t Type) FromString(s string) (any, error) {
	switch t {
	case String:
		if len(s) > maxStringParam {
			return nil, fmt.Errorf("longer than %d bytes", maxStringParam)
		}
		return s, nil
	case Integer:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return n, nil
	case Double:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%q is not a finite number", s)
		}
		return f, nil
	case Date:
		return layout.ParseDate(s)
	case Boolean:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a boolean", s)
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown type %q", t)
}

// FromJSON converts a JSON value (decoded with UseNumber) to the type's Go
// value. Strings are accepted for every type, so a value from a query string
// and the same value from a JSON body mean the same thing.
func (t Type) FromJSON(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return t.FromString(x)
	case json.Number:
		switch t {
		case Integer, Double:
			return t.FromString(x.String())
		}
	case bool:
		if t == Boolean {
			return x, nil
		}
	}
	return nil, fmt.Errorf("is a JSON %s; want %s", jsonKind(v), words.A(string(t)))
}

// ordered reports whether values of the type have bounds (min, max).
func (t Type) ordered() bool { return t == Integer || t == Double || t == Date }

// compare orders two typed values of one ordered type: -1, 0 or +1.
func compare(a, b any) int {
	switch x := a.(type) {
	case int64:
		return cmp.Compare(x, b.(int64))
	case float64:
		return cmp.Compare(x, b.(float64))
	case time.Time:
		return x.Compare(b.(time.Time))
	}
	return 0
}

// show writes a typed value as a header or a query string would.
func show(v any) string {
	if d, ok := v.(time.Time); ok {
		return d.Format(layout.DateFormat)
	}
	return fmt.Sprint(v)
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "value"
}
