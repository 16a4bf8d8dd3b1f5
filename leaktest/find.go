package leaktest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/leakproof/leakproof/internal/leakprofile"
)

// Available reports whether the runtime's goroutineleak profile exists in
// this binary: on Go 1.27 it does; on Go 1.26 only when the binary was
// built with GOEXPERIMENT=goroutineleakprofile. Without it, [Find] returns
// an error, and [VerifyTestMain] and [Check] run goleak's half alone.
func Available() bool { return leakprofile.Available() }

// Leak is one leaked goroutine, with what to do about it.
type Leak struct {
	// Goroutine is the goroutine's id, as stack traces print it.
	Goroutine uint64
	// State is what it waits on, as the runtime names it: "chan send",
	// "chan receive (nil chan)", "select", "sync.Mutex.Lock",
	// "sync.WaitGroup.Wait", "sync.Cond.Wait", ...
	State string
	// Stack is its stack as runtime.Stack prints it, without the
	// "goroutine N [state]:" line.
	Stack string
	// Pitfall names the mistake that leaves a goroutine waiting this way:
	// "a send nobody receives", "a lock never released", ...
	Pitfall string
	// Fix is leakproof's replacement for the leaky code, or what else
	// ends such a wait.
	Fix string
}

// String describes l in three lines: the goroutine, its wait state and its
// top frame in the caller's code (outside the standard library, goleak and
// leakproof; for a goroutine of the standard library's own, the function it
// runs), then the pitfall, then the fix.
func (l Leak) String() string {
	f := userFrame(frames(l.Stack))
	return fmt.Sprintf("goroutine %d [%s], in %s at %s\n\tpitfall: %s\n\tfix: %s",
		l.Goroutine, l.State, f.fn, f.pos, l.Pitfall, l.Fix)
}

// newLeak describes g.
func newLeak(g leakprofile.Goroutine) Leak {
	pitfall, fix := classify(g.State, frames(g.Stack))
	return Leak{Goroutine: g.ID, State: g.State, Stack: g.Stack, Pitfall: pitfall, Fix: fix}
}

// Find returns the goroutines the runtime proves leaked, now, in the order
// of their ids: each is blocked on a channel or a sync primitive that no
// running goroutine can reach, so nothing can ever wake it. It runs the
// runtime's leak detection, two garbage collections, and works in a running
// program as well as in a test, for example behind a debug endpoint.
//
// Find does not see a goroutine that is still reachable, however stuck: one
// blocked on a package-level channel, on a lock some live goroutine could
// release, or on a network connection. goleak, through [VerifyTestMain] and
// [Check], sees those at the end of a test.
//
// Find returns an error only when the binary has no goroutineleak profile
// ([Available] is false).
func Find() ([]Leak, error) {
	all, ok := leakprofile.Detect()
	if !ok {
		return nil, errors.New("leaktest: Find: the runtime has no goroutineleak profile in this binary (Go 1.26 needs GOEXPERIMENT=goroutineleakprofile)")
	}
	var leaks []Leak
	for _, g := range all {
		if g.Leaked {
			leaks = append(leaks, newLeak(g))
		}
	}
	slices.SortFunc(leaks, func(a, b Leak) int { return cmp.Compare(a.Goroutine, b.Goroutine) })
	return leaks, nil
}
