package config

import (
	"strings"
	"testing"
)

func TestIngestFormatSetting(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(name string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == name {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for in, want := range map[string]string{"": "", "VCOMBINED": "vcombined", "awsalb": "alb", "common": "common"} {
		c, err := FromEnv(env("LAMBDUCK_INGEST_FORMAT", in), false)
		if err != nil || c.IngestFormat != want {
			t.Errorf("%q: %q %v, want %q", in, c.IngestFormat, err, want)
		}
	}
	if _, err := FromEnv(env("LAMBDUCK_INGEST_FORMAT", "xml"), false); err == nil || !strings.Contains(err.Error(), "LAMBDUCK_INGEST_FORMAT") {
		t.Errorf("a bad format: %v", err)
	}
}
