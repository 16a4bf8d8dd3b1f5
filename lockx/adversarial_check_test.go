//go:build race || lockxcheck

package lockx

import (
	"context"
	"fmt"
	"math"
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
// (chains of fresh locks, fresh gates over long-lived locks, a long-lived
// lock taken inside many fresh ones, and fresh locks in safe cycles under
// a long-lived world lock, among themselves and with long-lived locks)
// leave the graph as it was once collected, the long-lived locks' maps
// shrink back, and their group is as it was.
func TestAdvCheckGraphShortLived(t *testing.T) {
	n := 60_000 // 90,000 locks
	if testing.Short() {
		n = 6_000
	}
	var inner, a, b, c, d Mutex
	var world RWMutex
	safeCycle := func(x, y *Mutex) {
		world.RDo(func() { x.Do(func() { y.Do(func() {}) }) })
		world.Do(func() { y.Do(func() { x.Do(func() {}) }) })
	}
	safeCycle(&c, &d)
	nodes, edges := graphSize()
	var chains forgetting
	for i := range n {
		switch i % 4 {
		case 0: // a fresh chain of three
			x, y, z := new(Mutex), new(RWMutex), NewGuarded(i)
			x.Do(func() { y.RDo(func() { z.Do(func(*int) {}) }) })
			if i%100 == 0 {
				chains.add(&x.l, &y.l, &z.l)
			}
		case 1: // a fresh gate over a long-lived order
			gate := new(Mutex)
			gate.Do(func() { a.Do(func() { b.Do(func() {}) }) })
		case 2: // the long-lived lock inside a fresh one
			outer := new(RWMutex)
			outer.Do(func() { inner.Do(func() {}) })
		case 3: // safe cycles: of fresh locks, and of one with c
			x, y := new(Mutex), new(Mutex)
			safeCycle(x, y)
			safeCycle(&c, x)
		}
	}
	node := func(l *rwlock) *lockNode { return l.check.node.Load() }
	in, wn, an, bn, cn, dn := node(&inner.l), node(&world.l), node(&a.l), node(&b.l), node(&c.l), node(&d.l)
	waitForGraph(t, "rid of the short-lived locks", func() bool {
		return chains.forgotten() && len(in.in) == 0 && len(an.in) == 0 && len(bn.in) == 1 &&
			len(wn.out) == 2 && len(cn.members()) == 2
	})
	waitForGraphSize(t, nodes+3, edges+1) // inner's, a's and b's nodes, and a→b
	graph.RLock()
	sized, guards := in.peakIn, len(an.out[bn].guards)
	together := cn.group != nil && cn.group == dn.group
	graph.RUnlock()
	if sized > 1000 {
		t.Errorf("the long-lived lock's map of locks held before it is sized for %d", sized)
	}
	if guards > maxGuards {
		t.Errorf("an edge keeps %d guards", guards)
	}
	if !together {
		t.Error("c and d, in a safe cycle, are no longer in one group")
	}
	if msg := reportOf(func() { world.RDo(func() { d.Do(func() { c.Do(func() {}) }) }) }); !strings.Contains(msg, "lock order") {
		t.Errorf("c and d in both orders under world held shared: got %q, want a lock order report", msg)
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
// One exclusive holder among the edges is enough: the gate rule once asked
// for the common lock to be held exclusively on every edge, and reported
// this.
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
// hold the gate. Two edges that exclude each other suffice: the gate rule
// once asked for a gate on every edge, and reported this, b→c being
// ungated.
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
// calling the manager: each client adds one new order, client→manager.
// Searching everything reachable from the manager for a way back to the
// client, which is new and has none, made n clients cost n times the
// number of workers: quadratic. A lock list built from its tail (each new
// lock taken around the old head) is the same, and so are connections,
// each taken first inside a long-lived server lock and then around the
// manager. A fresh lock has no orders, so it takes a place in the graph's
// topological order that makes its first order need no search at all; a
// connection moves, with the server, to the bottom of the order. The
// searches are counted, which does not depend on the machine; and n is
// timed against 4n, best of five, which a cost per new order that does
// not grow with the graph keeps near 4.
func TestAdvCheckNewOrderCostsConstant(t *testing.T) {
	searched := func() int {
		graph.RLock()
		defer graph.RUnlock()
		return graph.searched
	}
	cost := func(n int) time.Duration {
		var manager, server Mutex
		workers := make([]Mutex, n)
		for i := range workers {
			manager.Do(func() { workers[i].Do(func() {}) })
		}
		before := searched()
		start := time.Now()
		for range n {
			client := new(Mutex)
			client.Do(func() { manager.Do(func() {}) })
		}
		d := time.Since(start)
		if work := searched() - before; work != 0 {
			t.Errorf("%d clients around %d workers: searches looked at %d nodes, want none", n, n, work)
		}
		before = searched()
		head := new(Mutex)
		for range n {
			next := new(Mutex)
			next.Do(func() { head.Do(func() {}) })
			head = next
		}
		if work := searched() - before; work != 0 {
			t.Errorf("a list of %d: searches looked at %d nodes, want none", n, work)
		}
		before = searched()
		for range n {
			conn := new(Mutex)
			server.Do(func() { conn.Do(func() {}) })
			conn.Do(func() { manager.Do(func() {}) })
		}
		if work := searched() - before; work > 2*n {
			t.Errorf("%d connections: searches looked at %d nodes, want at most 2 each", n, work)
		}
		runtime.KeepAlive(workers)
		return d
	}
	small, large := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	for range 5 {
		small = min(small, cost(500))
		large = min(large, cost(2000))
	}
	t.Logf("500 clients: %v; 2000: %v", small, large)
	if large > 8*small {
		t.Errorf("500 clients around 500 workers: %v; 2000 around 2000: %v, %.0f times as long", small, large, float64(large)/float64(small))
	}
}
