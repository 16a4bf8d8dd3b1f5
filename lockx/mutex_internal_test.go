package lockx

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
)

// These tests drive the races between a release and a give-up into the
// exact interleavings that are hard to hit by chance, using the package's
// internals to hold the lock and the queue mutex by hand.

// TestStarvationHandoff: a woken waiter that loses the lock to a barging
// newcomer starveAfter times gets it handed over on the next release, and no
// newcomer can take it in between. GOMAXPROCS(1) keeps the woken waiter off
// the CPU until this goroutine blocks, so the barging newcomer (this
// goroutine) wins every race it is meant to win.
func TestStarvationHandoff(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	synctest.Test(t, func(t *testing.T) {
		var m Mutex
		m.lock()
		got := make(chan struct{})
		go func() {
			m.Do(func() {})
			close(got)
		}()
		synctest.Wait() // the waiter is queued
		for i := 1; i <= starveAfter; i++ {
			m.unlock()      // wakes the waiter
			m.lock()        // and barges in before it runs
			synctest.Wait() // the waiter lost, and is asleep at the front again
			m.qmu.Lock()
			h, s := m.q.head, m.state.Load()
			m.qmu.Unlock()
			if h == nil || h.losses != i {
				t.Fatalf("after %d lost races the queue's head is %+v", i, h)
			}
			if starving := s&mStarving != 0; starving != (i == starveAfter) {
				t.Fatalf("after %d lost races: starving = %v, state %#x", i, starving, s)
			}
		}
		m.unlock() // hands the lock to the waiter directly
		if m.TryDo(func() {}) {
			t.Fatal("a newcomer took the lock from a starving waiter")
		}
		<-got
		if err := Idle(&m); err != nil {
			t.Error(err)
		}
	})
}

// TestAbandonRacesRelease: a waiter's context ends at the moment the lock
// is released to it, as a grant (starving) or as a wake-up (normal), with or
// without another waiter behind it. The waiter must not run f, and whatever
// it was given must reach the next waiter or leave the lock free.
//
// The test holds the queue mutex while it cancels and releases, so a
// waiter that sees its context end first finds, once it gets the queue
// mutex, that the release was already made to it; a waiter that sees the
// signal first wins and gives the lock back. Repetition covers both.
func TestAbandonRacesRelease(t *testing.T) {
	for _, starving := range []bool{false, true} {
		for _, behind := range []bool{false, true} {
			t.Run(fmt.Sprintf("starving=%v,behind=%v", starving, behind), func(t *testing.T) {
				for range 50 {
					abandonRacesRelease(t, starving, behind)
				}
			})
		}
	}
}

func abandonRacesRelease(t *testing.T, starving, behind bool) {
	synctest.Test(t, func(t *testing.T) {
		var m Mutex
		m.lock()
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error)
		go func() { errc <- m.DoContext(ctx, func() { t.Error("f ran after its context ended") }) }()
		synctest.Wait()
		var wg sync.WaitGroup
		ranBehind := false
		if behind {
			wg.Go(func() { m.Do(func() { ranBehind = true }) })
			synctest.Wait()
		}
		m.qmu.Lock()
		if starving {
			m.state.Store(m.state.Load() | mStarving)
		}
		cancel()
		m.state.Add(-mLocked) // release, as unlock and unlockSlow do
		h := m.wake()
		m.qmu.Unlock()
		h.signal()
		if err := <-errc; err != context.Canceled {
			t.Errorf("DoContext = %v, want context.Canceled", err)
		}
		wg.Wait()
		if behind && !ranBehind {
			t.Error("the waiter behind never got the lock")
		}
		if err := Idle(&m); err != nil {
			t.Error(err)
		}
	})
}
