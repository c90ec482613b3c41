package config

import (
	"strings"
	"testing"
)

// env is a getenv over name, value pairs.
func env(kv ...string) func(string) string {
	return func(name string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == name {
				return kv[i+1]
			}
		}
		return ""
	}
}

func TestIngestFormatSetting(t *testing.T) {
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

func TestFanOutAndCompactionSettings(t *testing.T) {
	// In Lambda the function fans out over itself; on the command line over nothing.
	c, err := FromEnv(env("LAMBDUCK_DATA", "s3://b/p/", "AWS_LAMBDA_FUNCTION_NAME", "lambduck-prod"), true)
	if err != nil || c.Function != "lambduck-prod" || c.Workers != DefaultWorkers || c.FanoutBytes != DefaultFanoutBytes {
		t.Errorf("in Lambda: %q %d %d %v", c.Function, c.Workers, c.FanoutBytes, err)
	}
	if c, _ := FromEnv(env("LAMBDUCK_DATA", "s3://b/p/", "AWS_LAMBDA_FUNCTION_NAME", "lambduck-prod", "AWS_LAMBDA_FUNCTION_VERSION", "7"), true); c.Function != "lambduck-prod:7" {
		t.Errorf("a published version invokes itself: %q", c.Function)
	}
	if c, _ := FromEnv(env("AWS_LAMBDA_FUNCTION_NAME", "x"), false); c.Function != "" {
		t.Errorf("on the command line: %q", c.Function)
	}
	c, err = FromEnv(env("LAMBDUCK_FUNCTION", "arn:aws:lambda:us-east-1:1:function:w", "LAMBDUCK_WORKERS", "4",
		"LAMBDUCK_FANOUT_BYTES", "1000", "LAMBDUCK_COMPACT_KEEP_REPLACED", "true"), false)
	if err != nil || c.Function != "arn:aws:lambda:us-east-1:1:function:w" || c.Workers != 4 || c.FanoutBytes != 1000 || !c.CompactKeepReplaced {
		t.Errorf("set: %+v %v", c, err)
	}
	for _, bad := range [][2]string{{"LAMBDUCK_WORKERS", "0"}, {"LAMBDUCK_WORKERS", "many"}, {"LAMBDUCK_FANOUT_BYTES", "-1"},
		{"LAMBDUCK_COMPACT_KEEP_REPLACED", "sometimes"}} {
		if _, err := FromEnv(env(bad[0], bad[1]), false); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%s=%s: %v", bad[0], bad[1], err)
		}
	}
}
