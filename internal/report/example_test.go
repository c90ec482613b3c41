package report_test

import (
	"fmt"

	"lambduck/internal/report"
)

// The catalog holds the built-in reports (and a folder of the user's own):
// each is SQL with a declared header, and Bind checks a caller's values
// against it.
func ExampleCatalog() {
	catalog, err := report.Load("", nil)
	if err != nil {
		panic(err)
	}
	r, err := catalog.Find("top_paths")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Name, "-", r.Description)
	for _, p := range r.Params {
		fmt.Printf("param %s %s default %s\n", p.Name, p.Type, p.DefaultText())
	}
	args, err := r.Bind(map[string]any{"limit": "5"})
	fmt.Println(args, err)
	_, err = r.Bind(map[string]any{"limit": "many"})
	fmt.Println(err)
	_, err = catalog.Find("nope")
	fmt.Println(err != nil)
	// Output:
	// top_paths - Most requested paths in the range
	// param limit integer default 20
	// map[limit:5] <nil>
	// params.limit: "many" is not an integer
	// true
}
