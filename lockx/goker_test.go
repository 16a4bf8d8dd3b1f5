package lockx_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/lockx"
)

// The GoKer kernels (the Go runtime's
// testdata/testgoroutineleakprofile/goker/) are real leaks distilled from
// Kubernetes, Moby, CockroachDB and others. These tests port the sync.Cond
// ones onto DoWhen, as a user would fix them; check_test.go ports lock-order
// and re-take kernels onto checked mode.

// TestDoWhenKubernetes58107 ports kubernetes58107: a work queue's Get
// waits on a sync.Cond for a Signal that Put may send before Get waits.
// The lost Signal leaves the worker stuck holding the controller's read
// lock, and the controller's Sync, which write-locks, stuck behind it. With
// DoWhen, Get waits for the queue to hold an item, and an item put before
// the wait is not lost: there is no Signal.
func TestDoWhenKubernetes58107(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type workQueue struct{ items lockx.Guarded[int] }
		get := func(q *workQueue) {
			q.items.DoWhen(context.Background(), func(n *int) bool { return *n > 0 }, func(n *int) { *n-- })
		}
		put := func(q *workQueue) { q.items.Do(func(n *int) { *n++ }) }
		var (
			workerLock       lockx.RWMutex
			queue, missing   = new(workQueue), new(workQueue)
			workers, syncing sync.WaitGroup
		)
		put(queue) // before the workers wait: the kernel's lost Signals
		put(missing)
		for _, q := range []*workQueue{queue, missing} {
			workers.Go(func() {
				for range 2 {
					workerLock.RDo(func() { get(q) })
				}
			})
		}
		syncing.Go(func() { // ResourceQuotaController.Sync
			for range 100 {
				workerLock.Do(func() { runtime.Gosched() })
			}
		})
		synctest.Wait()
		put(queue) // and after
		put(missing)
		workers.Wait()
		syncing.Wait()
	})
}

// TestDoWhenMoby30408 ports moby30408: waitActive waits on a sync.Cond
// until the plugin is activated, but activation failed, and the failure
// path broadcast nothing: the wait never ends. With DoWhen the condition
// says what to wait for, failure included, and recording the failure under
// the lock wakes the waiter; a context bounds the wait even if activation
// never ends at all.
func TestDoWhenMoby30408(t *testing.T) {
	type activation struct {
		manifest *struct{ implements []string }
		err      error
	}
	done := func(a *activation) bool { return a.manifest != nil || a.err != nil }
	waitActive := func(ctx context.Context, p *lockx.Guarded[activation]) error {
		var err error
		if werr := p.DoWhen(ctx, done, func(a *activation) { err = a.err }); werr != nil {
			return werr
		}
		return err
	}
	synctest.Test(t, func(t *testing.T) {
		var p lockx.Guarded[activation]
		errc := make(chan error)
		go func() { errc <- waitActive(context.Background(), &p) }()
		synctest.Wait()
		junk := errors.New("some junk happened")
		p.Do(func(a *activation) { a.err = junk }) // no Broadcast to forget
		if err := <-errc; err != junk {
			t.Errorf("waitActive = %v, want %v", err, junk)
		}

		var stuck lockx.Guarded[activation] // activation never ends
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := waitActive(ctx, &stuck); err != context.DeadlineExceeded {
			t.Errorf("waitActive = %v, want DeadlineExceeded", err)
		}
		if err := lockx.GuardedIdle(&stuck); err != nil {
			t.Error(err)
		}
	})
}
