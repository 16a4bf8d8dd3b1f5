// Package leaktest finds goroutine leaks, in tests and in running programs,
// and says for each what it is and what to use instead.
//
// In tests, one line per package fails the test binary if a goroutine
// outlives the tests:
//
//	func TestMain(m *testing.M) {
//		leaktest.VerifyTestMain(m)
//	}
//
// and one line per test fails that test for the goroutines it started and
// left behind, even while other tests run in parallel:
//
//	leaktest.Check(t)
//
// In a running program, [Find] lists the goroutines the runtime proves
// leaked, for a debug endpoint or a log line.
//
// # Two oracles
//
// goleak (go.uber.org/goleak) sees every goroutine still alive when a test
// ends: one blocked forever, but also one still reachable that would have
// finished, or been woken, later. It waits a little for goroutines on their
// way out, and its options can ignore known ones. It only makes sense at the
// end of a test, when nothing should be left.
//
// The runtime's goroutineleak profile (Go 1.27; Go 1.26 built with
// GOEXPERIMENT=goroutineleakprofile, see [Available]) sees the goroutines
// that are provably stuck: blocked on a channel, a sync.Mutex, RWMutex,
// WaitGroup or Cond that no runnable goroutine can reach, which nothing can
// ever wake. It reports only what it proves, so it works at any moment in a
// running program; it cannot see a goroutine blocked on something still
// reachable (a package-level channel, a lock a live goroutine holds, a
// network connection), nor one that keeps running.
//
// [VerifyTestMain] and [Check] ask both. goleak's options pass through to
// goleak's half; a goroutine the runtime proves leaked fails the check
// whatever they say. Without the profile, goleak's half runs alone.
//
// # Reports
//
// Each leaked goroutine is reported with its wait state ("chan send",
// "sync.Mutex.Lock"), its top frame in the caller's code (file:line), the
// pitfall that leaves a goroutine waiting that way, and the leakproof
// replacement for it, then its stack:
//
//	goroutine 21 [chan send], in example.com/app.fetchAll.func1 at /src/app/fetch.go:42
//		pitfall: a send nobody receives
//		fix: group.First where the first of several results wins; otherwise chanx.Send(ctx, ch, v), which gives up when ctx ends
//		seen by: the runtime's goroutineleak profile: it waits on something no running goroutine can reach, so it can never run again
//
// The pitfalls named are a send nobody receives, a receive nobody sends on,
// a send or receive on a nil channel, a select with no ready case, a lock
// never released, a WaitGroup never done, a sync.Cond wait nobody signals,
// and an HTTP call without a timeout, among others.
//
// Importing leaktest into a program links package testing, which registers
// no flags outside a test binary.
package leaktest
