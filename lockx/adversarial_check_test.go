//go:build race || lockxcheck

package lockx

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakproof/leakproof/internal/testenv"
)

// Adversarial tests of checked mode. A false positive is a bug: code that
// cannot deadlock must never get a report, however many goroutines, lock
// instances, panics and exits are involved. A false negative is a bug too:
// each deadlock shape the docs name must be reported before anything
// blocks. And the records must not grow with the number of locks a
// program has made and dropped.

// anyLock is one lockx lock of any type, seen through the calls that take
// it, for tests that nest random calls on random locks.
type anyLock struct {
	name string
	// take runs f holding the lock, by the call numbered how.
	take  func(how int, f func())
	calls int
}

func newAnyLocks(n int) []anyLock {
	ctx := context.Background()
	yes := func() bool { return true }
	var locks []anyLock
	for i := range n {
		switch i % 3 {
		case 0:
			mu := new(Mutex)
			locks = append(locks, anyLock{name: fmt.Sprintf("Mutex%d", i), calls: 4, take: func(how int, f func()) {
				switch how {
				case 0:
					mu.Do(f)
				case 1:
					mu.DoContext(ctx, f)
				case 2:
					mu.DoWhen(ctx, yes, f)
				case 3:
					if !mu.TryDo(f) {
						mu.Do(f)
					}
				}
			}})
		case 1:
			rw := new(RWMutex)
			locks = append(locks, anyLock{name: fmt.Sprintf("RWMutex%d", i), calls: 5, take: func(how int, f func()) {
				switch how {
				case 0:
					rw.Do(f)
				case 1:
					rw.DoContext(ctx, f)
				case 2:
					rw.DoWhen(ctx, yes, f)
				case 3:
					rw.RDo(f)
				case 4:
					rw.RDoContext(ctx, f)
				}
			}})
		case 2:
			g := NewGuarded(0)
			locks = append(locks, anyLock{name: fmt.Sprintf("Guarded%d", i), calls: 5, take: func(how int, f func()) {
				switch how {
				case 0:
					g.Do(func(*int) { f() })
				case 1:
					g.DoContext(ctx, func(*int) { f() })
				case 2:
					g.DoWhen(ctx, func(*int) bool { return true }, func(*int) { f() })
				case 3:
					g.RDo(func(*int) { f() })
				case 4:
					g.RDoContext(ctx, func(*int) { f() })
				}
			}})
		}
	}
	return locks
}

// nest takes locks[idx[0]], then inside it locks[idx[1]], and so on, each
// by a random call, and runs f innermost.
func nest(r *rand.Rand, locks []anyLock, idx []int, f func()) {
	if len(idx) == 0 {
		f()
		return
	}
	l := locks[idx[0]]
	l.take(r.IntN(l.calls), func() { nest(r, locks, idx[1:], f) })
}

// reportOf runs f and returns the checked-mode report it panicked with, or
// "" if it returned.
func reportOf(f func()) string {
	v := testenv.PanicValue(f)
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	panic(v)
}

// waitGroupBounded waits for wg, failing t if that takes longer than d.
func waitGroupBounded(t *testing.T, wg *sync.WaitGroup, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines still running after %v:\n%s", d, buf[:runtime.Stack(buf, true)])
	}
}

// TestAdvCheckConsistentOrder: eight locks of all three types, two or more
// instances of each, are always taken in one global order, but any subset
// of them, by any call, from eight goroutines at once. Nothing may report.
func TestAdvCheckConsistentOrder(t *testing.T) {
	locks := newAnyLocks(8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 21))
			for range 150 {
				var idx []int
				for i := range locks {
					if r.IntN(3) == 0 {
						idx = append(idx, i)
					}
				}
				if msg := reportOf(func() { nest(r, locks, idx, func() {}) }); msg != "" {
					t.Errorf("a consistent order was reported:\n%s", msg)
					return
				}
			}
		})
	}
	waitGroupBounded(t, &wg, time.Minute)
}

// TestAdvCheckTryDoBackwards: a TryDo taken against the order waits for
// nothing, so it is never reported, however often and from however many
// goroutines, and however deep in other locks it is.
func TestAdvCheckTryDoBackwards(t *testing.T) {
	var a, b, c Mutex
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 200 {
				var msg string
				switch (g + i) % 4 {
				case 0:
					msg = reportOf(func() { a.Do(func() { b.Do(func() { c.Do(func() {}) }) }) })
				case 1:
					msg = reportOf(func() { c.Do(func() { a.TryDo(func() {}) }) })
				case 2:
					msg = reportOf(func() { c.Do(func() { b.TryDo(func() { a.TryDo(func() {}) }) }) })
				case 3:
					msg = reportOf(func() { b.TryDo(func() { c.Do(func() {}) }) })
				}
				if msg != "" {
					t.Errorf("a TryDo against the order was reported:\n%s", msg)
					return
				}
			}
		})
	}
	waitGroupBounded(t, &wg, time.Minute)
}

// TestAdvCheckChains: a list of 200 locks of one type, walked in pairs and
// triples down the list (each lock taken while holding the one before: the
// closest a function-scoped lock comes to hand-over-hand locking), and
// pairs of other instances taken the other way round. Instances of one
// type are not one class: nothing may report.
func TestAdvCheckChains(t *testing.T) {
	list := make([]Mutex, 200)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g % 2; i+2 < len(list); i++ {
				msg := reportOf(func() {
					list[i].Do(func() {
						if g%2 == 0 {
							list[i+1].Do(func() { list[i+2].TryDo(func() {}) })
						} else {
							list[i+1].DoContext(context.Background(), func() { list[i+2].Do(func() {}) })
						}
					})
				})
				if msg != "" {
					t.Errorf("a walk down a list was reported:\n%s", msg)
					return
				}
			}
		})
	}
	waitGroupBounded(t, &wg, time.Minute)

	// Many instances of one type, nested in both directions between
	// disjoint pairs: 0→1, 2→3, ... and 3→0, 5→2, ...: no cycle.
	pairs := make([]RWMutex, 100)
	for i := 0; i+1 < len(pairs); i += 2 {
		if msg := reportOf(func() { pairs[i].Do(func() { pairs[i+1].RDo(func() {}) }) }); msg != "" {
			t.Fatalf("pair %d→%d reported:\n%s", i, i+1, msg)
		}
	}
	for i := 3; i < len(pairs); i += 2 {
		if msg := reportOf(func() { pairs[i].RDo(func() { pairs[i-3].Do(func() {}) }) }); msg != "" {
			t.Fatalf("pair %d→%d reported:\n%s", i, i-3, msg)
		}
	}
}

// TestAdvCheckReadsInsideOtherLocks: RDo nested inside Do of a different
// lock, readers nested in readers of another lock, and the inner lock taken
// alone for writing, all in one order, never report.
func TestAdvCheckReadsInsideOtherLocks(t *testing.T) {
	var a Mutex
	b := NewGuarded(0)
	var c RWMutex
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 200 {
				msg := reportOf(func() {
					switch (g + i) % 5 {
					case 0:
						a.Do(func() { b.RDo(func(*int) { c.RDo(func() {}) }) })
					case 1:
						b.RDo(func(*int) { c.Do(func() {}) })
					case 2:
						b.Do(func(n *int) { *n++ })
					case 3:
						a.Do(func() { c.RDoContext(context.Background(), func() {}) })
					case 4:
						b.RDoContext(context.Background(), func(*int) { c.RDo(func() {}) })
					}
				})
				if msg != "" {
					t.Errorf("reads in one order were reported:\n%s", msg)
					return
				}
			}
		})
	}
	waitGroupBounded(t, &wg, time.Minute)
}

// TestAdvCheckCondTakesLock: a DoWhen whose cond reads another lock's state
// through RDo (cond runs holding the DoWhen's lock) is an order like any
// other: repeated by many waiters, woken many times, it never reports; the
// opposite order does.
func TestAdvCheckCondTakesLock(t *testing.T) {
	var (
		gate  Mutex
		level = NewGuarded(0)
		wg    sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for want := range 30 {
				msg := reportOf(func() {
					err := gate.DoWhen(context.Background(), func() bool {
						n := 0
						level.RDo(func(v *int) { n = *v })
						return n >= want/2+w%2
					}, func() {})
					if err != nil {
						t.Error(err)
					}
				})
				if msg != "" {
					t.Errorf("a cond that reads another lock was reported:\n%s", msg)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 40 {
			level.Do(func(v *int) { *v++ })
			gate.Do(func() {}) // a change, so that the waiters look again
			runtime.Gosched()
		}
	})
	waitGroupBounded(t, &wg, time.Minute)
	msg := reportOf(func() { level.Do(func(*int) { gate.Do(func() {}) }) })
	if !strings.Contains(msg, "lock order") || !strings.Contains(msg, "Mutex.DoWhen") {
		t.Errorf("the order against a cond's was not reported, or not with DoWhen:\n%s", msg)
	}
}

// TestAdvCheckAfterPanics: a lock released by a panic, at any depth, and
// whatever recovered it, is no longer held: taking it again on the same
// goroutine is no re-take, and the locks still held keep their place.
func TestAdvCheckAfterPanics(t *testing.T) {
	var a, b, c Mutex
	var rw RWMutex
	g := NewGuarded(0)
	steps := []struct {
		name string
		f    func()
	}{
		{"a panicking f", func() {
			testenv.PanicValue(func() { a.Do(func() { panic("boom") }) })
			a.Do(func() {})
		}},
		{"a panic through three locks, recovered inside the first", func() {
			a.Do(func() {
				testenv.PanicValue(func() { b.Do(func() { c.Do(func() { panic("boom") }) }) })
				c.Do(func() {})
				b.Do(func() { c.Do(func() {}) })
			})
			b.Do(func() {})
		}},
		{"a panicking reader, then a writer", func() {
			testenv.PanicValue(func() { rw.RDo(func() { panic("boom") }) })
			rw.Do(func() { g.RDo(func(*int) {}) })
		}},
		{"a panicking cond", func() {
			testenv.PanicValue(func() {
				g.DoWhen(context.Background(), func(*int) bool { panic("boom") }, func(*int) {})
			})
			g.DoWhen(context.Background(), func(*int) bool { return true }, func(*int) {})
		}},
		{"a panicking f of DoWhen on a Mutex", func() {
			testenv.PanicValue(func() { a.DoWhen(context.Background(), func() bool { return true }, func() { panic("boom") }) })
			a.DoContext(context.Background(), func() {})
		}},
		{"a report, recovered inside the lock it is about", func() {
			a.Do(func() {
				testenv.PanicValue(func() { a.Do(func() {}) }) // already holds
				b.Do(func() {})                                // a→b, the order used above
			})
			a.Do(func() {})
		}},
		{"a panic in TryDo", func() {
			testenv.PanicValue(func() { c.TryDo(func() { panic("boom") }) })
			c.Do(func() {})
		}},
	}
	for _, s := range steps {
		if msg := reportOf(s.f); msg != "" {
			t.Errorf("%s: a lock released by a panic was reported:\n%s", s.name, msg)
		}
	}
	checkNoGoroutineRecords(t)
}

// checkNoGoroutineRecords fails t if checked mode still records a
// goroutine as holding something, when none does.
func checkNoGoroutineRecords(t *testing.T) {
	t.Helper()
	for i := range goroutines {
		s := &goroutines[i]
		s.Lock()
		for id, g := range s.m {
			t.Errorf("goroutine %d is still recorded, holding %d locks", id, len(g.held))
		}
		s.Unlock()
	}
}

// TestAdvCheckGoexitAndExitedGoroutines: runtime.Goexit in f, at any depth,
// releases every lock it unwinds, and checked mode forgets the goroutine;
// goroutines that took locks and exited holding nothing leave nothing.
func TestAdvCheckGoexitAndExitedGoroutines(t *testing.T) {
	var a, b Mutex
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { a.Do(func() { b.Do(func() { runtime.Goexit() }) }) })
	}
	for range 20 {
		wg.Go(func() { a.Do(func() { b.DoContext(context.Background(), func() {}) }) })
	}
	waitGroupBounded(t, &wg, time.Minute)
	if msg := reportOf(func() { a.Do(func() { b.Do(func() {}) }) }); msg != "" {
		t.Errorf("the order after goroutines exited in it was reported:\n%s", msg)
	}
	checkNoGoroutineRecords(t)
}

// TestAdvCheckRetakes: the re-takes the docs list, in the shapes that hide
// them: inside a TryDo, inside a DoWhen's cond, inside a DoWhen's f, and an
// RDoContext inside an RDo on a Guarded.
func TestAdvCheckRetakes(t *testing.T) {
	ctx := context.Background()
	var mu Mutex
	g := NewGuarded(0)
	var rw RWMutex
	cases := map[string]func(){
		"Do inside TryDo": func() { mu.TryDo(func() { mu.Do(func() {}) }) },
		"DoContext inside a cond": func() {
			mu.DoWhen(ctx, func() bool { mu.DoContext(ctx, func() {}); return true }, func() {})
		},
		"RDoContext inside DoWhen's f": func() {
			g.DoWhen(ctx, func(*int) bool { return true }, func(*int) { g.RDoContext(ctx, func(*int) {}) })
		},
		"RDoContext inside RDo": func() { g.RDo(func(*int) { g.RDoContext(ctx, func(*int) {}) }) },
		"DoWhen inside RDo":     func() { rw.RDo(func() { rw.DoWhen(ctx, func() bool { return true }, func() {}) }) },
	}
	for name, f := range cases {
		if msg := reportOf(f); !strings.Contains(msg, "already holds") {
			t.Errorf("%s: got %q, want a report that says \"already holds\"", name, msg)
		}
	}
	checkNoGoroutineRecords(t)
	for _, err := range []error{mu.l.idle("Mutex"), g.l.idle("Guarded"), rw.l.idle("RWMutex")} {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestAdvCheckRealDeadlock: goroutines that really meet in a lock cycle,
// each holding its first lock when it takes the next, get exactly one
// report between them, before anything blocks; the reported goroutine
// unwinds, the others go on, and nothing hangs. Two locks, and three locks
// across three goroutines.
func TestAdvCheckRealDeadlock(t *testing.T) {
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d locks", n), func(t *testing.T) {
			for round := range 10 {
				locks := make([]RWMutex, n)
				var (
					holding sync.WaitGroup // all hold their first lock
					wg      sync.WaitGroup
					reports atomic.Int32
				)
				holding.Add(n)
				for i := range n {
					wg.Go(func() {
						msg := reportOf(func() {
							first := locks[i].Do
							if (i+round)%2 == 0 {
								first = locks[i].RDo
							}
							first(func() {
								holding.Done()
								holding.Wait()
								locks[(i+1)%n].Do(func() {})
							})
						})
						if msg != "" {
							reports.Add(1)
							if !strings.Contains(msg, "lock order") {
								t.Errorf("report without \"lock order\":\n%s", msg)
							}
						}
					})
				}
				waitGroupBounded(t, &wg, time.Minute)
				if r := reports.Load(); r != 1 {
					t.Fatalf("round %d: %d reports, want exactly 1", round, r)
				}
			}
		})
	}
}

// TestAdvCheckReadCycle: a cycle of shared acquisitions only is reported,
// as the docs say: it deadlocks once writers queue on both locks.
func TestAdvCheckReadCycle(t *testing.T) {
	var a, b RWMutex
	a.RDo(func() { b.RDo(func() {}) })
	if msg := reportOf(func() { b.RDo(func() { a.RDo(func() {}) }) }); !strings.Contains(msg, "lock order") {
		t.Errorf("a cycle of readers: got %q, want a lock order report", msg)
	}
}

// TestAdvCheckCockroach10214 ports the GoKer kernel cockroach10214: the
// store's heartbeat loop holds coalescedMu (L1) while it takes each
// replica's raftMu (L2); a replica's tick holds raftMu and then its mu (L3)
// and reaches coalescedMu. Three locks of two types, and two instances of
// the replica type: the cycle L1→L2→L3→L1 of one replica is reported the
// first time both paths run, one after the other, though they did not
// deadlock; the other replica, never ticked, is not involved. The fix,
// sending the heartbeats after letting go of coalescedMu, never reports.
func TestAdvCheckCockroach10214(t *testing.T) {
	type replica struct{ raftMu, mu Mutex }
	type store struct {
		coalesced Guarded[[]int]
		replicas  []*replica
	}
	newStore := func() *store {
		s := &store{replicas: []*replica{new(replica), new(replica)}}
		s.coalesced.Do(func(hb *[]int) { *hb = append(*hb, 1, 2) })
		return s
	}
	reportUnreachable := func(r *replica) { r.raftMu.Do(func() {}) }
	tick := func(s *store, r *replica) {
		r.raftMu.Do(func() {
			r.mu.Do(func() { // tickRaftMuLocked
				s.coalesced.Do(func(*[]int) {}) // maybeCoalesceHeartbeat
			})
		})
	}
	sendQueuedHeartbeats := func(s *store) {
		s.coalesced.Do(func(hb *[]int) {
			for range *hb {
				for _, r := range s.replicas {
					reportUnreachable(r)
				}
			}
		})
	}
	s := newStore()
	sendQueuedHeartbeats(s)
	msg := reportOf(func() { tick(s, s.replicas[0]) })
	for _, want := range []string{"Guarded.Do: lock order inversion", "took A (Mutex) with Mutex.Do", "and now takes B (Guarded)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("report does not contain %q:\n%s", want, msg)
		}
	}

	fixed := func(s *store) {
		var n int
		s.coalesced.Do(func(hb *[]int) { n = len(*hb); *hb = nil })
		for range n {
			for _, r := range s.replicas {
				reportUnreachable(r)
			}
		}
	}
	var wg sync.WaitGroup
	for range 20 {
		s := newStore()
		wg.Go(func() {
			if msg := reportOf(func() { fixed(s) }); msg != "" {
				t.Errorf("the fix reported:\n%s", msg)
			}
		})
		wg.Go(func() {
			if msg := reportOf(func() { tick(s, s.replicas[0]) }); msg != "" {
				t.Errorf("the fix reported:\n%s", msg)
			}
		})
	}
	waitGroupBounded(t, &wg, time.Minute)
}

// TestAdvCheckGraphShortLived: short-lived locks ordered among themselves
// (pairs and chains of fresh locks, fresh gates over long-lived locks, and
// a long-lived lock taken inside many fresh ones) leave the graph as it was
// once collected, and the long-lived lock's maps shrink back.
func TestAdvCheckGraphShortLived(t *testing.T) {
	n := 60_000 // 100,000 locks
	if testing.Short() {
		n = 6_000
	}
	var inner, a, b Mutex
	runtime.GC()
	nodes, edges := graphSize()
	for i := range n {
		switch i % 3 {
		case 0: // a fresh pair, and a fresh chain of three
			x, y, z := new(Mutex), new(RWMutex), NewGuarded(i)
			x.Do(func() { y.RDo(func() { z.Do(func(*int) {}) }) })
		case 1: // a fresh gate over a long-lived order
			gate := new(Mutex)
			gate.Do(func() { a.Do(func() { b.Do(func() {}) }) })
		case 2: // the long-lived lock inside a fresh one
			outer := new(RWMutex)
			outer.Do(func() { inner.Do(func() {}) })
		}
	}
	waitForGraph(t, nodes+3, edges+1) // inner's, a's and b's nodes, and a→b
	// The graph may have come down that far by forgetting the locks of an
	// earlier test while some of these wait for their cleanups: wait for
	// inner's own records to empty too.
	in := inner.l.check.node.Load()
	size, sized := 0, 0
	for deadline := time.Now().Add(time.Minute); ; {
		graph.RLock()
		size, sized = len(in.in), in.peakIn
		graph.RUnlock()
		if size == 0 || time.Now().After(deadline) {
			break
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	graph.RLock()
	e := a.l.check.node.Load().out[b.l.check.node.Load()]
	guards := len(e.guards)
	graph.RUnlock()
	if size != 0 || sized > 1000 {
		t.Errorf("the long-lived lock's map of locks held before it: %d entries, sized for %d", size, sized)
	}
	if guards > maxGuards {
		t.Errorf("an edge keeps %d guards", guards)
	}
	runtime.KeepAlive(&inner)
	runtime.KeepAlive(&a)
	runtime.KeepAlive(&b)
}

// TestAdvCheckGateHeldSharedOnce: two orders followed under one RWMutex,
// one holding it shared and the other holding it exclusively, cannot run
// at once (a reader and a writer exclude each other), so cannot deadlock:
// the common pattern of a "world" lock read-held by ordinary operations
// and write-held by a rebuild that takes the inner locks the other way.
// Checked mode reports it, because its gate rule asks for the common lock
// to be held exclusively on every edge of the cycle; one exclusive holder
// among the edges is enough.
func TestAdvCheckGateHeldSharedOnce(t *testing.T) {
	var world RWMutex
	var a, b Mutex
	world.RDo(func() { a.Do(func() { b.Do(func() {}) }) })
	if msg := reportOf(func() { world.Do(func() { b.Do(func() { a.Do(func() {}) }) }) }); msg != "" {
		t.Errorf("orders that a reader and a writer of one lock follow were reported:\n%s", msg)
	}
	var c, d Mutex
	world.Do(func() { c.Do(func() { d.Do(func() {}) }) })
	if msg := reportOf(func() { world.RDo(func() { d.Do(func() { c.Do(func() {}) }) }) }); msg != "" {
		t.Errorf("orders that a writer and a reader of one lock follow were reported:\n%s", msg)
	}
}

// TestAdvCheckGateOnTwoEdges: a cycle a→b, b→c, c→a where a→b and c→a are
// each followed holding one gate exclusively cannot close: the goroutines
// holding a and waiting for b, and holding c and waiting for a, would both
// hold the gate. Checked mode reports it, because b→c is not gated: its
// rule asks for a gate on every edge, where two edges that exclude each
// other suffice.
func TestAdvCheckGateOnTwoEdges(t *testing.T) {
	var gate, a, b, c Mutex
	gate.Do(func() { a.Do(func() { b.Do(func() {}) }) })
	b.Do(func() { c.Do(func() {}) })
	if msg := reportOf(func() { gate.Do(func() { c.Do(func() { a.Do(func() {}) }) }) }); msg != "" {
		t.Errorf("a cycle that cannot close was reported:\n%s", msg)
	}
}

// TestAdvCheckNewOrderCostsConstant: a long-lived manager lock that takes
// each of many worker locks, and short-lived client locks held while
// calling the manager: each client adds one new order, client→manager, and
// checked mode searches everything reachable from the manager for a way
// back to the client, which is new and has none. So n clients cost n times
// the number of workers: quadratic. A lock list built from its tail (each
// new lock taken around the old head) is the same. With 4,000 workers and
// 4,000 clients it takes seconds; with 16,000, a minute. A fresh lock has
// no orders, so it can take a place in a topological order of the graph
// that makes its first order need no search at all (Abseil's GraphCycles
// keeps such an order). The test compares n with 4n: a cost per new order
// that does not grow with the graph keeps the ratio near 4.
func TestAdvCheckNewOrderCostsConstant(t *testing.T) {
	cost := func(n int) time.Duration {
		var manager Mutex
		workers := make([]Mutex, n)
		for i := range workers {
			manager.Do(func() { workers[i].Do(func() {}) })
		}
		start := time.Now()
		for range n {
			client := new(Mutex)
			client.Do(func() { manager.Do(func() {}) })
		}
		d := time.Since(start)
		runtime.KeepAlive(workers)
		return d
	}
	small, large := cost(500), cost(2000)
	if large > 8*small {
		t.Errorf("500 clients around 500 workers: %v; 2000 around 2000: %v, %.0f times as long", small, large, float64(large)/float64(small))
	}
}
