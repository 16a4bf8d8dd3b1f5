//go:build race || lockxcheck

package lockx

import (
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/leakproof/leakproof/internal/checkmode"
)

// Checked mode keeps, for each goroutine that holds or is taking lockx
// locks, the list of them with where each was taken; and, for the whole
// program, the graph of lock orders seen (check_order.go). A lock's entry
// in the graph is made when it is first taken together with another.
//
// The costs are per acquisition: the goroutine's id (read from
// runtime.Stack, about a microsecond, the bulk of it), the caller's program
// counters, and a map lookup under a sharded mutex. Only acquisitions made
// while holding another lock look at the graph, under a read lock; only an
// order not seen before takes the write lock, and only one against the
// graph's topological order searches it (check_cycle.go).

// lockCheck is what a lock keeps for checked mode: its node in the graph of
// lock orders, made on first use.
type lockCheck struct {
	node atomic.Pointer[lockNode]
}

// held is what acquire returns for the matching done.
type held struct {
	g *goroutine
	c *lockCheck
}

// A goroutine is what checked mode knows of one goroutine: the locks it
// holds, or is waiting for, innermost last. Only the goroutine itself
// touches held.
type goroutine struct {
	id   uint64
	held []heldLock
}

type heldLock struct {
	c      *lockCheck
	n      *lockNode // c's node, once an order needed it
	method string    // "Mutex.Do"
	mode   acquireMode
	at     site
}

// goroutines maps goroutine ids to what they hold. An entry lives only
// while its goroutine holds a lock, so the map does not grow with the
// number of goroutines a program has run; entries are kept for reuse in a
// short free list, so that a lock taken alone allocates nothing. It is
// sharded because every checked acquisition looks it up.
var goroutines [64]struct {
	sync.Mutex
	m    map[uint64]*goroutine
	free []*goroutine
}

func currentGoroutine() *goroutine {
	id := checkmode.GoID()
	s := &goroutines[id%uint64(len(goroutines))]
	s.Lock()
	defer s.Unlock()
	g := s.m[id]
	if g == nil {
		if s.m == nil {
			s.m = make(map[uint64]*goroutine)
		}
		if n := len(s.free); n > 0 {
			g, s.free = s.free[n-1], s.free[:n-1]
			g.id = id
		} else {
			g = &goroutine{id: id}
		}
		s.m[id] = g
	}
	return g
}

// acquire records that this goroutine is about to take c's lock, or, for
// a TryDo, has just taken it. Before anything blocks it panics if the
// goroutine already holds the lock, or if taking it while holding the
// others contradicts an order seen before.
func (c *lockCheck) acquire(method string, mode acquireMode) held {
	g := currentGoroutine()
	var at site
	at.record()
	if mode != tried {
		for i := range g.held {
			if g.held[i].c == c {
				panic(alreadyHolds(g, &g.held[i], method, mode, &at))
			}
		}
		if len(g.held) > 0 {
			checkOrder(g, c, method, &at)
		}
	}
	g.held = append(g.held, heldLock{c: c, method: method, mode: mode, at: at})
	return held{g, c}
}

// done records that the lock acquire recorded has been released, or was
// never won.
func (h held) done() {
	g := h.g
	for i := len(g.held) - 1; i >= 0; i-- {
		if g.held[i].c == h.c {
			g.held = slices.Delete(g.held, i, i+1) // clears the tail: no lock kept alive
			break
		}
	}
	if len(g.held) == 0 {
		s := &goroutines[g.id%uint64(len(goroutines))]
		s.Lock()
		delete(s.m, g.id)
		if len(s.free) < 8 {
			s.free = append(s.free, g)
		}
		s.Unlock()
	}
}

func alreadyHolds(g *goroutine, h *heldLock, method string, mode acquireMode, at *site) string {
	kind := kindOf(method)
	var b strings.Builder
	fmt.Fprintf(&b, "lockx: %s: goroutine %d already holds this %s", method, g.id, kind)
	switch {
	case h.mode == shared && mode == shared:
		fmt.Fprintf(&b, " for reading; a second reader waits behind any writer that queued in between, and the writer waits for the first reader: a deadlock\n")
	case h.mode == shared:
		fmt.Fprintf(&b, " for reading, and taking it to write waits for every reader to leave, this one too: a deadlock\n")
	default:
		fmt.Fprintf(&b, ", so waiting for it here deadlocks\n")
	}
	fmt.Fprintf(&b, "\ttook it with %s at %s\n", h.method, h.at.String())
	fmt.Fprintf(&b, "\ttakes it again at %s\n", at.String())
	b.WriteString("A critical section must not call code that takes its own lock: pass that code what it needs, or call it after the critical section.")
	return b.String()
}

// kindOf returns the type a method belongs to: "Mutex" for "Mutex.Do".
func kindOf(method string) string {
	kind, _, _ := strings.Cut(method, ".")
	return kind
}

// A site is where a lock was taken: the program counters of the call, of
// which the first outside package lockx is reported.
type site struct{ pc [6]uintptr }

func (s *site) record() {
	runtime.Callers(3, s.pc[:]) // skip Callers, record and acquire
}

// lockxPrefix starts the names of package lockx's functions.
var lockxPrefix = func() string {
	name := runtime.FuncForPC(reflect.ValueOf(kindOf).Pointer()).Name()
	return name[:strings.LastIndex(name, ".")+1]
}()

func (s *site) String() string {
	n := slices.Index(s.pc[:], 0)
	if n < 0 {
		n = len(s.pc)
	}
	pc := s.pc
	frames := runtime.CallersFrames(pc[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, lockxPrefix) || strings.HasSuffix(f.File, "_test.go") {
			fn := f.Function[strings.LastIndex(f.Function, "/")+1:]
			return fmt.Sprintf("%s:%d (%s)", f.File, f.Line, fn)
		}
		if !more {
			return "an unknown place (deeper than checked mode looks)"
		}
	}
}
