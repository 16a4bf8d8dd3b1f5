//go:build !race && !lockxcheck

package lockx_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/lockx"
)

// These tests run the code that check_test.go shows checked mode reports,
// in a normal build, where it does not panic: lockx does not track which
// goroutine holds what, so a re-take waits, as with sync.Mutex, and a
// context bounds the wait.

// TestReentrantDoContext: calling DoContext on a mutex from inside its own f
// deadlocks, as sync.Mutex does, but the context bounds it.
func TestReentrantDoContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.Mutex
		mu.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := mu.DoContext(ctx, func() {}); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("nested DoContext = %v, want DeadlineExceeded", err)
			}
		})
		if err := lockx.Idle(&mu); err != nil {
			t.Error(err)
		}
	})
}

// TestNoCheckRetake: every re-take that checked mode reports waits for a
// lock that cannot come free, until its context ends.
func TestNoCheckRetake(t *testing.T) {
	yes := func() bool { return true }
	gyes := func(*int) bool { return true }
	synctest.Test(t, func(t *testing.T) {
		var (
			mu lockx.Mutex
			rw lockx.RWMutex
			g  lockx.Guarded[int]
		)
		for name, c := range map[string]struct {
			hold   func(f func())
			retake func(ctx context.Context) error
		}{
			"Mutex.DoContext in Do":     {mu.Do, func(ctx context.Context) error { return mu.DoContext(ctx, func() {}) }},
			"Mutex.DoWhen in Do":        {mu.Do, func(ctx context.Context) error { return mu.DoWhen(ctx, yes, func() {}) }},
			"RWMutex.DoContext in Do":   {rw.Do, func(ctx context.Context) error { return rw.DoContext(ctx, func() {}) }},
			"RWMutex.DoWhen in RDo":     {rw.RDo, func(ctx context.Context) error { return rw.DoWhen(ctx, yes, func() {}) }},
			"RWMutex.RDoContext in Do":  {rw.Do, func(ctx context.Context) error { return rw.RDoContext(ctx, func() {}) }},
			"Guarded.DoContext in RDo":  {func(f func()) { g.RDo(func(*int) { f() }) }, func(ctx context.Context) error { return g.DoContext(ctx, func(*int) {}) }},
			"Guarded.DoWhen in Do":      {func(f func()) { g.Do(func(*int) { f() }) }, func(ctx context.Context) error { return g.DoWhen(ctx, gyes, func(*int) {}) }},
			"Guarded.RDoContext in Do":  {func(f func()) { g.Do(func(*int) { f() }) }, func(ctx context.Context) error { return g.RDoContext(ctx, func(*int) {}) }},
			"Mutex.TryDo in Do (fails)": {mu.Do, func(context.Context) error { mu.TryDo(func() {}); return context.DeadlineExceeded }},
		} {
			c.hold(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := c.retake(ctx); err != context.DeadlineExceeded {
					t.Errorf("%s = %v, want DeadlineExceeded", name, err)
				}
			})
		}
		for _, err := range []error{lockx.Idle(&mu), lockx.RWIdle(&rw), lockx.GuardedIdle(&g)} {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

// TestNoCheckCockroach3710 is TestCheckCockroach3710 in a normal build:
// the nested read goes through while no writer waits, and deadlocks (here,
// times out) once one queued between the two reads.
func TestNoCheckCockroach3710(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var store lockx.RWMutex
		raftStatus := func(ctx context.Context) error { return store.RDoContext(ctx, func() {}) }
		store.RDo(func() {
			if err := raftStatus(context.Background()); err != nil {
				t.Errorf("nested read with no writer waiting: %v", err)
			}
			go store.Do(func() {}) // processRaft
			synctest.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := raftStatus(ctx); err != context.DeadlineExceeded {
				t.Errorf("nested read behind a waiting writer: %v, want DeadlineExceeded", err)
			}
		})
		synctest.Wait()
		if err := lockx.RWIdle(&store); err != nil {
			t.Error(err)
		}
	})
}

// TestNoCheckLockOrder: inverted orders that run one after the other, as
// in TestCheckLockOrder, TestCheckLockOrderCycle and
// TestCheckCockroach7504, complete in a normal build: only goroutines
// running them at the same moment deadlock.
func TestNoCheckLockOrder(t *testing.T) {
	var (
		a lockx.Mutex
		b lockx.RWMutex
		c = lockx.NewGuarded(0)
	)
	a.Do(func() { b.RDo(func() {}) })
	b.Do(func() { a.Do(func() {}) })
	a.Do(func() { c.Do(func(*int) {}) })
	c.RDo(func(*int) { b.DoWhen(context.Background(), func() bool { return true }, func() {}) })
	b.RDo(func() { a.DoContext(context.Background(), func() {}) })
}
