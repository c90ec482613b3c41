// Package s3server starts a real S3 server for tests and benchmarks:
// Versity Gateway (versitygw, which the test command installs) on 127.0.0.1
// with a posix backend in a folder. It checks SigV4 signatures like S3 does.
// Nothing here fakes S3. It is a harness: the lambduck binary never links it
// (a test checks), since it holds the test server's fixed credentials.
package s3server

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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

// Launch starts a gateway: bin is versitygw, dir its backend folder, and
// each bucket is created. Stop it when done.
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
	// --keep-alive as S3 does: without it the server closes every
	// connection after one request, and each GET pays for a new one.
	s.cmd = exec.Command(s.bin, "--access", AccessKey, "--secret", SecretKey, "--region", Region,
		"--port", fmt.Sprintf("127.0.0.1:%d", s.port), "--keep-alive", "--quiet", "posix", s.Dir)
	s.cmd.Env = []string{"PATH=/usr/bin:/bin"}
	// The server's own log sits beside its backend folder (not in it: the
	// posix backend reads each folder there as a bucket).
	log, err := os.OpenFile(filepath.Join(filepath.Dir(s.Dir), "versitygw.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	s.cmd.Stdout, s.cmd.Stderr = log, log
	err = s.cmd.Start()
	log.Close() // the child has its own descriptor
	if err != nil {
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
func (s *Server) Restart() error { return s.start() }

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

// EnvList is exactly the variables lambduck's S3 code reads through the
// SDK's default configuration, for the server's root user.
func (s *Server) EnvList() []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint, "AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=" + Region, "AWS_EC2_METADATA_DISABLED=true", "LAMBDUCK_S3_PATH_STYLE=true",
	}
}
