// Package s3test starts a real S3 server for tests and benchmarks: Versity Gateway
// (versitygw, installed by the test command) on 127.0.0.1 with a posix
// backend in a temporary folder. It checks SigV4 signatures like S3 does.
// Nothing here fakes S3.
package s3test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"lambduck/internal/bucket"
)

// Credentials of the gateway's root user.
const (
	AccessKey = "LAMBDUCKTESTKEY"
	SecretKey = "lambduck-test-secret-key-0123456789"
	Region    = "us-east-1"
)

// Server is a running gateway.
type Server struct {
	Endpoint string // http://127.0.0.1:port
	Dir      string // the posix backend: one folder per bucket
	cmd      *exec.Cmd
	bin      string
	port     int
}

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
	s, err := Launch(bin, t.TempDir(), buckets...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Launch starts a gateway from a program (benchmarks): bin is versitygw,
// dir its backend folder. Stop it when done.
func Launch(bin, dir string, buckets ...string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, bin: bin}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	s.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", s.port)
	if err := s.start(); err != nil {
		return nil, err
	}
	c := s.Client()
	for _, b := range buckets {
		if err := c.CreateBucket(context.Background(), b); err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

func (s *Server) start() error {
	s.cmd = exec.Command(s.bin, "--access", AccessKey, "--secret", SecretKey, "--region", Region,
		"--port", fmt.Sprintf("127.0.0.1:%d", s.port), "--quiet", "posix", s.Dir)
	s.cmd.Env = []string{"PATH=/usr/bin:/bin"}
	log, err := os.Create(filepath.Join(os.TempDir(), fmt.Sprintf("versitygw-%d.log", s.port)))
	if err == nil {
		s.cmd.Stdout, s.cmd.Stderr = log, log
	}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port)); err == nil {
			c.Close()
			return nil
		}
	}
	return fmt.Errorf("versitygw did not listen on %d", s.port)
}

// Stop ends the server (a fault test may stop it mid-request).
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Restart starts a stopped server again on the same port and folder.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

// Config is an SDK configuration for the server, built explicitly so that
// nothing of the machine's AWS_* environment reaches it.
func (s *Server) Config(access, secret string) aws.Config {
	return aws.Config{
		Region:       Region,
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(access, secret, ""),
	}
}

// Client is a lambduck S3 client for the server, with the root user.
func (s *Server) Client() *bucket.Client {
	return bucket.NewFromConfig(s.Config(AccessKey, SecretKey), true)
}

// Env sets, for the test, exactly the variables lambduck's S3 code reads
// through the SDK's default configuration, and clears the other AWS_* ones.
func (s *Server) Env(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if len(kv) > 4 && kv[:4] == "AWS_" {
			name := kv[:indexByte(kv, '=')]
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	t.Setenv("AWS_ENDPOINT_URL_S3", s.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("LAMBDUCK_S3_PATH_STYLE", "true")
}

// EnvList is the same as a list, for child processes (the Lambda emulator).
func (s *Server) EnvList() []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint, "AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=" + Region, "AWS_EC2_METADATA_DISABLED=true", "LAMBDUCK_S3_PATH_STYLE=true",
	}
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return len(s)
}
