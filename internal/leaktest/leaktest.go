// Package leaktest is the leak check every test binary in this module runs.
//
// Each package's TestMain reads
//
//	func TestMain(m *testing.M) {
//		goleak.VerifyTestMain(leaktest.Main(m))
//	}
//
// goleak.VerifyTestMain stays visible in every package, so a reader sees at
// the package which goroutines (none) it is allowed to leave behind. Main adds
// the second opinion: when the binary was built with
// GOEXPERIMENT=goroutineleakprofile, the runtime's own goroutineleak profile
// must be empty once the tests have run. goleak finds goroutines that are
// still alive; the runtime profile finds goroutines blocked on something no
// running goroutine can reach, which is a leak whether or not a test thought
// to look. A binary fails if either check finds anything.
//
// Beside the check are the two helpers tests share: CheckGoroutines, for "the
// goroutine count came back", and RunChild, for proving in a child process
// what would leak or crash the test binary itself.
package leaktest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Main wraps m so that, after the tests pass, Run also fails the binary if
// the runtime's goroutineleak profile is not empty. Without the experiment
// the profile does not exist and Run is m.Run. Pass the result to
// goleak.VerifyTestMain, which runs it and then looks for live goroutines.
func Main(m *testing.M) goleak.TestingM {
	return runner{m}
}

type runner struct{ m *testing.M }

func (r runner) Run() int {
	code := r.m.Run()
	if code != 0 {
		return code
	}
	if report, n := RuntimeLeaks(); n > 0 {
		fmt.Fprintf(os.Stderr, "leaktest: the runtime found %d leaked goroutine(s):\n%s", n, report)
		return 1
	}
	return 0
}

// RuntimeLeaks returns the text of the runtime's goroutineleak profile and the
// number of leaked goroutines it lists. Both are empty when the binary was not
// built with GOEXPERIMENT=goroutineleakprofile; see Enabled.
func RuntimeLeaks() (report string, n int) {
	// README: goroutineleak
	p := pprof.Lookup("goroutineleak") // nil unless built with GOEXPERIMENT=goroutineleakprofile
	if p == nil {
		return "", 0
	}
	// Writing with debug=1 runs the leak-finding collection. Write twice:
	// a goroutine blocked on another leaked goroutine's channel is only
	// found unreachable by the second collection.
	var buf bytes.Buffer
	for range 2 {
		buf.Reset()
		if err := p.WriteTo(&buf, 1); err != nil {
			return fmt.Sprintf("goroutineleak profile: %v\n", err), 1
		}
	}
	report, n = buf.String(), p.Count() // n > 0: leaked goroutines, listed in report
	// README: end
	return report, n
}

// Enabled reports whether the runtime's goroutineleak profile exists in this
// binary.
func Enabled() bool { return pprof.Lookup("goroutineleak") != nil }

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

// childEnv carries the mode RunChild passes to the child.
const childEnv = "LEAKTEST_CHILD_MODE"

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
