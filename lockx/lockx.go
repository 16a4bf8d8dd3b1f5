// Package lockx provides locks that cannot be left locked, and lock waits
// that can be given up.
//
// A plain mu.Lock() needs a matching mu.Unlock() on every path out of the
// critical section: an early return, a break, a panic. Miss one and every
// goroutine that later wants the lock blocks forever. lockx has no exported
// Lock or Unlock. Do runs a function holding the lock and releases it
// however the function ends, including by panic or runtime.Goexit, so the
// unlock cannot be forgotten.
//
// DoContext goes further than sync: a goroutine waiting for the lock stops
// waiting when its context ends, so a stuck holder cannot take every waiter
// down with it. A waiter that gives up leaves nothing behind: no goroutine,
// no queue entry, and no lock that it later takes and never releases.
//
// # Do not block inside f
//
// The lock is held for as long as f runs, so f must not wait for anything
// that may never happen. A channel send inside f, to a receiver that has
// gone away, leaves the lock held forever; this is the other half of the
// real lock leaks. Move the wait out of f, or bound it with a context, for
// example with chanx.Send(ctx, ch, v); the package example shows both.
//
// Calling Do or DoContext on a mutex from inside f of the same mutex
// deadlocks, as it does with sync.Mutex: lockx cannot tell which goroutine
// holds the lock without costing every call. DoContext bounds the damage:
// a nested DoContext returns ctx.Err() when ctx ends.
//
// # Fairness
//
// A released Mutex goes to whichever goroutine gets it first (a newcomer
// may barge past a goroutine that was just woken) because handing the lock
// to a sleeping goroutine leaves it idle while that goroutine is scheduled,
// and that idle time is what makes a contended lock slow. Waiters queue in
// arrival order, and only the first is woken on each release. A woken
// waiter that loses the race to a newcomer goes back to the front of the
// queue; once it has lost twice, the next release hands the lock to it
// directly and no newcomer can take it in between, so no waiter can starve.
// The rule counts lost races rather than time (sync.Mutex switches after a
// waiter has waited 1 ms): it bounds the wait of the first waiter by three
// wake-ups, and it works the same inside a testing/synctest bubble, where
// the clock stands still while goroutines run.
//
// RWMutex hands the lock over in strict arrival order once anyone is
// queued: readers arriving behind a waiting writer wait for it, so a
// steady stream of readers cannot starve a writer, and the readers that
// queued behind a writer all enter together when it is done.
//
// Both poll a held lock for a moment before queueing, as sync.Mutex does,
// since a short critical section on another core often ends sooner than a
// goroutine can be put to sleep and woken.
//
// # testing/synctest
//
// A waiting goroutine blocks on a channel it makes itself, so a goroutine
// waiting for a lockx lock inside a testing/synctest bubble is durably
// blocked: fake time advances, DoContext timeouts fire, and a deadlock is
// reported at once instead of hanging. (A goroutine waiting in
// sync.Mutex.Lock is not durably blocked.) As with channels, a lock used
// inside a bubble must not also be used from outside it: a release from
// outside that reaches a waiter inside stops the program with the
// runtime's fatal error for a send on a bubble's channel from outside.
package lockx

import (
	"context"
	"sync"
	"sync/atomic"
)

// A waiter is one goroutine waiting for a lock. It lives in its lock's queue
// while it waits, and it is only touched under the lock's queue mutex, apart
// from ready, which the waiting goroutine made and blocks on.
type waiter struct {
	// ready gets one value each time the waiter is woken or granted the
	// lock. It is made by the waiting goroutine itself, never pooled, so
	// that a wait inside a synctest bubble is on a channel of that bubble.
	ready      chan struct{}
	prev, next *waiter
	status     waitStatus
	write      bool // RWMutex: the waiter wants the lock exclusively
	losses     int  // Mutex: times woken and beaten to the lock
}

type waitStatus uint8

const (
	queued  waitStatus = iota // in the queue, asleep
	woken                     // out of the queue, told to compete for the lock
	granted                   // out of the queue, holding the lock
)

func newWaiter(write bool) *waiter {
	return &waiter{ready: make(chan struct{}, 1), write: write}
}

// wait blocks until w is signalled or done is closed, and reports whether w
// was signalled. A nil done (a context that never ends) waits for the
// signal alone, in a plain receive.
func (w *waiter) wait(done <-chan struct{}) bool {
	if done == nil {
		<-w.ready
		return true
	}
	select {
	case <-w.ready:
		return true
	case <-done:
		return false
	}
}

// signal wakes w, if w is not nil, after w.status was set under the queue
// mutex. It is called after the queue mutex is released, so that waking a
// goroutine does not lengthen the lock's critical sections. By then w may
// have given up and seen its new status on its own; the value then lands in
// ready, unread. ready always has room: w drained the previous signal
// before it could be queued again.
func (w *waiter) signal() {
	if w != nil {
		w.ready <- struct{}{}
	}
}

// A waitQueue is an intrusive FIFO list of waiters, so that a waiter that
// gives up can take itself out of the middle in O(1).
type waitQueue struct{ head, tail *waiter }

func (q *waitQueue) pushBack(w *waiter) {
	w.status = queued
	w.prev, w.next = q.tail, nil
	if q.tail == nil {
		q.head = w
	} else {
		q.tail.next = w
	}
	q.tail = w
}

func (q *waitQueue) pushFront(w *waiter) {
	w.status = queued
	w.prev, w.next = nil, q.head
	if q.head == nil {
		q.tail = w
	} else {
		q.head.prev = w
	}
	q.head = w
}

func (q *waitQueue) remove(w *waiter) {
	if w.prev == nil {
		q.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		q.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next = nil, nil
}

// A Mutex is a mutual exclusion lock whose critical sections are functions.
// The zero value is an unlocked mutex. A Mutex must not be copied after
// first use.
type Mutex struct {
	// state holds mLocked, mWoken, mWaiting and mStarving. The fast paths
	// are one atomic operation on it each; the queue is touched under qmu.
	state atomic.Int32
	// qmu guards q and every change to mWaiting and mStarving. It is held
	// only for a few instructions at a time, never while anyone waits for
	// the lock.
	qmu sync.Mutex
	q   waitQueue
}

const (
	mLocked   = 1 << iota // someone holds the lock
	mWoken                // a waiter has been woken and is competing; wake no other
	mWaiting              // q is not empty, so a release must look at it
	mStarving             // the next release hands the lock to q's head; nobody barges
)

// starveAfter is how many times a woken waiter may lose the lock to a
// newcomer before the next release must hand the lock to it directly.
const starveAfter = 2

// spinRounds and spinLoads bound how long a goroutine that finds the lock
// held polls it before queueing. A critical section of a few instructions
// ends well within that time on another core, and winning the lock then
// saves a sleep and a wake-up.
const (
	spinRounds = 4
	spinLoads  = 40
)

// Do runs f while holding m's lock, and releases the lock however f ends.
// It blocks until the lock is free; a panic in f reaches Do's caller
// unchanged, after the lock has been released. Do panics if f is nil.
//
// Do must not be called on m from inside f: that deadlocks, as with
// sync.Mutex.
func (m *Mutex) Do(f func()) {
	if f == nil {
		panic("lockx: Mutex.Do: nil func")
	}
	m.lock()
	defer m.unlock()
	f()
}

// DoContext runs f while holding m's lock, like Do, unless ctx ends first.
//
// It returns ctx.Err() without running f if ctx has already ended, or ends
// before the lock is won; a wait given up that way leaves no trace in m.
// Otherwise it returns nil after f returns. ctx does not interrupt f: once
// f has started it runs to completion. A panic in f reaches the caller
// unchanged, after the lock has been released. DoContext panics if ctx or
// f is nil.
func (m *Mutex) DoContext(ctx context.Context, f func()) error {
	if ctx == nil {
		panic("lockx: Mutex.DoContext: nil Context")
	}
	if f == nil {
		panic("lockx: Mutex.DoContext: nil func")
	}
	// Checking first makes an ended ctx win even over a free lock, as in
	// chanx: a loop of DoContext calls stops at the first call after
	// cancellation.
	if err := ctx.Err(); err != nil {
		return err
	}
	if !m.state.CompareAndSwap(0, mLocked) {
		if err := m.lockSlow(ctx); err != nil {
			return err
		}
	}
	defer m.unlock()
	f()
	return nil
}

// TryDo runs f while holding m's lock if the lock can be had without
// waiting, and reports whether f ran. It never blocks. Like
// sync.Mutex.TryLock it may take a free lock ahead of goroutines that are
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
	defer m.unlock()
	f()
	return true
}

func (m *Mutex) lock() {
	if !m.state.CompareAndSwap(0, mLocked) {
		m.lockSlow(context.Background())
	}
}

func (m *Mutex) unlock() {
	if s := m.state.Add(-mLocked); s != 0 {
		m.unlockSlow(s)
	}
}

// lockSlow takes the lock after the fast path failed. It gives up when ctx
// ends, returning ctx.Err(); Do passes context.Background, which never does.
func (m *Mutex) lockSlow(ctx context.Context) error {
	// Under contention the fast path most often fails on a free lock whose
	// woken waiter has not run yet. Take it as the fast path would; nothing
	// was waited for, so ctx, checked by the caller, need not be again.
	if s := m.state.Load(); s&(mLocked|mStarving) == 0 && m.state.CompareAndSwap(s, s|mLocked) {
		return nil
	}
	var (
		w     *waiter
		awoke bool // w was woken and holds mWoken
	)
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
			m.q.pushFront(w)
		} else {
			m.q.pushBack(w)
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
		m.unlock()
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

// unlockSlow finishes a release that left state s. Most releases under
// contention find a woken waiter already competing, or nobody queued, and
// have nothing more to do; only a release that must wake a waiter or hand
// one the lock takes the queue mutex.
func (m *Mutex) unlockSlow(s int32) {
	if s&mLocked != 0 {
		panic("lockx: internal error: release of an unlocked Mutex")
	}
	if s&mStarving == 0 && (s&mWaiting == 0 || s&mWoken != 0) {
		return
	}
	m.qmu.Lock()
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
		if h.next == nil {
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
			for {
				s := m.state.Load()
				if m.state.CompareAndSwap(s, s&^(mWaiting|mStarving)) {
					break
				}
			}
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

// An RWMutex is a reader/writer lock whose critical sections are
// functions: any number of RDo calls may run at once, while a Do call runs
// alone. The zero value is an unlocked mutex. An RWMutex must not be copied
// after first use.
//
// Once anyone is waiting, the lock is handed over in arrival order: a
// reader that arrives behind a waiting writer waits for it, so readers
// cannot starve a writer, and all the readers queued behind a writer enter
// together when it is done, so writers cannot starve readers.
type RWMutex struct {
	// state is rwWriter | rwWaiting | readers*rwReader. The fast paths are
	// one atomic operation on it each while nobody is queued; the queue is
	// touched under qmu.
	state atomic.Int64
	qmu   sync.Mutex // guards q and every change to rwWaiting
	q     waitQueue
}

const (
	rwWriter  = 1 << iota // a writer holds the lock
	rwWaiting             // q is not empty: newcomers queue, releases dispatch
	rwReader              // one reader; the readers count from this bit up
)

// Do runs f while holding m exclusively, and releases m however f ends. It
// blocks until no reader or writer holds m and every goroutine that queued
// earlier has had its turn. A panic in f reaches Do's caller unchanged,
// after m has been released. Do panics if f is nil.
//
// Do, RDo and their context variants must not be called on m from inside
// f: Do inside Do deadlocks, and so can RDo inside RDo once a writer waits.
func (m *RWMutex) Do(f func()) {
	if f == nil {
		panic("lockx: RWMutex.Do: nil func")
	}
	if !m.state.CompareAndSwap(0, rwWriter) {
		m.lockSlow(context.Background(), true)
	}
	defer m.unlock()
	f()
}

// RDo runs f while holding m shared with other readers, and releases it
// however f ends. It blocks while a writer holds m or while anyone is
// queued for it. A panic in f reaches RDo's caller unchanged, after m has
// been released. RDo panics if f is nil.
func (m *RWMutex) RDo(f func()) {
	if f == nil {
		panic("lockx: RWMutex.RDo: nil func")
	}
	if !m.rtryLock() {
		m.rlockSlow(context.Background())
	}
	defer m.runlock()
	f()
}

// DoContext is Do, but gives up when ctx ends. It returns ctx.Err() without
// running f if ctx has already ended or ends before m is won, and leaves no
// trace in m when it gives up. Otherwise it returns nil after f returns;
// ctx does not interrupt f. It panics if ctx or f is nil.
func (m *RWMutex) DoContext(ctx context.Context, f func()) error {
	if ctx == nil {
		panic("lockx: RWMutex.DoContext: nil Context")
	}
	if f == nil {
		panic("lockx: RWMutex.DoContext: nil func")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !m.state.CompareAndSwap(0, rwWriter) {
		if err := m.lockSlow(ctx, true); err != nil {
			return err
		}
	}
	defer m.unlock()
	f()
	return nil
}

// RDoContext is RDo, but gives up when ctx ends, with the same guarantees
// as DoContext. It panics if ctx or f is nil.
func (m *RWMutex) RDoContext(ctx context.Context, f func()) error {
	if ctx == nil {
		panic("lockx: RWMutex.RDoContext: nil Context")
	}
	if f == nil {
		panic("lockx: RWMutex.RDoContext: nil func")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !m.rtryLock() {
		if err := m.rlockSlow(ctx); err != nil {
			return err
		}
	}
	defer m.runlock()
	f()
	return nil
}

// rtryLock counts a reader in, and reports whether it may stay: no writer
// holds m and nobody is queued. If not, the caller must back out with
// rlockSlow. Counting in first, as sync.RWMutex does, costs readers one
// atomic add where a compare-and-swap loop would make them retry on each
// other. While such a reader is counted in, a writer waiting to be let in
// sees one reader more, and its back-out is a reader leaving like any other.
func (m *RWMutex) rtryLock() bool {
	return m.state.Add(rwReader)&(rwWriter|rwWaiting) == 0
}

// rlockSlow backs out the reader rtryLock counted in, and waits its turn.
func (m *RWMutex) rlockSlow(ctx context.Context) error {
	m.runlock()
	return m.lockSlow(ctx, false)
}

func (m *RWMutex) unlock() {
	// Readers that counted themselves in and are about to back out may be
	// in s too; only a queue needs the slow path.
	if s := m.state.Add(-rwWriter); s&rwWaiting != 0 {
		m.letIn()
	}
}

func (m *RWMutex) runlock() {
	// Only the last one out can let a waiter in (while readers remain, the
	// queue's head is a writer waiting for them), and only if no writer
	// holds m: a reader backing out from under a writer leaves the queue to
	// the writer's release. So s == rwWaiting: nobody left, someone queued.
	if s := m.state.Add(-rwReader); s == rwWaiting {
		m.letIn()
	}
}

func (m *RWMutex) letIn() {
	m.qmu.Lock()
	in := m.dispatch()
	m.qmu.Unlock()
	signalAll(in)
}

// lockSlow takes m for reading or writing after the fast path failed,
// giving up when ctx ends.
func (m *RWMutex) lockSlow(ctx context.Context, write bool) error {
	if m.spin(write) {
		return m.won(ctx, write)
	}
	m.qmu.Lock()
	for {
		s := m.state.Load()
		if m.q.head == nil && (s == 0 || !write && s&rwWriter == 0) {
			next := s + rwReader
			if write {
				next = rwWriter
			}
			if m.state.CompareAndSwap(s, next) {
				m.qmu.Unlock()
				return m.won(ctx, write)
			}
			continue
		}
		if m.state.CompareAndSwap(s, s|rwWaiting) {
			break
		}
	}
	w := newWaiter(write)
	m.q.pushBack(w)
	m.qmu.Unlock()

	if !w.wait(ctx.Done()) {
		m.qmu.Lock()
		switch w.status {
		case queued:
			m.q.remove(w)
		case granted:
			if write {
				m.state.Add(-rwWriter)
			} else {
				m.state.Add(-rwReader)
			}
		}
		// Whatever w held or blocked (readers queued behind a writer that
		// gave up) may now be let in.
		in := m.dispatch()
		m.qmu.Unlock()
		signalAll(in)
		return ctx.Err()
	}
	return m.won(ctx, write)
}

// spin polls m for a short while, as Mutex.spin does, and takes it if it
// comes free before anyone queues.
func (m *RWMutex) spin(write bool) bool {
	for range spinRounds {
		s := m.state.Load()
		if s&rwWaiting != 0 {
			return false // queue in turn behind those already waiting
		}
		if write && s == 0 || !write && s&rwWriter == 0 {
			next := s + rwReader
			if write {
				next = rwWriter
			}
			if m.state.CompareAndSwap(s, next) {
				return true
			}
			continue
		}
		for range spinLoads {
			if s := m.state.Load(); s&rwWaiting != 0 || s&rwWriter == 0 && (!write || s == 0) {
				break
			}
		}
	}
	return false
}

// won is called holding m after a wait: like Mutex.won, it releases m and
// reports ctx.Err() if ctx ended during the wait.
func (m *RWMutex) won(ctx context.Context, write bool) error {
	if err := ctx.Err(); err != nil {
		if write {
			m.unlock()
		} else {
			m.runlock()
		}
		return err
	}
	return nil
}

// dispatch lets in as many queued waiters, from the head, as the lock's
// state allows, and keeps rwWaiting in step with the queue. m.qmu must be
// held. Only releases (outside qmu) change the state concurrently, so each
// grant is a compare-and-swap retried on their account. It returns the
// waiters let in, chained through next, for signalAll once m.qmu is
// released.
func (m *RWMutex) dispatch() (in *waiter) {
	for {
		h := m.q.head
		if h == nil {
			break
		}
		s := m.state.Load()
		var next int64
		if h.write {
			if s&^rwWaiting != 0 {
				break // still held
			}
			next = s | rwWriter
		} else {
			if s&rwWriter != 0 {
				break
			}
			next = s + rwReader
		}
		if !m.state.CompareAndSwap(s, next) {
			continue
		}
		m.q.remove(h)
		h.status = granted
		h.next, in = in, h
	}
	if m.q.head == nil {
		for {
			s := m.state.Load()
			if s&rwWaiting == 0 || m.state.CompareAndSwap(s, s&^rwWaiting) {
				break
			}
		}
	}
	return in
}

// signalAll signals the waiters dispatch let in. RWMutex waiters are never
// queued again, so their next fields are free for the chain.
func signalAll(w *waiter) {
	for w != nil {
		next := w.next
		w.signal()
		w = next
	}
}

// Guarded holds a value of type T that can be reached only while holding
// its lock. The zero value holds T's zero value, unlocked. A Guarded must
// not be copied after first use.
type Guarded[T any] struct {
	mu Mutex
	v  T
}

// NewGuarded returns a Guarded holding v.
func NewGuarded[T any](v T) *Guarded[T] {
	return &Guarded[T]{v: v}
}

// Do calls f with a pointer to the guarded value while holding g's lock,
// and releases the lock however f ends. The pointer is valid only until f
// returns: f must not keep it, or anything inside the value that is shared
// by reference, after it returns. Do blocks and panics as Mutex.Do does,
// and panics if f is nil.
func (g *Guarded[T]) Do(f func(v *T)) {
	if f == nil {
		panic("lockx: Guarded.Do: nil func")
	}
	g.mu.lock()
	defer g.mu.unlock()
	f(&g.v)
}

// DoContext is Do, but gives up when ctx ends, as Mutex.DoContext does:
// it returns ctx.Err() without calling f if ctx ends before the lock is
// won. It panics if ctx or f is nil.
func (g *Guarded[T]) DoContext(ctx context.Context, f func(v *T)) error {
	if ctx == nil {
		panic("lockx: Guarded.DoContext: nil Context")
	}
	if f == nil {
		panic("lockx: Guarded.DoContext: nil func")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !g.mu.state.CompareAndSwap(0, mLocked) {
		if err := g.mu.lockSlow(ctx); err != nil {
			return err
		}
	}
	defer g.mu.unlock()
	f(&g.v)
	return nil
}
