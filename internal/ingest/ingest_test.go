package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"lambduck/internal/engine"
	"lambduck/internal/storage"
	"lambduck/internal/testkit"
)

func newEngine(t *testing.T) *engine.Engine { return testkit.Engine(t) }

func ingestFiles(t *testing.T, root string, o Options, files ...string) Summary {
	t.Helper()
	sources, err := Expand(context.Background(), files, nil, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Root = storage.Folder(root)
	sum, err := Run(context.Background(), newEngine(t), sources, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// rowsIn reads back every row under root with a plain DuckDB, one string per row.
func rowsIn(t *testing.T, root string) []string {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT company_id, date::VARCHAR, ts, client_ip, method, path, query, protocol, status, bytes,
		referrer, user_agent, host, request_time_ms, source
		FROM read_parquet('` + root + `/*/*/*.parquet', hive_partitioning = true, hive_types = {'company_id': VARCHAR, 'date': DATE})
		ORDER BY ts, client_ip, status, bytes`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]any, 15)
		ptrs := make([]any, 15)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				parts[i] = "NULL"
			case time.Time:
				parts[i] = x.UTC().Format(time.RFC3339Nano)
			default:
				parts[i] = fmt.Sprint(x)
			}
		}
		out = append(out, strings.Join(parts, " | "))
	}
	return out
}

// Each format's fixture (testdata/README.md), parsed field by field.
func TestFormatsFieldByField(t *testing.T) {
	const ua78 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36"
	cases := map[string][]string{
		"combined.log": {
			"c | 2000-10-10 | 2000-10-10T20:55:36Z | 127.0.0.1 | GET | /apache_pb.gif | NULL | HTTP/1.0 | 200 | 2326 | http://www.example.com/start.html | Mozilla/4.08 [en] (Win98; I ;Nav) | NULL | NULL | combined",
			"c | 2025-03-31 | 2025-03-31T15:30:00Z | 2001:db8::1 | POST | /api/v1/reports | company=1690&x=%20y | HTTP/2.0 | 201 | 0 | NULL | curl/8.5.0 | NULL | NULL | combined",
			`c | 2025-04-01 | 2025-04-01T12:00:00Z | 192.0.2.3 | GET | /café/日 | NULL | HTTP/1.1 | 304 | 0 | NULL | Agent "quoted" 1.0 | NULL | NULL | combined`,
		},
		"vcombined.log": {
			"c | 2000-10-10 | 2000-10-10T20:55:36Z | 127.0.0.1 | GET | /apache_pb.gif | NULL | HTTP/1.0 | 200 | 2326 | http://www.example.com/start.html | Mozilla/4.08 [en] (Win98; I ;Nav) | www.example.com | NULL | vcombined",
			"c | 2025-03-31 | 2025-03-31T15:30:00Z | 2001:db8::1 | POST | /api/v1/reports | company=1690 | HTTP/2.0 | 201 | 0 | NULL | curl/8.5.0 | example.org | NULL | vcombined",
		},
		"vcommon.log": {
			"c | 2000-10-10 | 2000-10-10T20:55:36Z | 127.0.0.1 | GET | /apache_pb.gif | NULL | HTTP/1.0 | 200 | 2326 | NULL | NULL | www.example.com | NULL | vcommon",
			"c | 2025-04-01 | 2025-04-01T12:00:01Z | 192.0.2.4 | GET | /missing | NULL | HTTP/1.1 | 404 | 153 | NULL | NULL | example.org | NULL | vcommon",
		},
		"w3c.log": {
			"c | 2025-04-01 | 2025-04-01T00:00:01Z | 192.0.2.10 | GET | /default.htm | NULL | NULL | 200 | 0 | NULL | Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) | NULL | 15 | w3c",
			"c | 2025-04-01 | 2025-04-01T00:00:02Z | 2001:db8::5 | GET | /images/café.png | NULL | NULL | 304 | 0 | https://www.example.com/default.htm | Mozilla/5.0+(X11;+Linux+x86_64) | NULL | 0 | w3c",
			"c | 2025-04-01 | 2025-04-01T00:00:03Z | 192.0.2.11 | POST | /api/orders | id=7 | NULL | 500 | 0 | NULL | curl/8.5.0 | NULL | 120 | w3c",
		},
		"awss3.log": {
			"c | 2019-02-06 | 2019-02-06T00:00:38Z | 192.0.2.3 | GET | /DOC-EXAMPLE-BUCKET1 | versioning | HTTP/1.1 | 200 | 113 | NULL | S3Console/0.4 | DOC-EXAMPLE-BUCKET1 | 7 | awss3",
			"c | 2019-02-06 | 2019-02-06T00:00:38Z | 192.0.2.3 | GET | /DOC-EXAMPLE-BUCKET1 | logging | HTTP/1.1 | 200 | 242 | NULL | S3Console/0.4 | DOC-EXAMPLE-BUCKET1 | 11 | awss3",
			"c | 2019-02-06 | 2019-02-06T00:00:38Z | 2001:db8::3 | GET | /DOC-EXAMPLE-BUCKET1/photos/2019/café.jpg | NULL | HTTP/1.1 | 404 | 243 | https://www.example.com/gallery | Mozilla/5.0 (X11; Linux x86_64) | DOC-EXAMPLE-BUCKET1 | 28 | awss3",
		},
		"awselb.log": {
			"c | 2015-05-13 | 2015-05-13T23:39:43.945958Z | 192.168.131.39 | GET | http://www.example.com:80/ | NULL | HTTP/1.1 | 200 | 29 | NULL | curl/7.38.0 | my-loadbalancer | 1.048 | awselb",
			"c | 2015-05-13 | 2015-05-13T23:39:43.945958Z | 192.168.131.39 | GET | https://www.example.com:443/ | NULL | HTTP/1.1 | 200 | 57 | NULL | curl/7.38.0 | my-loadbalancer | 1.048 | awselb",
		},
		"squid.log": {
			"c | 2010-10-08 | 2010-10-08T11:11:49Z | 192.168.0.68 | POST | http://rcv.example.com/rcv | id=7 | NULL | 200 | 507 | NULL | NULL | NULL | 921 | squid",
			"c | 2010-10-08 | 2010-10-08T11:11:49Z | 192.168.0.68 | GET | http://www.example.com/ | NULL | NULL | 200 | 1023 | NULL | NULL | NULL | 99 | squid",
			"c | 2010-10-08 | 2010-10-08T11:11:50Z | 2001:db8::68 | CONNECT | intranet.example.com:443 | NULL | NULL | 403 | 3946 | NULL | NULL | NULL | 0 | squid",
		},
		"cloudstorage.log": {
			"c | 2025-04-08 | 2025-04-08T00:00:00Z | 192.0.2.44 | GET | /download/storage/v1/b/example-bucket/o/report 2025.pdf | alt=media | NULL | 200 | 48213 | https://www.example.com/ | Mozilla/5.0 (X11; Linux x86_64) | NULL | 23 | cloudstorage",
			"c | 2025-04-08 | 2025-04-08T00:00:01.5Z | 2001:db8::44 | PUT | /upload/storage/v1/b/example-bucket/o | uploadType=media&name=a.txt | NULL | 200 | 512 | NULL | gcloud-golang/0.1 | NULL | 51 | cloudstorage",
		},
		"caddy.log": {
			"c | 2022-03-09 | 2022-03-09T21:30:01.524102Z | 127.0.0.1 | GET | / | NULL | HTTP/2.0 | 200 | 10900 | NULL | curl/7.82.0 | localhost | 0.93 | caddy",
			"c | 2025-04-01 | 2025-04-01T00:00:00.25Z | 2001:db8::7 | POST | /café/cart | item=42 | HTTP/1.1 | 502 | 0 | https://shop.example.com/ | Mozilla/5.0 (X11; Linux x86_64) | shop.example.com | 1500 | caddy",
		},
		"common.log": {
			"c | 2000-10-10 | 2000-10-10T20:55:36Z | 127.0.0.1 | GET | /apache_pb.gif | NULL | HTTP/1.0 | 200 | 2326 | NULL | NULL | NULL | NULL | common",
			"c | 2025-04-01 | 2025-04-01T12:00:01Z | 192.0.2.4 | GET | /%FF%FE | NULL | HTTP/1.1 | 404 | 153 | NULL | NULL | NULL | NULL | common",
		},
		"alb.log": {
			"c | 2018-07-02 | 2018-07-02T22:23:00.186641Z | 10.0.1.252 | GET | https://10.0.2.105:773/ | NULL | HTTP/2.0 | 200 | 257 | NULL | curl/7.46.0 | 10.0.2.105 | 2 | alb",
			"c | 2018-07-02 | 2018-07-02T22:23:00.186641Z | 192.168.131.39 | GET | https://www.example.com:443/ | NULL | HTTP/1.1 | 200 | 57 | NULL | curl/7.46.0 | www.example.com | 171 | alb",
			"c | 2018-07-02 | 2018-07-02T22:23:00.186641Z | 192.168.131.39 | GET | http://www.example.com:80/ | NULL | HTTP/1.1 | 200 | 366 | NULL | curl/7.46.0 | www.example.com | 1 | alb",
			`c | 2018-07-02 | 2018-07-02T22:23:00.186641Z | 192.168.131.39 | POST | https://www.example.com:443/api/upload | id=7 | HTTP/1.1 | 460 | 0 | NULL | Mozilla/5.0 "x" | www.example.com | NULL | alb`,
		},
		"cloudfront.log": {
			"c | 2019-12-04 | 2019-12-04T21:02:31Z | 192.0.2.100 | GET | /index.html | NULL | HTTP/2.0 | 200 | 392 | NULL | " + ua78 + " | d111111abcdef8.cloudfront.net | 1 | cloudfront",
			"c | 2019-12-13 | 2019-12-13T22:36:27Z | 192.0.2.200 | GET | /favicon.ico | NULL | HTTP/1.1 | 502 | 900 | http://www.example.com/ | " + ua78 + " | www.example.com | 102 | cloudfront",
			"c | 2019-12-13 | 2019-12-13T22:36:28Z | 2001:db8::2 | GET | /search page | q=duck&lang=ja | HTTP/1.1 | 200 | 1200 | NULL | curl/8.5.0 | www.example.com | 250 | cloudfront",
		},
		"jsonl.log": {
			"c | 2025-04-01 | 2025-04-01T10:00:00Z | 192.0.2.1 | GET | /a | x=1 | HTTP/1.1 | 200 | 100 | https://example.com/ | curl/8.5.0 | www.example.com | 12.5 | jsonl",
			"c | 2025-04-01 | 2025-04-01T10:00:00Z | 2001:db8::3 | POST | /b c | y=2 | HTTP/2.0 | 404 | 0 | NULL | nginx-json | NULL | 250 | jsonl",
		},
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			root := t.TempDir()
			sum := ingestFiles(t, root, Options{Company: "c"}, filepath.Join("testdata", file))
			s := sum.Sources[0]
			if s.Error != "" || s.Format != strings.TrimSuffix(file, ".log") || s.LinesRejected != 0 || s.RowsWritten != int64(len(want)) {
				t.Fatalf("summary %+v", s)
			}
			got := rowsIn(t, root)
			if len(got) != len(want) {
				t.Fatalf("%d rows:\n%s", len(got), strings.Join(got, "\n"))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("row %d:\n got  %s\n want %s", i+1, got[i], want[i])
				}
			}
		})
	}
}

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}
