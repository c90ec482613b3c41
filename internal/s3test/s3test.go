// Package s3test gives tests a real S3 server (package s3server, Versity
// Gateway) that stops when the test ends, and the environment lambduck's S3
// code needs to reach it.
package s3test

import (
	"context"
	"os"
	"strings"
	"testing"

	"lambduck/internal/s3server"
)

// Server is a running gateway.
type Server = s3server.Server

// Credentials of the gateway's root user.
const (
	AccessKey = s3server.AccessKey
	SecretKey = s3server.SecretKey
	Region    = s3server.Region
)

// Start runs a gateway for the test and stops it at the end. It skips the
// test when LAMBDUCK_VERSITYGW is not set, unless LAMBDUCK_INTEGRATION=1.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	bin := os.Getenv("LAMBDUCK_VERSITYGW")
	if bin == "" {
		if os.Getenv("LAMBDUCK_INTEGRATION") == "1" {
			t.Fatal("LAMBDUCK_VERSITYGW is not set: the test command installs versitygw and sets it")
		}
		t.Skip("LAMBDUCK_VERSITYGW not set (the README's test command installs the S3 server)")
	}
	s, err := s3server.Launch(bin, t.TempDir(), buckets...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Env sets, for the test, exactly the variables lambduck's S3 code reads
// through the SDK's default configuration, and clears the other AWS_* ones.
func Env(t *testing.T, s *Server) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	for _, kv := range s.EnvList() {
		name, value, _ := strings.Cut(kv, "=")
		t.Setenv(name, value)
	}
}

// Keys lists the keys under prefix in bucket, failing the test on an error.
func Keys(t testing.TB, s *Server, bucket, prefix string) []string {
	t.Helper()
	objs, _, err := s.Client().List(context.Background(), bucket, prefix, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	return keys
}
