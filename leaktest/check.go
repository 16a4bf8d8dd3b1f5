package leaktest

import (
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

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
// the tests end. A goroutine whose creator has exited, or that a timer
// started (a [time.AfterFunc] callback), cannot be traced: it may be t's or
// a parallel test's, so it fails t only when the runtime proves it leaked
// (a goroutine nothing can ever wake is never another test's business), and
// otherwise is left to VerifyTestMain. net/http's client connections are
// such goroutines; close response bodies and idle connections before t ends
// ([net/http.Transport.CloseIdleConnections]; [net/http/httptest.Server.Close]
// closes [net/http.DefaultTransport]'s). A goroutine that a library starts
// the first time t calls it (a worker behind a [sync.Once]) is t's, as it
// is for goleak: start it before the tests, in TestMain, or ignore it with
// goleak.IgnoreTopFunction.
//
// At t's end, Check waits up to about half a second for t's goroutines on
// their way out; for those the runtime cannot prove leaked, goleak then
// waits up to about half a second more. So a goroutine still there about a
// second after t is reported, and a test that leaks takes that second to
// fail. Call Check once per test: each call reports the same goroutines.
func Check(t testing.TB, opts ...goleak.Option) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	all := leakprofile.Stacks() // the calling goroutine's stack comes first
	c := check{self: all[0].ID, before: map[uint64]bool{}}
	for _, g := range all {
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
	var untraced map[uint64]bool
	for i := 0; ; i++ {
		mine, untraced = c.started(leakprofile.Stacks())
		if len(mine) == len(untraced) {
			break // none traced to t is left
		}
		if i == retries {
			break
		}
		time.Sleep(min(time.Microsecond<<i, 100*time.Millisecond))
	}
	if len(mine) == 0 {
		return ""
	}
	// Some goroutines are still there. Ask the runtime which it can prove
	// leaked, then goleak which of the others opts leave in. A goroutine
	// that cannot be traced to t may belong to a test running in parallel
	// (net/http's client connections, a timer's callback): it counts only
	// when the runtime proves it leaked, which no test can mean to do.
	all, detected := leakprofile.Detect()
	if detected {
		mine, untraced = c.started(all)
	}
	kept := mine[:0]
	for _, g := range mine {
		if !untraced[g.ID] || detected && g.Leaked {
			kept = append(kept, g)
		}
	}
	mine = kept
	if len(mine) == 0 {
		return ""
	}
	var err error
	if slices.ContainsFunc(mine, func(g leakprofile.Goroutine) bool { return !g.Leaked }) {
		err = goleakFind(opts, ignore) // only goleak can say which of these opts leave in
	}
	l := newLeaks(mine, err)
	l.untraced = untraced
	return l.report("started by this test outlived it")
}

// retries is how often run looks again for t's goroutines before it asks
// goleak and the runtime about them: with sleeps doubling from 1µs up to
// 100ms, 20 is about half a second, as goleak's own default.
const retries = 20

// started returns the goroutines of all that t started, and which of them
// it counts as t's only because they cannot be traced.
func (c check) started(all []leakprofile.Goroutine) (mine []leakprofile.Goroutine, untraced map[uint64]bool) {
	creator := make(map[uint64]uint64, len(all))
	for _, g := range all {
		creator[g.ID] = g.Creator
	}
	for _, g := range all {
		if c.before[g.ID] {
			continue
		}
		switch c.descends(g.ID, creator) {
		case untraceable:
			if untraced == nil {
				untraced = map[uint64]bool{}
			}
			untraced[g.ID] = true
			fallthrough
		case traced:
			mine = append(mine, g)
		}
	}
	return mine, untraced
}

// Whether a goroutine descends from t's goroutine.
const (
	notMine     = iota
	traced      // its chain of creators reaches t's goroutine
	untraceable // it reaches a goroutine since gone, or the runtime (a timer's callback)
)

// descends says whether goroutine id descends from t's goroutine, or
// cannot be traced back: its chain of creators, through goroutines still
// alive, reaches t's goroutine, or a goroutine that has exited, before one
// that existed when Check was called.
func (c check) descends(id uint64, creator map[uint64]uint64) int {
	for range len(creator) + 1 { // a chain longer than there are goroutines is no chain
		parent, alive := creator[id]
		switch {
		case !alive || parent == 0:
			return untraceable // started by a goroutine since gone: it may have been t's
		case parent == c.self:
			return traced
		case c.before[parent]:
			return notMine
		}
		id = parent
	}
	return untraceable
}
