// Package leakprofile reads what the runtime knows about the goroutines of
// this process: every goroutine's id, wait state, creator and stack, and,
// where the runtime has the goroutineleak profile, which of them it proved
// leaked. It is the half of the leak check that a program may link: package
// leaktest builds the test integration on it, and cmd/leakdemo, which must
// not link testing, reads the runtime through it directly.
package leakprofile

import (
	"bytes"
	"io"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
)

// Available reports whether the runtime's goroutineleak profile exists in
// this binary: always on Go 1.27, and on Go 1.26 only when built with
// GOEXPERIMENT=goroutineleakprofile.
func Available() bool { return pprof.Lookup("goroutineleak") != nil }

// Detect runs the runtime's leak detection and returns every goroutine,
// those it proved leaked marked [Goroutine.Leaked]. ok is false, and all
// nil, when the profile is not available.
//
// Writing the profile is what runs the detection: a garbage collection that
// marks as leaked each goroutine blocked on a channel or sync primitive that
// no runnable goroutine can reach. Detect writes it twice: some leaks are
// found only by a second collection (on Go 1.26, a goroutine blocked on a sync.Mutex that the first
// missed). At debug level 2 the profile is the stack of every goroutine, as
// runtime.Stack prints it, with "(leaked)" after the wait state of the
// leaked ones; unlike the debug=1 text it carries goroutine ids, wait states
// and creators.
func Detect() (all []Goroutine, ok bool) {
	p := pprof.Lookup("goroutineleak") // nil unless the runtime has the profile
	if p == nil {
		return nil, false
	}
	var buf bytes.Buffer
	// Neither write can fail: the first goes to io.Discard, the second to a
	// bytes.Buffer, and the profile has no other way to err.
	_ = p.WriteTo(io.Discard, 1)
	_ = p.WriteTo(&buf, 2)
	return Parse(buf.Bytes()), true
}

// Stacks returns every goroutine now, without running leak detection. A
// goroutine is marked [Goroutine.Leaked] if the last detection, if any,
// proved it leaked: a leaked goroutine stays leaked, so the mark is never
// wrong, only possibly missing.
func Stacks() []Goroutine {
	buf := make([]byte, max(64<<10, lastStacks.Load()*5/4))
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			lastStacks.Store(int64(n))
			return Parse(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// lastStacks is the size of the last dump Stacks read. The next starts with
// room for it and a quarter more, as every runtime.Stack that fills its
// buffer is thrown away: with 10,000 goroutines each costs about 15 ms,
// with the world stopped, and doubling from 64 KiB took seven of them.
var lastStacks atomic.Int64
