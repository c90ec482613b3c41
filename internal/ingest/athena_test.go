package ingest

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lambduck/internal/layout"
)

// The Terraform module's Athena table declares its columns in
// athena_columns.json: they must be, name for name and type for type, what
// the Parquet files ingest writes hold (read back with DuckDB), and its
// partition template the layout's, so that the two cannot drift apart.
func TestAthenaTableMatchesIngestParquet(t *testing.T) {
	module := filepath.Join("..", "..", "deploy", "terraform", "modules", "lambduck")
	b, err := os.ReadFile(filepath.Join(module, "athena_columns.json"))
	if err != nil {
		t.Fatal(err)
	}
	var declared []struct{ Name, Type string }
	if err := json.Unmarshal(b, &declared); err != nil {
		t.Fatal(err)
	}
	dir, root := t.TempDir(), t.TempDir()
	log := filepath.Join(dir, "access.log")
	writeLines(t, log, []string{
		`203.0.113.7 - - [01/Apr/2025:10:00:00 +0000] "GET /a?x=1 HTTP/1.1" 200 512 "https://example.com/" "Mozilla/5.0"`,
	})
	ingestFiles(t, root, Options{Company: "1690"}, log)
	files, _ := filepath.Glob(filepath.Join(root, layout.CompanyPrefix("1690")+"date=*", "*.parquet"))
	if len(files) != 1 {
		t.Fatalf("ingest wrote %v", files)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false))`, files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	// How Athena (Hive's Parquet SerDe) names the types DuckDB writes.
	hive := map[string]string{"TIMESTAMP WITH TIME ZONE": "timestamp", "VARCHAR": "string", "SMALLINT": "smallint",
		"INTEGER": "int", "BIGINT": "bigint", "DOUBLE": "double", "BOOLEAN": "boolean", "DATE": "date"}
	var written []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		h, ok := hive[typ]
		if !ok {
			t.Errorf("column %s: no Athena type for DuckDB's %s", name, typ)
		}
		written = append(written, name+" "+h)
	}
	var want []string
	for _, c := range declared {
		want = append(want, c.Name+" "+c.Type)
	}
	if strings.Join(written, ", ") != strings.Join(want, ", ") {
		t.Errorf("ingest writes\n  %s\nthe Athena table declares\n  %s", strings.Join(written, ", "), strings.Join(want, ", "))
	}
	tf, err := os.ReadFile(filepath.Join(module, "athena.tf"))
	if err != nil {
		t.Fatal(err)
	}
	template := layout.CompanyPrefix("$${company_id}") + "date=$${date}/"
	if !strings.Contains(string(tf), "${var.data_prefix}"+template+`"`) {
		t.Errorf("athena.tf's storage.location.template is not the layout's %s", template)
	}
}
