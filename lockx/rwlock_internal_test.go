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
		m.l.lock()
		got := make(chan struct{})
		go func() {
			m.Do(func() {})
			close(got)
		}()
		synctest.Wait() // the waiter is queued
		for i := 1; i <= starveAfter; i++ {
			m.l.unlock()    // wakes the waiter
			m.l.lock()      // and barges in before it runs
			synctest.Wait() // the waiter lost, and is asleep at the front again
			m.l.qmu.Lock()
			h, s := m.l.wq.head, m.l.state.Load()
			m.l.qmu.Unlock()
			if h == nil || h.losses != i {
				t.Fatalf("after %d lost races the queue's head is %+v", i, h)
			}
			if starving := s&starving != 0; starving != (i == starveAfter) {
				t.Fatalf("after %d lost races: starving = %v, state %#x", i, starving, s)
			}
		}
		m.l.unlock() // hands the lock to the waiter directly
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
	for _, starve := range []bool{false, true} {
		for _, behind := range []bool{false, true} {
			t.Run(fmt.Sprintf("starving=%v,behind=%v", starve, behind), func(t *testing.T) {
				for range 50 {
					abandonRacesRelease(t, starve, behind)
				}
			})
		}
	}
}

func abandonRacesRelease(t *testing.T, starve, behind bool) {
	synctest.Test(t, func(t *testing.T) {
		var m Mutex
		m.l.lock()
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
		m.l.qmu.Lock()
		if starve {
			m.l.state.Store(m.l.state.Load() | starving)
		}
		cancel()
		m.l.state.Add(-writer) // release, as unlock and unlockSlow do
		h := m.l.wake()
		m.l.qmu.Unlock()
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

// TestRWAbandonRacesRelease is TestAbandonRacesRelease for RWMutex: a
// reader or writer whose context ends as a writer's release grants it the
// lock, with a reader or writer queued behind it.
func TestRWAbandonRacesRelease(t *testing.T) {
	for _, write := range []bool{false, true} {
		for _, behindWrite := range []bool{false, true} {
			t.Run(fmt.Sprintf("write=%v,behindWrite=%v", write, behindWrite), func(t *testing.T) {
				for range 50 {
					rwAbandonRacesRelease(t, write, behindWrite)
				}
			})
		}
	}
}

func rwAbandonRacesRelease(t *testing.T, write, behindWrite bool) {
	synctest.Test(t, func(t *testing.T) {
		var m RWMutex
		m.Do(func() {
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error)
			f := func() { t.Error("f ran after its context ended") }
			go func() {
				if write {
					errc <- m.DoContext(ctx, f)
				} else {
					errc <- m.RDoContext(ctx, f)
				}
			}()
			synctest.Wait()
			ranBehind := make(chan struct{})
			if behindWrite {
				go m.Do(func() { close(ranBehind) })
			} else {
				go m.RDo(func() { close(ranBehind) })
			}
			synctest.Wait()
			// Release the write lock by hand, as unlockSlow does, while
			// the context ends; then take it back for Do's own release.
			m.l.qmu.Lock()
			cancel()
			m.l.state.Add(-writer)
			in := m.l.admit(true)
			h := m.l.wake()
			m.l.qmu.Unlock()
			signalAll(in)
			h.signal()
			if err := <-errc; err != context.Canceled {
				t.Errorf("got %v, want context.Canceled", err)
			}
			<-ranBehind
			synctest.Wait()
			m.l.qmu.Lock()
			if m.l.wq.head != nil || m.l.rq.head != nil || !m.l.state.CompareAndSwap(0, writer) {
				t.Errorf("lock not free after the waiters left: state %#x", m.l.state.Load())
			}
			m.l.qmu.Unlock()
		})
		if err := RWIdle(&m); err != nil {
			t.Error(err)
		}
	})
}
