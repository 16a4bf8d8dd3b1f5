//go:build race || lockxcheck

package lockx

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
	"weak"
)

func graphSize() (nodes int64, edges int) {
	graph.RLock()
	defer graph.RUnlock()
	return graph.nodes.Load(), graph.edges
}

// waitForGraph collects garbage until done, called with the graph locked,
// returns true, and fails t with what done wanted if it does not within a
// minute: cleanups run on their own goroutine, some time after a
// collection.
func waitForGraph(t *testing.T, want string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		runtime.GC()
		graph.RLock()
		ok := done()
		graph.RUnlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute, still not %s", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitForGraphSize waits for the graph to have no more than nodes nodes
// and edges edges. It is no proof that a test's locks have been forgotten:
// the graph may come down that far by forgetting an earlier test's while
// some of this test's still wait for their cleanups.
func waitForGraphSize(t *testing.T, nodes int64, edges int) {
	t.Helper()
	waitForGraph(t, fmt.Sprintf("down to %d nodes and %d edges", nodes, edges), func() bool {
		return graph.nodes.Load() <= nodes && graph.edges <= edges
	})
}

// A forgetting is a set of weak pointers to the nodes of locks that a test
// drops, for it to wait until the graph has forgotten them.
type forgetting []weak.Pointer[lockNode]

func (f *forgetting) add(locks ...*rwlock) {
	for _, l := range locks {
		*f = append(*f, weak.Make(l.check.node.Load()))
	}
}

// forgotten reports whether every node added is garbage, and so forgotten:
// the cleanup that forgets it holds it until it has run.
func (f *forgetting) forgotten() bool {
	*f = slices.DeleteFunc(*f, func(p weak.Pointer[lockNode]) bool { return p.Value() == nil })
	return len(*f) == 0
}

// TestCheckGraphForgetsCollectedLocks: short-lived locks nested under a
// long-lived one leave nothing in the graph once collected, and the maps
// that held their edges shrink back: the memory growth go-deadlock users
// reported (sasha-s/go-deadlock#26, #46) does not happen.
func TestCheckGraphForgetsCollectedLocks(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	var long Mutex
	long.Do(func() {})
	nodes, edges := graphSize()
	peak := int64(0)
	for i := range n {
		m := new(Mutex)
		long.Do(func() { m.Do(func() {}) })
		if i%1000 == 0 {
			peak = max(peak, graph.nodes.Load())
		}
	}
	t.Logf("%d short-lived locks; the graph peaked at about %d nodes", n, peak)
	ln := long.l.check.node.Load()
	waitForGraph(t, "rid of long's orders", func() bool { return len(ln.out) == 0 })
	waitForGraphSize(t, nodes+1, edges) // long's node joins it
	graph.RLock()
	sized := ln.peakOut
	graph.RUnlock()
	if sized > 1000 {
		t.Errorf("long's map of orders is sized for %d", sized)
	}
	runtime.KeepAlive(&long)
}

// TestCheckGraphKeepsNoLockAlive: a lock that took part in an order, and a
// value holding it, are collected like any other garbage.
func TestCheckGraphKeepsNoLockAlive(t *testing.T) {
	type big struct {
		mu Mutex
		_  [1 << 20]byte
	}
	var long Mutex
	collected := make(chan struct{})
	func() {
		b := new(big)
		runtime.AddCleanup(b, func(c chan struct{}) { close(c) }, collected)
		long.Do(func() { b.mu.Do(func() {}) })
		b.mu.Do(func() {})
	}()
	deadline := time.After(time.Minute)
	for {
		runtime.GC()
		select {
		case <-collected:
			runtime.KeepAlive(&long)
			return
		case <-deadline:
			t.Fatal("a lock in the order graph was never collected")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestCheckGoroutinesForgotten: checked mode keeps nothing for goroutines
// that hold no lock, however many have come and gone.
func TestCheckGoroutinesForgotten(t *testing.T) {
	var mu RWMutex
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() { mu.RDo(func() {}) })
	}
	wg.Wait()
	for i := range goroutines {
		s := &goroutines[i]
		s.Lock()
		n, free := len(s.m), len(s.free)
		s.Unlock()
		if n != 0 || free > 8 {
			t.Errorf("shard %d: %d goroutines recorded, %d kept for reuse", i, n, free)
		}
	}
}

// BenchmarkCheckNestedDo: the cost of an order already seen, the common
// case of checked mode: two acquisitions, one of them nested.
func BenchmarkCheckNestedDo(b *testing.B) {
	var outer, inner Mutex
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		outer.Do(func() { inner.Do(func() { n++ }) })
	}
	runtime.KeepAlive(n)
}

// BenchmarkCheckNewOrder: the cost of an order not seen before, made by a
// fresh lock taken around a long-lived one from which 1,000 others are
// reachable.
func BenchmarkCheckNewOrder(b *testing.B) {
	var manager Mutex
	workers := make([]Mutex, 1000)
	for i := range workers {
		manager.Do(func() { workers[i].Do(func() {}) })
	}
	b.ReportAllocs()
	for b.Loop() {
		client := new(Mutex)
		client.Do(func() { manager.Do(func() {}) })
	}
	runtime.KeepAlive(workers)
}
