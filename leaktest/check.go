package leaktest

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leakproof/leakproof/internal/checkmode"
	"github.com/leakproof/leakproof/internal/leakprofile"
)

// Check fails t, when t's cleanups run, if a goroutine that t started
// outlived it. Call it first thing in the test, from the test's goroutine:
//
//	func TestWorker(t *testing.T) {
//		leaktest.Check(t)
//		...
//	}
//
// It is goleak.VerifyNone(t, goleak.IgnoreCurrent()) run as t's cleanup,
// opts passing through to goleak, counting only t's goroutines (below),
// plus the runtime's leak detection where [Available]: a goroutine of t's
// that the runtime proves leaked fails t whatever opts say. The report is
// [VerifyTestMain]'s.
//
// A goroutine is t's if it was started while t ran, by t's goroutine or by
// a goroutine started from it, however deep. So the goroutines of tests
// running in parallel with t, and of anything that was already running when
// Check was called (a server started in TestMain, a worker pool), are not
// t's, even when t made them start one: [VerifyTestMain] sees those when
// the tests end. A goroutine whose creator has exited cannot be traced, and
// counts as t's.
//
// At t's end, Check waits up to about half a second, as goleak does, for
// t's goroutines on their way out; a test that leaks takes about a second
// more to fail.
func Check(t testing.TB, opts ...goleak.Option) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	c := check{self: checkmode.GoID(), before: map[uint64]bool{}}
	for _, g := range leakprofile.Stacks() {
		c.before[g.ID] = true
	}
	t.Cleanup(func() {
		t.Helper() // report at the line that called Check
		if report := c.run(ignore, opts); report != "" {
			t.Error(report)
		}
	})
}

// check is one Check: what existed when it was called.
type check struct {
	self   uint64          // the goroutine that called Check: t's
	before map[uint64]bool // every goroutine then
}

// run waits for t's goroutines to end and returns the report of those that
// did not, "" if none.
func (c check) run(ignore goleak.Option, opts []goleak.Option) string {
	var mine []leakprofile.Goroutine
	for i := 0; ; i++ {
		if mine = c.started(leakprofile.Stacks()); len(mine) == 0 {
			return ""
		}
		if i == retries {
			break
		}
		time.Sleep(min(time.Microsecond<<i, 100*time.Millisecond))
	}
	// Some of t's goroutines are still there. Ask the runtime which it can
	// prove leaked, then goleak which of the others opts leave in.
	if all, ok := leakprofile.Detect(); ok {
		mine = c.started(all)
	}
	var ids map[uint64]bool
	var err error
	for _, g := range mine {
		if !g.Leaked {
			err = goleakFind(opts, ignore)
			ids = goleakIDs(err)
			break
		}
	}
	var l leaks
	for _, g := range mine {
		l.add(g, ids)
	}
	if err != nil && len(ids) == 0 {
		l.raw = err.Error()
	}
	return l.report("started by this test outlived it")
}

// retries is how often run looks again for t's goroutines before it asks
// goleak and the runtime about them: with sleeps doubling from 1µs up to
// 100ms, 20 is about half a second, as goleak's own default.
const retries = 20

// started returns the goroutines of all that t started.
func (c check) started(all []leakprofile.Goroutine) []leakprofile.Goroutine {
	creator := make(map[uint64]uint64, len(all))
	for _, g := range all {
		creator[g.ID] = g.Creator
	}
	var mine []leakprofile.Goroutine
	for _, g := range all {
		if !c.before[g.ID] && c.descends(g.ID, creator) {
			mine = append(mine, g)
		}
	}
	return mine
}

// descends reports whether goroutine id descends from t's goroutine, or
// cannot be traced back: its chain of creators, through goroutines still
// alive, reaches t's goroutine, or a goroutine that has exited, before one
// that existed when Check was called.
func (c check) descends(id uint64, creator map[uint64]uint64) bool {
	for range len(creator) + 1 { // a chain longer than there are goroutines is no chain
		parent, alive := creator[id]
		switch {
		case !alive || parent == 0:
			return true // started by a goroutine since gone: it may have been t's
		case parent == c.self:
			return true
		case c.before[parent]:
			return false
		}
		id = parent
	}
	return true
}
