package group

import (
	"fmt"
	"runtime"
)

// Counted work: Add and Done, as sync.WaitGroup counts it, in the state's
// high word beside the tasks Go counts. Each Add remembers its line, so a
// drift report can say whose work is still pending.

// Add adds delta, which may be negative, to the count of unfinished work,
// and remembers the line it was called from for drift reports. Add never
// blocks. Remembering the line costs a [runtime.Callers], several times the
// price of the count itself: prefer Go where the work is a goroutine.
//
// Add panics if the count of Adds not yet matched by Done would go below
// zero, or above 1<<32 - 1, which only a bug reaches; tasks started by Go
// are counted apart and cannot be retired by Add or Done. Unlike
// sync.WaitGroup, Add may be called while a Wait is in progress: Wait then
// waits for that work too.
func (g *Group) Add(delta int) {
	if delta < 0 {
		g.retire(-uint64(delta), delta)
		return
	}
	if delta == 0 {
		return
	}
	// The pc is all Add keeps; it is turned into file:line only when a
	// DriftError is built. Frames: runtime.Callers, Add, Add's caller.
	var pc [1]uintptr
	runtime.Callers(2, pc[:])
	s := &g.adds
	if s.key.Load() != pc[0] {
		s = register(&g.adds, pc[0], pc[0])
	}
	// Count the site before the state, so the sites never hold less than
	// the state says is pending and a Done always finds a site to retire.
	s.n.Add(int64(delta))
	for {
		old := g.state.Load()
		if uint64(delta) > addMax-old>>addShift {
			s.n.Add(-int64(delta))
			panic(fmt.Sprintf("group: Group.Add: counter overflow adding %d", delta))
		}
		if g.state.CompareAndSwap(old, old+uint64(delta)<<addShift) {
			return
		}
	}
}

// Done retires one unit of work added by Add; it never blocks. It panics if
// no Add is pending, naming the line Done was called from: Done outran Add.
func (g *Group) Done() {
	g.retire(1, 0)
}

// retire takes n from the Add count, then from the sites, oldest first. A
// delta of 0 means Done; otherwise it is the Add(delta) that asked.
func (g *Group) retire(n uint64, delta int) {
	for {
		old := g.state.Load()
		if pending := old >> addShift; n > pending {
			outran(delta, pending)
		}
		nw := old - n<<addShift
		if !g.state.CompareAndSwap(old, nw) {
			continue
		}
		g.retireSites(int64(n))
		if nw>>1 == 0 && nw&waitBit != 0 {
			g.wake(nw)
		}
		return
	}
}

// retireSites takes n from the Add sites' counts, oldest line first.
func (g *Group) retireSites(n int64) {
	for n > 0 {
		// Add counts a site before the state, so the sites hold at least
		// what retire took from the state; retry if a racing retire got
		// there first.
		for s := &g.adds; s != nil && n > 0; s = s.next.Load() {
			// Retry a line that changed under us rather than move on:
			// Dones are counted against the oldest lines first.
			for c := s.n.Load(); c > 0 && n > 0; c = s.n.Load() {
				take := min(c, n)
				if s.n.CompareAndSwap(c, c-take) {
					n -= take
				}
			}
		}
	}
}

// outran panics for a Done or Add(delta < 0) with too little pending.
// Frames: runtime.Caller, outran, retire, Done or Add, the caller.
func outran(delta int, pending uint64) {
	at := "unknown line"
	if _, file, line, ok := runtime.Caller(3); ok {
		at = fmt.Sprintf("%s:%d", file, line)
	}
	if delta == 0 {
		panic(fmt.Sprintf("group: Group.Done: Done outran Add: called at %s with no Add pending", at))
	}
	panic(fmt.Sprintf("group: Group.Add: Add(%d) at %s would take the counter below zero (%d Adds pending)", delta, at, pending))
}
