package lockx

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/leakproof/leakproof/internal/checkmode"
)

// A Mutex is a mutual exclusion lock whose critical sections are functions.
// The zero value is an unlocked mutex. A Mutex must not be copied after
// first use.
//
// In the terminology of [the Go memory model], the return of the n'th
// critical section (the f of a [Mutex.Do], [Mutex.DoContext],
// [Mutex.TryDo] or [Mutex.DoWhen] call, or a DoWhen's cond) is
// synchronized before the start of the m'th for any n < m: each critical
// section sees every write made in the ones before it.
//
// [the Go memory model]: https://go.dev/ref/mem
type Mutex struct {
	check lockCheck // checked mode only; zero-size, and first so it adds no padding

	// state holds mLocked, mWoken, mWaiting, mStarving and mAwaiting. The
	// fast paths are one atomic operation on it each; the queues are
	// touched under qmu.
	state atomic.Int32
	// qmu guards q, conds and every change to mWaiting, mStarving and
	// mAwaiting. It is held only for a few instructions at a time, never
	// while anyone waits for the lock.
	qmu   sync.Mutex
	q     waitQueue // goroutines waiting for the lock
	conds waitQueue // DoWhen callers waiting for the state to change
}

// A released Mutex goes to whichever goroutine gets it first: a newcomer
// may barge past a goroutine that was just woken, because handing the lock
// to a sleeping goroutine leaves it idle while that goroutine is scheduled,
// and that idle time is what makes a contended lock slow. Waiters queue in
// arrival order, and only the first is woken on each release (mWoken says
// one is up, so no second is woken to race it).
//
// A woken waiter that loses the race to a newcomer goes back to the front
// of the queue; once it has lost starveAfter times, mStarving makes the
// next release hand the lock to it directly, and no newcomer can take it
// in between, so no waiter can starve. The rule counts lost races rather
// than time (sync.Mutex switches after a waiter has waited 1 ms): it
// bounds the wait of the first waiter by starveAfter+1 wake-ups, and it
// works the same inside a testing/synctest bubble, where the clock stands
// still while goroutines run.
//
// mAwaiting routes releases to the slow path only while some DoWhen waits
// for the state to change, so that a Do pays nothing for DoWhen otherwise.
const (
	mLocked   = 1 << iota // someone holds the lock
	mWoken                // a waiter has been woken and is competing; wake no other
	mWaiting              // q is not empty, so a release must look at it
	mStarving             // the next release hands the lock to q's head; nobody barges
	mAwaiting             // conds is not empty: a release after a change requeues it
)

// starveAfter is how many times a woken waiter may lose the lock to a
// newcomer before the next release must hand the lock to it directly.
const starveAfter = 2

// spinRounds and spinLoads bound how long a goroutine that finds the lock
// held polls it before queueing, as sync.Mutex does. A critical section of
// a few instructions ends well within that time on another core, and
// winning the lock then saves a sleep and a wake-up.
const (
	spinRounds = 4
	spinLoads  = 40
)

// Do runs f while holding m's lock, and releases the lock however f ends.
// It blocks until the lock is free; a panic in f reaches Do's caller
// unchanged, after the lock has been released. Do panics if f is nil.
//
// Do must not be called on m from inside f: that deadlocks, as with
// [sync.Mutex], and panics in checked mode.
func (m *Mutex) Do(f func()) {
	if f == nil {
		panic("lockx: Mutex.Do: nil func")
	}
	if checkmode.On {
		defer m.check.acquire("Mutex.Do", exclusive).done()
	}
	m.lock()
	defer m.unlock()
	f()
}

// DoContext runs f while holding m's lock, like [Mutex.Do], unless ctx
// ends first.
//
// It returns ctx.Err() without running f if ctx has already ended, or ends
// before the lock is won; a wait given up that way leaves no trace in m.
// Otherwise it returns nil after f returns. ctx does not interrupt f: once
// f has started it runs to completion. A panic in f reaches the caller
// unchanged, after the lock has been released. DoContext panics if ctx or
// f is nil.
func (m *Mutex) DoContext(ctx context.Context, f func()) error {
	if err := enter(ctx, "Mutex.DoContext", f == nil); err != nil {
		return err
	}
	if checkmode.On {
		defer m.check.acquire("Mutex.DoContext", exclusive).done()
	}
	if !m.state.CompareAndSwap(0, mLocked) {
		if err := m.lockSlow(ctx, nil); err != nil {
			return err
		}
	}
	defer m.unlock()
	f()
	return nil
}

// TryDo runs f while holding m's lock if the lock can be had without
// waiting, and reports whether f ran. It never blocks. Like
// [sync.Mutex.TryLock] it may take a free lock ahead of goroutines that are
// waiting for it. A panic in f reaches the caller unchanged, after the lock
// has been released. TryDo panics if f is nil.
func (m *Mutex) TryDo(f func()) bool {
	if f == nil {
		panic("lockx: Mutex.TryDo: nil func")
	}
	s := m.state.Load()
	if s&(mLocked|mStarving) != 0 || !m.state.CompareAndSwap(s, s|mLocked) {
		return false
	}
	if checkmode.On {
		defer m.check.acquire("Mutex.TryDo", tried).done()
	}
	defer m.unlock()
	f()
	return true
}

// enter is the prologue of every method that takes a Context: it panics on
// a nil ctx or func, then returns ctx.Err(). Checking ctx first makes an
// ended ctx win even over a free lock, as in chanx: a loop of DoContext
// calls stops at the first call after cancellation.
func enter(ctx context.Context, method string, nilFunc bool) error {
	if ctx == nil {
		panic("lockx: " + method + ": nil Context")
	}
	if nilFunc {
		panic("lockx: " + method + ": nil func")
	}
	return ctx.Err()
}

func (m *Mutex) lock() {
	if !m.state.CompareAndSwap(0, mLocked) {
		m.lockSlow(context.Background(), nil)
	}
}

// unlock releases m after a critical section that may have changed the
// state guarded by it, so DoWhen callers waiting on that state look again.
func (m *Mutex) unlock() {
	if s := m.state.Add(-mLocked); s != 0 {
		m.unlockSlow(s)
	}
}

// unlockQuiet releases m after a critical section that changed nothing:
// a DoWhen's cond that was false, or a won wait whose ctx had ended.
func (m *Mutex) unlockQuiet() {
	if s := m.state.Add(-mLocked); s != 0 {
		m.releaseSlow(s, false)
	}
}

// lockSlow takes the lock after the fast path failed. It gives up when ctx
// ends, returning ctx.Err(); Do passes context.Background, which never does.
// w is nil, or this goroutine's waiter, already woken to compete for the
// lock and holding mWoken.
func (m *Mutex) lockSlow(ctx context.Context, w *waiter) error {
	awoke := w != nil
	// Under contention the fast path most often fails on a free lock whose
	// woken waiter has not run yet. Take it as the fast path would; nothing
	// was waited for, so ctx, checked by the caller, need not be again.
	if s := m.state.Load(); !awoke && s&(mLocked|mStarving) == 0 && m.state.CompareAndSwap(s, s|mLocked) {
		return nil
	}
	for {
		if m.spin(awoke) {
			return m.won(ctx)
		}
		m.qmu.Lock()
		// Under qmu nobody else can change mWaiting or mStarving, and a
		// release that finds mWaiting set takes qmu before it looks at the
		// queue; so either the lock is free now or this waiter is queued
		// before the release looks.
		for {
			s := m.state.Load()
			if s&(mLocked|mStarving) == 0 {
				next := s | mLocked
				if awoke {
					next &^= mWoken
				}
				if m.state.CompareAndSwap(s, next) {
					m.qmu.Unlock()
					return m.won(ctx)
				}
				continue
			}
			next := s | mWaiting
			if awoke {
				next &^= mWoken
				if w.losses+1 >= starveAfter {
					next |= mStarving
				}
			}
			if m.state.CompareAndSwap(s, next) {
				break
			}
		}
		if w == nil {
			w = newWaiter(true)
		}
		if awoke {
			// A waiter beaten by a newcomer keeps its place at the front.
			w.losses++
			m.q.pushFront(w, queued)
		} else {
			m.q.pushBack(w, queued)
		}
		m.qmu.Unlock()

		if !w.wait(ctx.Done()) {
			m.abandon(w)
			return ctx.Err()
		}
		if w.status == granted {
			return m.won(ctx)
		}
		awoke = true
	}
}

// won is called with the lock held after a wait. If ctx ended during the
// wait it releases the lock and reports ctx.Err(), so that f never starts
// after its context has ended, whichever of the two happened first.
func (m *Mutex) won(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		m.unlockQuiet()
		return err
	}
	return nil
}

// spin polls a held lock for a short while and takes it if it comes free.
// An awoke waiter clears mWoken in the same compare-and-swap.
func (m *Mutex) spin(awoke bool) bool {
	for range spinRounds {
		s := m.state.Load()
		if s&mStarving != 0 {
			return false // the lock is promised to the queue's head
		}
		if s&mLocked == 0 {
			next := s | mLocked
			if awoke {
				next &^= mWoken
			}
			if m.state.CompareAndSwap(s, next) {
				return true
			}
			continue
		}
		for range spinLoads {
			if m.state.Load()&mLocked == 0 {
				break
			}
		}
	}
	return false
}

// unlockSlow finishes an unlock that left state s.
func (m *Mutex) unlockSlow(s int32) { m.releaseSlow(s, true) }

// releaseSlow finishes a release that left state s, after a critical
// section that may have changed the state or not. Most releases under
// contention find a woken waiter already competing, or nobody queued, and
// have nothing more to do; only a release that must wake a waiter, hand
// one the lock, or requeue DoWhen callers after a change takes the queue
// mutex.
func (m *Mutex) releaseSlow(s int32, changed bool) {
	if s&mLocked != 0 {
		panic("lockx: internal error: release of an unlocked Mutex")
	}
	requeue := changed && s&mAwaiting != 0
	if !requeue && s&mStarving == 0 && (s&mWaiting == 0 || s&mWoken != 0) {
		return
	}
	m.qmu.Lock()
	if requeue && m.q.requeue(&m.conds) {
		for {
			s := m.state.Load()
			if m.state.CompareAndSwap(s, s&^mAwaiting|mWaiting) {
				break
			}
		}
	}
	h := m.wake()
	m.qmu.Unlock()
	h.signal()
}

// wake gives the queue's head what a release owes it, unless someone else
// will: in starvation mode the lock itself, otherwise a wake-up to compete
// for it. It returns the waiter to signal once m.qmu, which must be held,
// is released.
func (m *Mutex) wake() *waiter {
	for {
		s := m.state.Load()
		h := m.q.head
		if h == nil {
			return nil
		}
		next, status := s|mWoken, woken
		switch {
		case s&mStarving != 0:
			if s&mLocked != 0 {
				return nil // its holder's release will hand it over
			}
			// Nobody may take a released lock while mStarving is set, so
			// it is still free: take it on h's behalf, so that no newcomer
			// gets it between here and h waking.
			next, status = (s|mLocked)&^mStarving, granted
		case s&(mLocked|mWoken) != 0:
			// A newcomer took the lock, and its release will wake h; or a
			// woken waiter is already competing, and waking a second one
			// would only make them race each other.
			return nil
		}
		if m.q.last(h) {
			next &^= mWaiting
		}
		if m.state.CompareAndSwap(s, next) {
			m.q.remove(h)
			h.status = status
			return h
		}
	}
}

// abandon takes w out of m after its context ended. Whatever m gave w in
// the meantime is passed on, so the give-up loses nothing: a grant of the
// lock is released, and a wake-up goes to the next waiter.
func (m *Mutex) abandon(w *waiter) {
	var next *waiter
	m.qmu.Lock()
	switch w.status {
	case queued:
		m.q.remove(w)
		if m.q.head == nil {
			m.state.And(^int32(mWaiting | mStarving))
		}
	case awaiting:
		m.conds.remove(w)
		if m.conds.head == nil {
			m.state.And(^int32(mAwaiting))
		}
	case woken:
		m.state.Add(-mWoken) // only w, which holds it, clears mWoken now
		next = m.wake()
	case granted:
		m.state.Add(-mLocked)
		next = m.wake()
	}
	m.qmu.Unlock()
	next.signal()
}
