package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lambduck/internal/storage"
)

func TestSelectPrunesByCompanyAndDate(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string, size int) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("company_id=1690/date=2025-03-31/a.parquet", 1)
	mk("company_id=1690/date=2025-04-01/a.parquet", 10)
	mk("company_id=1690/date=2025-04-01/b.parquet", 20)
	mk("company_id=1690/date=2025-04-02/a.parquet", 30)
	mk("company_id=1690/date=2025-04-02/.a.parquet.tmp", 5) // a writer's temporary file
	mk("company_id=1690/date=2025-04-02/notes.txt", 5)
	mk("company_id=1690/date=2025-04-04/a.parquet", 40)
	mk("company_id=16900/date=2025-04-01/a.parquet", 50) // a prefix of another tenant's id
	mk("company_id=1691/date=2025-04-01/a.parquet", 60)
	// A link planted in 1690's folder that points at 1691's data is not followed.
	if err := os.MkdirAll(filepath.Join(root, "company_id=1690/date=2025-04-03"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "company_id=1691/date=2025-04-01/a.parquet"),
		filepath.Join(root, "company_id=1690/date=2025-04-03/link.parquet")); err != nil {
		t.Fatal(err)
	}

	l, err := New(storage.Folder(root), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	sel, err := l.Select(context.Background(), "1690", d("2025-04-01"), d("2025-04-03"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Files) != 3 || sel.Bytes != 60 {
		t.Errorf("selected %v (%d bytes), want the three 1690 files of 04-01..04-02 (60 bytes)", sel.Paths(), sel.Bytes)
	}
	if _, err := l.Select(context.Background(), "../1691", d("2025-04-01"), d("2025-04-01")); err == nil {
		t.Error("an invalid company id must be refused by the store too")
	}
}
