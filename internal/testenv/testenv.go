// Package testenv holds what only this repository's tests share: a check
// that the goroutine count came back, a way to prove in a child process
// what would leak or crash the test binary itself, a panic catcher, and the
// go command for tests that build other code.
// Users' tests want package leaktest instead.
package testenv

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// CheckGoroutines fails t unless the number of goroutines comes down to at
// most want within five seconds. It polls because a goroutine that has
// returned is still counted until its thread has torn it down, and on a
// loaded machine that thread can be descheduled for milliseconds; a lower
// count passes because a goroutine of an earlier test may have been going
// away when want was taken. Call it outside testing/synctest bubbles, whose
// clocks do not move while it waits.
func CheckGoroutines(t testing.TB, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("goroutines: %d before, %d after", want, n)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// PanicValue calls f and returns what it panicked with, or nil if it
// returned.
func PanicValue(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// childEnv carries the mode RunChild passes to the child.
const childEnv = "LEAKPROOF_TEST_CHILD_MODE"

// ChildMode returns the mode this binary was started with by RunChild, or ""
// in a normal run. A test that must leak or crash to prove a point does so
// only when ChildMode says it runs as a child, and skips otherwise.
func ChildMode() string { return os.Getenv(childEnv) }

// RunChild runs this test binary again with only the test named test, with
// ChildMode returning mode, and returns the child's stdout, its stderr and
// the error from running it (an *exec.ExitError if it exited non-zero). It
// is how a test proves something that would leak, or crash, its own binary.
// A child still running after a minute is killed and fails t.
func RunChild(t testing.TB, test, mode string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("child %s (%s) did not finish within a minute:\n%s%s", test, mode, &out, &errOut)
	}
	return out.String(), errOut.String(), err
}

// GoCommand returns a command that runs the go tool with args in dir, the
// same release as the one that built this test (GOTOOLCHAIN, GOEXPERIMENT
// and GOFLAGS pass through the environment), bounded by a five-minute
// timeout, for tests that build other code. It skips t in -short mode, or
// when no go command of this release is on the PATH.
func GoCommand(t testing.TB, dir string, args ...string) *exec.Cmd {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command")
	}
	goVersion.once.Do(func() {
		out, err := exec.Command("go", "env", "GOVERSION").Output()
		goVersion.v, goVersion.err = string(bytes.TrimSpace(out)), err
	})
	// runtime.Version appends the experiments: "go1.26.8-X:goroutineleakprofile".
	rest, same := strings.CutPrefix(runtime.Version(), goVersion.v)
	if goVersion.err != nil || goVersion.v == "" || !same || rest != "" && rest[0] != '-' && rest[0] != ' ' {
		t.Skipf("the go command on the PATH is %q (%v), not this test's %s", goVersion.v, goVersion.err, runtime.Version())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	return cmd
}

// goVersion is what `go env GOVERSION` said, asked once per test binary.
var goVersion struct {
	once sync.Once
	v    string
	err  error
}
