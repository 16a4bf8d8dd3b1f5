//go:build race || lockxcheck

package group_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/errgroup"
	"github.com/leakproof/leakproof/group"
)

// The self-wait check must not fire on waits that can return. Each case is
// a wait from inside a task, or near one, that is not a wait on the task's
// own group.
func TestSelfWaitNoFalsePositives(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var a group.Group

		// A task that starts a different group, waits for it and stops it.
		a.Go(func() {
			var b group.Group
			b.Go(func() {})
			b.Wait()
			c, _ := group.WithContext(context.Background())
			c.Go(func() {})
			c.Stop()
			var e errgroup.Group
			e.Go(func() error { return nil })
			if err := e.Wait(); err != nil {
				t.Error(err)
			}
		})
		a.Wait()

		// A task that hands a Wait on its own group to a plain goroutine,
		// which returns once the task has.
		waited := make(chan struct{})
		a.Go(func() {
			go func() {
				a.Wait()
				close(waited)
			}()
		})
		<-waited

		// A task that asks its own group for a report with a deadline: it
		// gives up instead of hanging, so it is not refused.
		var d *group.DriftError
		a.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if !errors.As(a.WaitContext(ctx), &d) {
				t.Error("WaitContext from a task did not give up with a report")
			}
		})
		a.Wait()
		if d == nil || d.Pending != 1 {
			t.Errorf("the report from inside the task = %v, want the task itself pending", d)
		}

		// A task of A waits on B while B's task, started by A's task,
		// waits on nothing; and Map and First from a task.
		var b group.Group
		a.Go(func() {
			b.Go(func() { time.Sleep(time.Millisecond) })
			b.Wait()
			group.Map(context.Background(), []int{1, 2, 3}, 2, func(context.Context, int) (int, error) { return 0, nil })
			group.First(context.Background(), func(context.Context) (int, error) { return 1, nil })
		})
		a.Wait()

		// A task of A that panicked, and whose goroutine is gone, leaves
		// nothing that makes a later Wait from elsewhere look like its own.
		a.Go(func() { panic("boom") })
		func() {
			defer func() { recover() }()
			a.Wait()
		}()
		a.Go(func() {})
		a.Wait()
	})
}

// TestSelfWaitCheckStorm: many tasks coming and going while goroutines
// that are not tasks Wait on the group: no false panics, in checked mode,
// where every task start records its goroutine.
func TestSelfWaitCheckStorm(t *testing.T) {
	var g group.Group
	var waiters sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		waiters.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				g.Wait()
			}
		})
	}
	for i := range 2000 {
		g.Go(func() {
			if i%3 == 0 {
				g.Go(func() {})
			}
		})
	}
	close(stop)
	waiters.Wait()
	g.Wait()
}
