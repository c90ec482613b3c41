package words

import "testing"

func TestWords(t *testing.T) {
	for got, want := range map[string]string{
		Plural(1, "file"):          "1 file",
		Plural(0, "file"):          "0 files",
		Plural(int64(2), "day"):    "2 days",
		Plural(3, "company"):       "3 companies",
		Plural(2, "replaced file"): "2 replaced files",
		A("alb"):                   "an alb",
		A("integer"):               "an integer",
		A("date"):                  "a date",
		A("combined"):              "a combined",
		A("nginx"):                 "an nginx",
		A("cloudfront"):            "a cloudfront",
	} {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}
