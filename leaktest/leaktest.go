// Package leaktest fails a test binary that leaves goroutines behind, with
// two oracles: goleak, which sees every goroutine still alive when the
// tests end, and the runtime's goroutineleak profile, which sees the
// goroutines that are provably stuck, blocked on something no running
// goroutine can reach.
//
// One line in each package's tests:
//
//	func TestMain(m *testing.M) {
//		leaktest.VerifyTestMain(m)
//	}
package leaktest

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/leakproof/leakproof/internal/leakprofile"
)

// VerifyTestMain runs m's tests and exits. After the tests pass, it fails
// the binary if the runtime's goroutineleak profile lists a goroutine (when
// the profile is available; see [Available]), then, as
// [goleak.VerifyTestMain] does with opts, if any goroutine is still alive.
func VerifyTestMain(m *testing.M, opts ...goleak.Option) {
	goleak.VerifyTestMain(runner{m}, opts...)
}

type runner struct{ m *testing.M }

func (r runner) Run() int {
	code := r.m.Run()
	if code != 0 {
		return code
	}
	if report, n := leakprofile.Read(); n > 0 {
		fmt.Fprintf(os.Stderr, "leaktest: the runtime found %d leaked goroutine(s):\n%s", n, report)
		return 1
	}
	return 0
}

// Available reports whether the runtime's goroutineleak profile exists in
// this binary: on Go 1.27 it does; on Go 1.26 only when the binary was
// built with GOEXPERIMENT=goroutineleakprofile. Without it, the profile's
// half of every check is skipped.
func Available() bool { return leakprofile.Available() }
