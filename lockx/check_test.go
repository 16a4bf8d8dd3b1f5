//go:build race || lockxcheck

package lockx_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakproof/leakproof/internal/testenv"
	"github.com/leakproof/leakproof/lockx"
)

// These tests run in checked mode (go test -race, or -tags lockxcheck);
// nocheck_test.go shows that the same code does not panic in other builds.

// nextLine returns "file:line" of the line after its caller's, where a test
// takes the lock a report must point at.
func nextLine() string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", filepath.Base(file), line+1)
}

// wantReport fails t unless v is a string containing every one of want.
func wantReport(t *testing.T, v any, want ...string) {
	t.Helper()
	msg, ok := v.(string)
	if !ok {
		t.Fatalf("recovered %v (%T), want a report", v, v)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("report does not contain %q:\n%s", w, msg)
		}
	}
}

// TestCheckRetake: every blocking acquisition of a lock the goroutine
// already holds panics at once, naming where it took the lock; TryDo just
// fails.
func TestCheckRetake(t *testing.T) {
	ctx := context.Background()
	var (
		mu lockx.Mutex
		rw lockx.RWMutex
		g  lockx.Guarded[int]
	)
	yes := func() bool { return true }
	gyes := func(*int) bool { return true }
	type lock struct {
		name        string
		hold, holdR func(f func()) // take it exclusively, shared
		retakes     map[string]func()
	}
	locks := []lock{
		{
			name: "Mutex",
			hold: mu.Do,
			retakes: map[string]func(){
				"Mutex.Do":        func() { mu.Do(func() {}) },
				"Mutex.DoContext": func() { mu.DoContext(ctx, func() {}) },
				"Mutex.DoWhen":    func() { mu.DoWhen(ctx, yes, func() {}) },
			},
		},
		{
			name:  "RWMutex",
			hold:  rw.Do,
			holdR: rw.RDo,
			retakes: map[string]func(){
				"RWMutex.Do":         func() { rw.Do(func() {}) },
				"RWMutex.DoContext":  func() { rw.DoContext(ctx, func() {}) },
				"RWMutex.DoWhen":     func() { rw.DoWhen(ctx, yes, func() {}) },
				"RWMutex.RDo":        func() { rw.RDo(func() {}) },
				"RWMutex.RDoContext": func() { rw.RDoContext(ctx, func() {}) },
			},
		},
		{
			name:  "Guarded",
			hold:  func(f func()) { g.Do(func(*int) { f() }) },
			holdR: func(f func()) { g.RDo(func(*int) { f() }) },
			retakes: map[string]func(){
				"Guarded.Do":         func() { g.Do(func(*int) {}) },
				"Guarded.DoContext":  func() { g.DoContext(ctx, func(*int) {}) },
				"Guarded.DoWhen":     func() { g.DoWhen(ctx, gyes, func(*int) {}) },
				"Guarded.RDo":        func() { g.RDo(func(*int) {}) },
				"Guarded.RDoContext": func() { g.RDoContext(ctx, func(*int) {}) },
			},
		},
	}
	for _, l := range locks {
		for method, retake := range l.retakes {
			holds := []func(func()){l.hold}
			if l.holdR != nil {
				holds = append(holds, l.holdR)
			}
			for _, hold := range holds {
				var v any
				hold(func() { v = testenv.PanicValue(retake) })
				wantReport(t, v, "lockx: "+method+": goroutine ", "already holds this "+l.name,
					"took it with "+l.name+".", "takes it again at ", "check_test.go:")
				if t.Failed() {
					return
				}
			}
		}
	}
	for _, err := range []error{lockx.Idle(&mu), lockx.RWIdle(&rw), lockx.GuardedIdle(&g)} {
		if err != nil {
			t.Error(err)
		}
	}
	// TryDo never waits, so it only fails.
	mu.Do(func() {
		if mu.TryDo(func() {}) {
			t.Error("TryDo took a lock its goroutine held")
		}
	})
	// The report names both places.
	var v any
	var at1, at2 string
	at1 = nextLine()
	rw.RDo(func() {
		at2 = nextLine()
		v = testenv.PanicValue(func() { rw.RDo(func() {}) })
	})
	wantReport(t, v, "lockx: RWMutex.RDo: goroutine ", "already holds this RWMutex for reading",
		"took it with RWMutex.RDo at", at1, "takes it again at", at2)
	t.Logf("the report:\n%s", v)
}

// TestCheckRetakeInDoWhen: cond and f run holding the lock, so taking it
// again in either is a re-take too.
func TestCheckRetakeInDoWhen(t *testing.T) {
	g := lockx.NewGuarded(0)
	for name, doWhen := range map[string]func(){
		"cond": func() {
			g.DoWhen(context.Background(), func(*int) bool { g.RDo(func(*int) {}); return true }, func(*int) {})
		},
		"f": func() {
			g.DoWhen(context.Background(), func(*int) bool { return true }, func(*int) { g.Do(func(*int) {}) })
		},
	} {
		v := testenv.PanicValue(doWhen)
		wantReport(t, v, "already holds this Guarded", "took it with Guarded.DoWhen at")
		if t.Failed() {
			t.Fatalf("a re-take in %s", name)
		}
	}
	if err := lockx.GuardedIdle(g); err != nil {
		t.Error(err)
	}
}

// TestCheckRetakeAcrossGoroutines: a lock held by another goroutine is not
// a re-take; waiting for it is fine.
func TestCheckRetakeAcrossGoroutines(t *testing.T) {
	var mu lockx.Mutex
	mu.Do(func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			defer cancel()
			if err := mu.DoContext(ctx, func() {}); err != context.DeadlineExceeded {
				t.Errorf("DoContext = %v, want DeadlineExceeded", err)
			}
		}()
		<-done
	})
}

// TestCheckLockOrder: taking B while holding A, after A was taken while
// holding B, panics the first time, naming all four places, though nothing
// deadlocked: the two orders ran one after the other. Shared acquisitions
// count: an RDo waits behind a queued writer.
func TestCheckLockOrder(t *testing.T) {
	var (
		a                      lockx.Mutex
		b                      lockx.RWMutex
		atA1, atB1, atB2, atA2 string
		v                      any
	)
	atA1 = nextLine()
	a.Do(func() {
		atB1 = nextLine()
		b.RDo(func() {})
	})
	atB2 = nextLine()
	b.Do(func() {
		atA2 = nextLine()
		v = testenv.PanicValue(func() { a.Do(func() {}) })
	})
	wantReport(t, v, "lockx: Mutex.Do: lock order inversion", "takes B while holding A",
		"took A (RWMutex) with RWMutex.Do at", atB2,
		"and now takes B (Mutex) with Mutex.Do at", atA2,
		"took B with Mutex.Do at", atA1,
		"and then A with RWMutex.RDo at", atB1)
	t.Logf("the report:\n%s", v)
	for _, err := range []error{lockx.Idle(&a), lockx.RWIdle(&b)} {
		if err != nil {
			t.Error(err)
		}
	}
	// The order that was refused was not recorded: it reports again.
	b.Do(func() { v = testenv.PanicValue(func() { a.Do(func() {}) }) })
	wantReport(t, v, "lock order inversion")
	// The order first seen is still fine.
	a.Do(func() { b.Do(func() {}) })
}

// TestCheckLockOrderCycle: a longer cycle is an inversion too, across
// goroutines and through any kind of lockx lock.
func TestCheckLockOrderCycle(t *testing.T) {
	var (
		a lockx.Mutex
		b = lockx.NewGuarded(0)
		c lockx.RWMutex
		v any
	)
	var wg sync.WaitGroup
	wg.Go(func() { a.Do(func() { b.Do(func(*int) {}) }) })
	wg.Wait()
	wg.Go(func() { b.RDo(func(*int) { c.DoWhen(context.Background(), func() bool { return true }, func() {}) }) })
	wg.Wait()
	at := nextLine()
	c.RDo(func() { v = testenv.PanicValue(func() { a.DoContext(context.Background(), func() {}) }) })
	// The report calls c, held, A, and a, taken, B; b is C.
	wantReport(t, v, "lockx: Mutex.DoContext: lock order inversion", at,
		"B was held while C was taken, and C while A was",
		"took B with Mutex.Do", "and then C with Guarded.Do",
		"took C (Guarded) with Guarded.RDo", "and then A with RWMutex.DoWhen")
	t.Logf("the report:\n%s", v)
}

// TestCheckLockOrderConsistent: one order, followed any number of times by
// any number of goroutines, with readers and writers and DoWhen, never
// reports.
func TestCheckLockOrderConsistent(t *testing.T) {
	var (
		a, b lockx.RWMutex
		c    lockx.Mutex
		wg   sync.WaitGroup
	)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				switch (g + i) % 4 {
				case 0:
					a.Do(func() { b.Do(func() { c.Do(func() {}) }) })
				case 1:
					a.RDo(func() { c.TryDo(func() {}) })
				case 2:
					b.RDo(func() { c.DoWhen(context.Background(), func() bool { return true }, func() {}) })
				case 3:
					a.RDo(func() { b.RDo(func() {}) })
				}
			}
		})
	}
	waitBounded(t, &wg, time.Minute)
}

// TestCheckTryDo: a TryDo waits for nothing, so the lock it takes gets no
// order from the locks held around it; the locks taken inside it do.
func TestCheckTryDo(t *testing.T) {
	var a, b lockx.Mutex
	a.Do(func() { b.Do(func() {}) })
	b.Do(func() {
		if !a.TryDo(func() {}) { // the deadlock-free way to take them backwards
			t.Error("TryDo failed on a free lock")
		}
	})
	var c lockx.Mutex
	c.TryDo(func() { a.Do(func() {}) })
	v := testenv.PanicValue(func() { a.Do(func() { c.Do(func() {}) }) })
	wantReport(t, v, "lock order inversion", "with Mutex.TryDo")
}

// TestCheckGateLock: two orders followed holding one common lock, one of
// them exclusively every time, cannot run at once, so a cycle with two such
// edges cannot deadlock and is not reported; a common lock held shared on
// both, or not every time, does not protect them.
func TestCheckGateLock(t *testing.T) {
	var gate lockx.RWMutex
	var a, b lockx.Mutex
	gate.Do(func() { a.Do(func() { b.Do(func() {}) }) })
	gate.Do(func() { b.Do(func() { a.Do(func() {}) }) })

	var c, d lockx.Mutex
	gate.RDo(func() { c.Do(func() { d.Do(func() {}) }) })
	v := testenv.PanicValue(func() { gate.RDo(func() { d.Do(func() { c.Do(func() {}) }) }) })
	wantReport(t, v, "lock order inversion")
	gate.Do(func() { d.Do(func() { c.Do(func() {}) }) }) // a writer excludes the reader

	var e, f lockx.Mutex
	gate.Do(func() { e.Do(func() { f.Do(func() {}) }) })
	e.Do(func() { f.Do(func() {}) }) // the same order, once without the gate
	v = testenv.PanicValue(func() { gate.Do(func() { f.Do(func() { e.Do(func() {}) }) }) })
	wantReport(t, v, "lock order inversion")

	// The gate on two edges of three, held shared on one of them.
	var g, h, i lockx.Mutex
	gate.RDo(func() { g.Do(func() { h.Do(func() {}) }) })
	h.Do(func() { i.Do(func() {}) })
	gate.Do(func() { i.Do(func() { g.Do(func() {}) }) })
}

// TestCheckGateLockWeakened: an order seen again holding its gate shared,
// where it was held exclusively, or not at all, no longer excludes what it
// excluded, and the cycle it is on is reported then.
func TestCheckGateLockWeakened(t *testing.T) {
	var world lockx.RWMutex
	var a, b lockx.Mutex
	world.Do(func() { a.Do(func() { b.Do(func() {}) }) })
	world.Do(func() { b.Do(func() { a.Do(func() {}) }) })
	world.RDo(func() { a.Do(func() { b.Do(func() {}) }) }) // b→a still excludes it
	v := testenv.PanicValue(func() { world.RDo(func() { b.Do(func() { a.Do(func() {}) }) }) })
	wantReport(t, v, "lock order inversion")
	v = testenv.PanicValue(func() { a.Do(func() { b.Do(func() {}) }) })
	wantReport(t, v, "lock order inversion")
}

// TestCheckGateLockHidesNoCycle: a cycle that its gate makes safe does not
// hide another through different locks that it does not.
func TestCheckGateLockHidesNoCycle(t *testing.T) {
	var gate lockx.Mutex
	// x→y closes y→x, under the gate both times, and y→z→x, where no
	// edge holds it.
	var x, y, z lockx.Mutex
	gate.Do(func() { y.Do(func() { x.Do(func() {}) }) })
	y.Do(func() { z.Do(func() {}) })
	z.Do(func() { x.Do(func() {}) })
	v := testenv.PanicValue(func() { gate.Do(func() { x.Do(func() { y.Do(func() {}) }) }) })
	wantReport(t, v, "lock order inversion", "B was held while C was taken, and C while A was")

	// p→q closes q→m→p, where q→m and m→p exclude each other, and
	// q→r→m→p, where nothing does: a search that has been to m the first
	// way must go again the second.
	var p, q, r, m lockx.Mutex
	gate.Do(func() { q.Do(func() { m.Do(func() {}) }) })
	q.Do(func() { r.Do(func() {}) })
	r.Do(func() { m.Do(func() {}) })
	gate.Do(func() { m.Do(func() { p.Do(func() {}) }) })
	v = testenv.PanicValue(func() { p.Do(func() { q.Do(func() {}) }) })
	wantReport(t, v, "lock order inversion", "B was held while C was taken, and C while D was, and D while A was")

	// Without r, p→q closes only the safe cycle.
	var p2, q2, m2 lockx.Mutex
	gate.Do(func() { q2.Do(func() { m2.Do(func() {}) }) })
	gate.Do(func() { m2.Do(func() { p2.Do(func() {}) }) })
	p2.Do(func() { q2.Do(func() {}) })
}

// TestCheckCockroach7504 ports the GoKer kernel cockroach7504 (the Go
// runtime's testdata/testgoroutineleakprofile/goker/cockroach7504.go):
// AcquireByName takes the name cache's lock (L2), then a lease's (L1);
// Release takes the table's lock (L3), the lease's (L1), then the name
// cache's (L2). The two goroutines deadlock 1 time in 100. Checked mode
// reports it the first time both paths run, in any order and on one
// goroutine: the fix (take L2 before L1 everywhere) is then plain.
func TestCheckCockroach7504(t *testing.T) {
	type lease struct{ mu lockx.Mutex }
	var (
		l         lease
		names     = lockx.NewGuarded(map[int]*lease{0: &l}) // L2
		tableMu   lockx.Mutex                               // L3
		acquireAt string
		v         any
	)
	acquireByName := func(id int) {
		names.Do(func(m *map[int]*lease) {
			acquireAt = nextLine()
			(*m)[id].mu.Do(func() {})
		})
	}
	release := func(l *lease) {
		tableMu.Do(func() {
			l.mu.Do(func() {
				names.Do(func(m *map[int]*lease) { delete(*m, 0) }) // tableNameCache.remove
			})
		})
	}
	acquireByName(0)
	v = testenv.PanicValue(func() { release(&l) })
	wantReport(t, v, "lockx: Guarded.Do: lock order inversion", acquireAt)
}

// TestCheckCockroach3710 ports the GoKer kernel cockroach3710:
// ForceRaftLogScanAndProcess holds the store's read lock while a callback
// reaches RaftStatus, which read-locks it again; a writer (processRaft)
// queued in between waits for the first reader, and the second waits for
// the writer. Checked mode reports the nested read at once, writer or not.
func TestCheckCockroach3710(t *testing.T) {
	var store lockx.RWMutex
	raftStatus := func() { store.RDo(func() {}) }
	v := testenv.PanicValue(func() {
		store.RDo(func() {
			raftStatus() // via baseQueue.MaybeAdd and shouldQueue
		})
	})
	wantReport(t, v, "lockx: RWMutex.RDo: goroutine", "already holds this RWMutex for reading")
}
