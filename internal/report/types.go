package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"lambduck/internal/layout"
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
	case nil:
		return nil, fmt.Errorf("is null; want a %s", t)
	}
	return nil, fmt.Errorf("is a JSON %s; want a %s", jsonKind(v), t)
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
