package lockx

import (
	"context"
	"sync"

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
// If ctx ends before DoWhen wins the lock for the evaluation of cond that
// returns true, DoWhen returns ctx.Err() without running f, and leaves
// nothing behind in m. ctx does not interrupt f.
//
// A change wakes every waiter to evaluate cond again, as
// [sync.Cond.Broadcast] would, and they compete for the lock with each
// other and with goroutines that have not waited yet, in no set order: of
// several waiters whose cond holds, any may run first, and the others may
// then find cond false and wait on. A woken waiter that keeps losing the
// lock is handed it, as any waiter for the lock is, so every waiter looks
// at every change soon after it.
//
// A panic in cond or f reaches DoWhen's caller unchanged, after the lock
// has been released; other waiters are unaffected. DoWhen panics if ctx,
// cond or f is nil. It must not be called on m from inside a critical
// section of m.
func (m *Mutex) DoWhen(ctx context.Context, cond func() bool, f func()) error {
	if cond == nil {
		panic("lockx: Mutex.DoWhen: nil cond")
	}
	return m.l.doWhen(ctx, "Mutex.DoWhen", cond, f)
}

// DoWhen waits until it holds m exclusively and cond returns true, then
// runs f with m still held, as [Mutex.DoWhen] does. The critical sections
// that make it evaluate cond again are those of Do, DoContext and DoWhen;
// readers change nothing. It panics if ctx, cond or f is nil.
func (m *RWMutex) DoWhen(ctx context.Context, cond func() bool, f func()) error {
	if cond == nil {
		panic("lockx: RWMutex.DoWhen: nil cond")
	}
	return m.l.doWhen(ctx, "RWMutex.DoWhen", cond, f)
}

// doWhen is every DoWhen, with Guarded's value bound in.
//
// Each waiter evaluates its own cond, on its own goroutine, holding the
// lock. Abseil's Mutex::Await has the releasing thread evaluate the
// waiters' conditions instead, which saves a wake-up per false condition
// but runs the waiter's code on whichever goroutine released the lock: a
// panic there would hit an innocent Do, a runtime.Goexit (t.FailNow in a
// test's cond) would end that goroutine, a lock taken in cond would be
// taken while holding whatever that goroutine holds (an order the waiter
// never made, and checked mode would charge it to the wrong goroutine),
// and cond's cost would lengthen every release. Abseil forbids conditions
// that throw or lock for this reason; Go cannot forbid panics, so lockx
// keeps cond where it came from, and pays with a wake-up per waiter per
// change.
//
// A waiter whose cond is false queues in conds (or l.cv: see awaitChange)
// before it releases the lock, and a release after a change takes every waiter out of conds and
// wakes them all, as sync.Cond.Broadcast does: each competes for the lock
// like a newcomer, looks again, and queues again if its cond is still
// false. No wake-up can be lost: a change needs the lock, so it comes
// after the waiter has queued, and its release finds it.
//
// Waking them all at once lets their wake-ups overlap, and most of them
// then win the briefly held lock by spinning rather than sleeping again.
// An earlier version passed a single turn from waiter to waiter, so that
// they looked in the order they queued; but that put a whole sleep and
// wake-up between one look and the next, and made a producer/consumer
// pair about 1.5 times slower. sync.Cond's Broadcast users get no order
// either, and the lock's own hand-off still bounds how often a woken
// waiter can lose the lock.
func (l *rwlock) doWhen(ctx context.Context, method string, cond func() bool, f func()) error {
	if err := enter(ctx, method, f == nil); err != nil {
		return err
	}
	if checkmode.On {
		defer l.check.acquire(method, exclusive).done()
	}
	// Not lockContext: its compare-and-swap expects a lock with no flag
	// set, and while DoWhen waiters sleep, condsQueued is.
	if err := l.lockSlow(ctx, nil); err != nil {
		return err
	}
	var w *waiter // made on the first false cond, if ctx can end
	held := true
	defer func() {
		// f returned, or cond or f panicked or called runtime.Goexit,
		// holding l. A panicking cond was not meant to change the state,
		// but may have left anything half done, and a needless look by the
		// other waiters costs less than a missed one: release as a change.
		if held {
			l.unlock()
		}
	}()
	for !cond() {
		if w == nil && ctx.Done() != nil {
			w = newWaiter(true)
		}
		held = false
		if err := l.awaitChange(ctx, w); err != nil {
			return err
		}
		held = true
	}
	f() // its release is a change, and wakes the waiters in conds
	return nil
}

// awaitChange queues w, whose cond is false, until the state changes,
// releases l without counting as a change, and waits to be woken; then
// takes l again. It gives up when ctx ends, returning ctx.Err() without l.
//
// A nil w is a wait whose ctx cannot end, which sleeps in l.cv instead of
// in conds. A wait that ctx can end must select on ctx.Done() and a
// channel, which the waiting goroutine must make itself to stay durable in
// testing/synctest, and which it has to allocate with a waiter to queue.
// sync.Cond.Wait is durable too, and allocates nothing.
func (l *rwlock) awaitChange(ctx context.Context, w *waiter) error {
	l.qmu.Lock()
	// Release l and flag conds in one atomic operation: on a lock the
	// waker is hammering, each costs a cache-line round trip. Only qmu's
	// holder sets condsQueued, so adding it cannot carry.
	d := int64(-writer)
	if l.state.Load()&condsQueued == 0 {
		d += condsQueued
	}
	var epoch uint64
	if w != nil {
		l.conds.pushBack(w, awaiting)
	} else {
		if l.cv == nil {
			l.cv = &condVar{}
			l.cv.L = &l.qmu
		}
		l.cv.waiting++
		epoch = l.cv.epoch
	}
	s := l.state.Add(d)
	if w == nil {
		// Keep qmu, so that no wake-up can come between here and Wait,
		// unless the release has more to do.
		if s&^condsQueued != 0 {
			l.qmu.Unlock()
			l.releaseSlow(s, false)
			l.qmu.Lock()
		}
		for l.cv.epoch == epoch {
			l.cv.Wait()
		}
		l.qmu.Unlock()
		return l.lockSlow(ctx, nil) // ctx cannot end
	}
	l.qmu.Unlock()
	if s&^condsQueued != 0 {
		l.releaseSlow(s, false)
	}
	if !w.wait(ctx.Done()) {
		l.abandon(w)
		return ctx.Err()
	}
	if err := l.lockSlow(ctx, w); err != nil {
		return err
	}
	return l.won(ctx) // lockSlow may win at once, without looking at ctx
}

// A condVar is where the DoWhen waiters whose context cannot end sleep.
type condVar struct {
	sync.Cond        // L is the lock's qmu
	waiting   int    // waiters asleep in Cond since the last wakeConds
	epoch     uint64 // wakeConds calls that woke any
}

// wakeConds takes every waiter out of l.conds, and returns them chained
// through next, for signalAll once l.qmu, which must be held, is
// released; and reports whether to broadcast l.cv then too.
func (l *rwlock) wakeConds() (*waiter, bool) {
	bcast := l.cv != nil && l.cv.waiting > 0
	if bcast {
		l.cv.waiting = 0
		l.cv.epoch++
	}
	h := l.conds.head
	if h == nil && !bcast {
		return nil, false
	}
	l.state.And(^int64(condsQueued))
	if h == nil {
		return nil, bcast
	}
	l.conds.head = nil
	h.prev.next = nil
	for w := h; w != nil; w = w.next {
		w.prev = nil
		w.status = rechecking
	}
	return h, bcast
}
