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
// The wake-ups go one at a time, like a baton. A waiter whose cond is
// false records the lock's gen, the count of changes, and sleeps in conds;
// it is stale once gen has moved on. A release after a change gives the
// first waiter in conds its turn, unless a turn is out already (turnOut).
// A release that finds a turn out does nothing more: the turn's holder has
// not looked yet, since it looks holding the lock, and when it looks it
// sees this change, and compares the waiters behind it with a gen that
// counts it. The waiter with the turn competes for the lock like a
// newcomer, rather than being handed it asleep, which would leave the lock
// idle until the waiter runs. If its cond is false it goes to the back of
// conds, not stale, and passes the turn to the next waiter if that one is
// stale; if true, it runs f, and f's release, a change, ends its turn and
// gives the next waiter one. So after a change every waiter looks once, in
// the order they queued, and only one at a time is woken to look.
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
	var w *waiter // made on the first false cond
	held := true
	defer func() {
		// f returned, or cond or f panicked or called runtime.Goexit,
		// holding l. A panicking cond was not meant to change the state,
		// but may have left anything half done, and a needless look by the
		// other waiters costs less than a missed one: release as a change.
		if !held {
			return
		}
		if w != nil && w.turn {
			// Keeping the turn to here is the same as ending it before f:
			// only a writer's release, which must wait for this one, looks
			// at it. Ending it in the release saves an atomic operation.
			w.turn = false
			l.gen++
			if s := l.state.Add(-(writer | turnOut)); s != 0 {
				l.unlockSlow(s)
			}
			return
		}
		l.unlock()
	}()
	for !cond() {
		if w == nil {
			w = newWaiter(true)
		}
		held = false
		if err := l.awaitChange(ctx, w); err != nil {
			return err
		}
		held = true
	}
	f() // its release is a change, and gives the next waiter its turn
	return nil
}

// awaitChange queues w, whose cond is false, until the state changes,
// releases l without counting as a change, and waits for w's turn to look
// again; then takes l again. It gives up when ctx ends, returning
// ctx.Err() without l.
func (l *rwlock) awaitChange(ctx context.Context, w *waiter) error {
	var next *waiter
	l.qmu.Lock()
	hadTurn := w.turn
	if hadTurn {
		w.turn = false
		next = l.takeTurn()
	}
	w.gen = l.gen
	l.conds.pushBack(w, awaiting)
	// Release l, flag conds and pass the turn in one atomic operation: on
	// a lock the waker is hammering, each costs a cache-line round trip.
	var s int64
	for {
		old := l.state.Load()
		s = old | condsQueued
		if hadTurn && next == nil {
			s &^= turnOut
		}
		s -= writer
		if l.state.CompareAndSwap(old, s) {
			break
		}
	}
	l.qmu.Unlock()
	if s&^(condsQueued|turnOut) != 0 {
		l.releaseSlow(s, false)
	}
	next.signal()
	if !w.wait(ctx.Done()) {
		l.abandon(w)
	} else if l.lockSlow(ctx, w) == nil && l.won(ctx) == nil {
		return nil // lockSlow may win at once, without looking at ctx: won does
	}
	if w.turn {
		l.qmu.Lock()
		w.turn = false
		l.state.And(^int64(turnOut))
		r := l.nextTurn()
		l.qmu.Unlock()
		r.signal()
	}
	return ctx.Err()
}

// nextTurn takes the head of l.conds out and gives it its turn, unless a
// turn is out already. It returns the waiter to signal once l.qmu, which
// must be held, is released.
//
// Its callers, a release after a change and a turn given up, do not hold
// l, so cannot read gen: they give the head its turn whether or not it is
// stale. It nearly always is: it queued before the change, unless every
// waiter queued before it left in the moment since. A needless look costs
// a wake-up; a missed one would lose it.
func (l *rwlock) nextTurn() *waiter {
	h := l.conds.head
	if h == nil {
		return nil
	}
	for {
		s := l.state.Load()
		if s&turnOut != 0 {
			// Another release gave a turn since this one's: its holder
			// looks after both changes.
			return nil
		}
		next := s | turnOut
		if l.conds.last(h) {
			next &^= condsQueued
		}
		if l.state.CompareAndSwap(s, next) {
			break
		}
	}
	l.conds.remove(h)
	h.status, h.turn = rechecking, true
	return h
}

// takeTurn is nextTurn for the turn's holder, which holds l: it gives the
// head of l.conds the turn only if it is stale, and sets the flags itself,
// in its release.
func (l *rwlock) takeTurn() *waiter {
	w := l.conds.head
	if w == nil || w.gen == l.gen {
		return nil
	}
	l.conds.remove(w)
	w.status, w.turn = rechecking, true
	return w
}
