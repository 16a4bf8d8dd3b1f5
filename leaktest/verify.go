package leaktest

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/leakproof/leakproof/internal/leakprofile"
)

// VerifyTestMain runs m's tests and exits, as [goleak.VerifyTestMain] does
// with opts, failing a binary whose tests passed if a goroutine outlived
// them. Call it from TestMain:
//
//	func TestMain(m *testing.M) {
//		leaktest.VerifyTestMain(m)
//	}
//
// After the tests pass it runs goleak's check, which waits up to about half
// a second for goroutines on their way out and then fails for any still
// alive that opts do not ignore; then, where [Available], the runtime's leak
// detection, which fails for every goroutine it proves leaked whatever opts
// say: a goroutine nothing can ever wake is never benign. The failure
// report, on stderr, names each goroutine with its wait state, its top frame
// in the caller's code, the pitfall and the fix (see [Leak]), then its
// stack. Without the profile, only goleak's half runs.
func VerifyTestMain(m *testing.M, opts ...goleak.Option) {
	// goleak.VerifyTestMain runs Run, then, if it returned 0, its own check
	// again (which passes, since Run's did), then the exit or the Cleanup
	// among opts with Run's code.
	goleak.VerifyTestMain(runner{m, opts}, opts...)
}

type runner struct {
	m    *testing.M
	opts []goleak.Option
}

func (r runner) Run() int {
	code := r.m.Run()
	if code != 0 {
		return code
	}
	if report := verifyAll(r.opts); report != "" {
		fmt.Fprint(os.Stderr, report)
		return 1
	}
	return 0
}

// verifyAll checks the whole binary, after its tests, and returns the
// report of what outlived them.
func verifyAll(opts []goleak.Option) string {
	err := goleakFind(opts)
	all, ok := leakprofile.Detect()
	if !ok {
		if err == nil {
			return ""
		}
		all = leakprofile.Stacks()
	}
	l := newLeaks(all, err)
	return l.report("outlived the tests")
}
