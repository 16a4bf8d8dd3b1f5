package lockx

import (
	"context"

	"github.com/leakproof/leakproof/internal/checkmode"
)

// DoWhen waits until it holds m's lock and cond returns true, then runs f
// with the lock still held, and releases the lock however f ends. It
// returns nil after f returns. It is [sync.Cond] with a context, and with
// nothing to signal.
//
// cond runs holding the lock, on DoWhen's own goroutine: first when the
// lock is won, then again after every critical section on m that may have
// changed the state, that is, every f of a Do, DoContext, TryDo or DoWhen
// that ran, however it ended. There is no Signal or Broadcast to forget,
// so no wake-up can be lost. cond must not change the state itself, and
// should be quick: it may run many times, each time holding the lock.
// While cond is false DoWhen does not hold the lock, and other critical
// sections run.
//
// cond and f see every write made by the critical sections before them,
// and f sees cond's state: nothing runs between a true cond and f.
//
// If ctx ends before f starts, DoWhen returns ctx.Err() without running f,
// and leaves nothing behind in m. ctx does not interrupt f.
//
// After a change, waiters evaluate cond in the order they began waiting,
// so among those whose cond holds, the one that has waited longest runs
// first. A goroutine that has not waited yet (a Do, or a DoWhen just
// called) may take the lock ahead of them, as it may ahead of any waiter.
//
// A panic in cond or f reaches DoWhen's caller unchanged, after the lock
// has been released; other waiters are unaffected. DoWhen panics if ctx,
// cond or f is nil. It must not be called on m from inside a critical
// section of m.
func (m *Mutex) DoWhen(ctx context.Context, cond func() bool, f func()) error {
	if cond == nil {
		panic("lockx: Mutex.DoWhen: nil cond")
	}
	if err := enter(ctx, "Mutex.DoWhen", f == nil); err != nil {
		return err
	}
	if checkmode.On {
		defer m.check.acquire("Mutex.DoWhen", exclusive).done()
	}
	if !m.state.CompareAndSwap(0, mLocked) {
		if err := m.lockSlow(ctx, nil); err != nil {
			return err
		}
	}
	if err := await(m, ctx, cond); err != nil {
		return err
	}
	defer m.unlock()
	f()
	return nil
}

// DoWhen waits until it holds m exclusively and cond returns true, then
// runs f with m still held, as [Mutex.DoWhen] does. The critical sections
// that make it evaluate cond again are those of Do, DoContext and DoWhen;
// readers change nothing. It panics if ctx, cond or f is nil.
func (m *RWMutex) DoWhen(ctx context.Context, cond func() bool, f func()) error {
	if cond == nil {
		panic("lockx: RWMutex.DoWhen: nil cond")
	}
	return m.doWhen(ctx, "RWMutex.DoWhen", cond, f)
}

// doWhen is RWMutex.DoWhen, and Guarded.DoWhen with the value bound in.
func (m *RWMutex) doWhen(ctx context.Context, method string, cond func() bool, f func()) error {
	if err := enter(ctx, method, f == nil); err != nil {
		return err
	}
	if checkmode.On {
		defer m.check.acquire(method, exclusive).done()
	}
	if err := m.lockContext(ctx); err != nil {
		return err
	}
	if err := await(m, ctx, cond); err != nil {
		return err
	}
	defer m.unlock()
	f()
	return nil
}

// A condLock is a lock, held exclusively, that DoWhen can wait on.
type condLock interface {
	// awaitChange queues w to be moved into the lock's queue by the next
	// release after a change, releases the lock without counting as one,
	// and waits to hold it again. It gives up when ctx ends, returning
	// ctx.Err() without the lock.
	awaitChange(ctx context.Context, w *waiter) error
	// unlock releases the lock after a section that may have changed it.
	unlock()
}

// await waits, holding l on entry, until cond is true, and returns holding
// l; or returns ctx.Err() without it.
//
// Each waiter evaluates its own cond, on its own goroutine, once it holds
// the lock again after a change. Abseil's Mutex::Await has the releasing
// thread evaluate the waiters' conditions instead, which saves a wake-up
// per false condition but runs the waiter's code on whichever goroutine
// released the lock: a panic there would hit an innocent Do, a
// runtime.Goexit (t.FailNow in a test's cond) would end that goroutine,
// checked mode would charge locks taken in cond to it, and cond's cost
// would lengthen every release. Abseil forbids conditions that throw for
// this reason; Go cannot forbid panics, so lockx keeps cond where it came
// from, and pays with one lock hand-off per waiter per change, in the
// order the waiters queued.
func await(l condLock, ctx context.Context, cond func() bool) error {
	var w *waiter
	for !holds(l, cond) {
		if w == nil {
			w = newWaiter(true)
		}
		if err := l.awaitChange(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// holds evaluates cond, holding l. If cond panics or calls runtime.Goexit,
// holds releases l on the way out, as a section that may have changed the
// state: cond was not meant to, but a panic may have left anything half
// done, and a needless look by the other waiters costs less than a missed
// one.
func holds(l condLock, cond func() bool) bool {
	returned := false
	defer func() {
		if !returned {
			l.unlock()
		}
	}()
	ok := cond()
	returned = true
	return ok
}

func (m *Mutex) awaitChange(ctx context.Context, w *waiter) error {
	m.qmu.Lock()
	w.losses = 0
	m.conds.pushBack(w, awaiting)
	m.state.Or(mAwaiting)
	m.qmu.Unlock()
	m.unlockQuiet()
	if !w.wait(ctx.Done()) {
		m.abandon(w)
		return ctx.Err()
	}
	if w.status == granted {
		return m.won(ctx)
	}
	return m.lockSlow(ctx, w) // woken: compete for the lock
}

func (m *RWMutex) awaitChange(ctx context.Context, w *waiter) error {
	m.qmu.Lock()
	m.conds.pushBack(w, awaiting)
	m.state.Or(rwAwaiting)
	m.qmu.Unlock()
	m.unlockQuiet()
	return m.sleep(ctx, w)
}
