// Package rie runs a lambduck binary under the AWS Lambda Runtime Interface
// Emulator (aws-lambda-rie), as the function runs in Lambda: with only the
// environment it is given. The emulator tests and the benchmark (cmd/lambduck-bench) use it.
package rie

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options say what to run and how.
type Options struct {
	Emulator  string   // path of aws-lambda-rie
	Bootstrap string   // the function binary
	Dir       string   // working directory of both
	Env       []string // the function's whole environment besides PATH; nothing is inherited
	// As runs the emulator and the function as another user (nil: the caller).
	As *syscall.Credential
}

// Emulator is one running aws-lambda-rie process and the function under it.
type Emulator struct {
	URL string // http://127.0.0.1:port, the emulator's base address
	cmd *exec.Cmd
	out *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start runs o.Bootstrap under o.Emulator and returns once the emulator
// listens (at most 10 s).
func Start(o Options) (*Emulator, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	api, err := freePort()
	if err != nil {
		return nil, err
	}
	e := &Emulator{URL: fmt.Sprintf("http://127.0.0.1:%d", port), out: &lockedBuffer{}}
	e.cmd = exec.Command(o.Emulator, "--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", api), o.Bootstrap)
	e.cmd.Dir = o.Dir
	e.cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, o.Env...)
	if o.As != nil {
		e.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: o.As}
	}
	e.cmd.Stdout, e.cmd.Stderr = e.out, e.out
	if err := e.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return e, nil
		}
		if time.Now().After(deadline) {
			e.Stop()
			return nil, fmt.Errorf("aws-lambda-rie did not listen: %s", e.out.String())
		}
	}
}

// InvokeURL is where an invocation is POSTed (the seed's curl command).
func (e *Emulator) InvokeURL() string { return e.URL + "/2015-03-31/functions/function/invocations" }

// Invoke POSTs event and returns what the function returned; an HTTP status
// other than 200 (the emulator's own failure) is an error.
func (e *Emulator) Invoke(event string) ([]byte, error) {
	resp, err := http.Post(e.InvokeURL(), "application/json", strings.NewReader(event))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("aws-lambda-rie answered HTTP %d: %.300s", resp.StatusCode, b)
	}
	return b, err
}

// Output is what the emulator and the function have printed so far.
func (e *Emulator) Output() string { return e.out.String() }

// FunctionPID is the function process the emulator started (0 before the
// first invocation starts it).
func (e *Emulator) FunctionPID() int {
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(e.cmd.Process.Pid)).Output()
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.Split(string(out), "\n")[0]))
	return pid
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// InitMS is the Init duration the emulator reported, or -1.
func (e *Emulator) InitMS() float64 {
	m := initReport.FindStringSubmatch(e.out.String())
	if m == nil {
		return -1
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return f
}

// Stop kills the emulator and the function.
func (e *Emulator) Stop() {
	e.cmd.Process.Kill()
	e.cmd.Wait()
}

// ProcKB reads one kB figure (VmRSS, VmHWM) of a process's status, or 0.
func ProcKB(pid int, field string) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field+":") {
			n, _ := strconv.Atoi(strings.Fields(l)[1])
			return n
		}
	}
	return 0
}
