package lockx

import (
	"context"
	"sync"
	"sync/atomic"
)

// An rwlock is the lock behind Mutex, RWMutex and Guarded. Writers (the
// exclusive holders, all a Mutex has) contend for it as for sync.Mutex;
// readers count themselves in. Both kinds of holder and every flag live in
// one word, so that each fast path is one atomic operation on it.
type rwlock struct {
	check lockCheck // checked mode only; zero-size, and first so it adds no padding

	state atomic.Int64
	// qmu guards the queues and every change to the flags but writer and
	// writerWoken. It is held only for a few instructions at a time, never
	// while anyone waits for the lock.
	qmu   sync.Mutex
	wq    waitQueue // writers waiting for the lock
	rq    waitQueue // readers waiting for the writers to go
	conds waitQueue // DoWhen waiters waiting for the state to change
	cv    *condVar  // DoWhen waiters whose context cannot end, likewise
}

// A released lock goes to whichever writer gets it first: a newcomer may
// barge past a writer that was just woken, because handing the lock to a
// sleeping goroutine leaves it idle while that goroutine is scheduled, and
// that idle time is what makes a contended lock slow. Writers queue in
// arrival order, and only the first is woken on each release (writerWoken
// says one is up, so no second is woken to race it).
//
// A woken writer that loses the race goes back to the front of the queue;
// once it has lost starveAfter times, starving makes the next release hand
// the lock to it directly, and no newcomer can take it in between, so no
// writer can starve. The rule counts lost races rather than time
// (sync.Mutex switches after a waiter has waited 1 ms): it bounds the wait
// of the first writer by starveAfter+1 wake-ups, and it works the same
// inside a testing/synctest bubble, where the clock stands still while
// goroutines run.
//
// Readers yield to writers: a reader that finds a writer holding the lock,
// queued for it or woken to take it (readersWait) queues in rq, so a
// stream of readers cannot starve a writer. A writer's release lets in
// every queued reader before any queued writer can take the lock, so a
// stream of writers cannot starve readers either: the readers that queued
// behind one writer enter together when it leaves, and the queued writers
// wait for them. (A newcomer writer may take the lock between the release
// and the admission, once; then the readers go.)
//
// condsQueued routes a writer's release to the slow path only while some
// DoWhen waits for the state to change, so that a Do pays nothing for
// DoWhen otherwise.
const (
	writer        = 1 << iota // a writer holds the lock
	writerWoken               // a writer was woken and is competing: wake no other
	writersQueued             // wq is not empty
	starving                  // the next release hands the lock to wq's head; nobody barges
	readersQueued             // rq is not empty
	condsQueued               // conds or cv has waiters: a writer's release must wake them
	reader                    // one reader holds the lock; the readers count from this bit up
)

// readers masks the readers' count.
const readers = -reader

// readersWait masks the bits that make a newcomer reader wait.
const readersWait = writer | writersQueued | writerWoken

// starveAfter is how many times a woken writer may lose the lock to a
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

func (l *rwlock) lock() {
	if !l.state.CompareAndSwap(0, writer) {
		l.lockSlow(context.Background(), nil)
	}
}

func (l *rwlock) lockContext(ctx context.Context) error {
	if !l.state.CompareAndSwap(0, writer) {
		return l.lockSlow(ctx, nil)
	}
	return nil
}

// tryLock takes the lock for writing if it is free and promised to nobody.
func (l *rwlock) tryLock() bool {
	s := l.state.Load()
	return s&(writer|readers|starving) == 0 && l.state.CompareAndSwap(s, s|writer)
}

// unlock releases a writer after a critical section that may have changed
// the state guarded by the lock, so DoWhen waiters look again.
func (l *rwlock) unlock() {
	if s := l.state.Add(-writer); s != 0 {
		l.unlockSlow(s)
	}
}

// unlockQuiet releases a writer that changed nothing: a won wait whose ctx
// ended.
func (l *rwlock) unlockQuiet() {
	if s := l.state.Add(-writer); s != 0 {
		l.releaseSlow(s, false)
	}
}

// lockSlow takes the lock for writing after the fast path failed, or
// instead of it (DoWhen's first attempt starts with a load). It gives
// up when ctx ends, returning ctx.Err(); Do passes context.Background,
// which never does. w is nil, or a waiter of this goroutine's to queue
// with, in no queue.
func (l *rwlock) lockSlow(ctx context.Context, w *waiter) error {
	// Under contention the fast path most often fails on a free lock whose
	// woken writer has not run yet. Take it as the fast path would; nothing
	// was waited for, so ctx, checked by the caller, need not be again.
	if l.tryLock() {
		return nil
	}
	awoke := false // w was woken and holds writerWoken
	if w != nil {
		w.losses = 0
	}
	for {
		if l.spin(awoke) {
			return l.won(ctx)
		}
		l.qmu.Lock()
		// Under qmu nobody else can change writersQueued or starving, and
		// a release that finds writersQueued set takes qmu before it looks
		// at the queue; so either the lock is free now or this writer is
		// queued before the release looks.
		for {
			s := l.state.Load()
			if s&(writer|readers|starving) == 0 {
				next := s | writer
				if awoke {
					next &^= writerWoken
				}
				if l.state.CompareAndSwap(s, next) {
					l.qmu.Unlock()
					return l.won(ctx)
				}
				continue
			}
			next := s | writersQueued
			if awoke {
				next &^= writerWoken
				if w.losses+1 >= starveAfter {
					next |= starving
				}
			}
			if l.state.CompareAndSwap(s, next) {
				break
			}
		}
		if w == nil {
			w = newWaiter(true)
		}
		if awoke {
			// A writer beaten by a newcomer keeps its place at the front.
			w.losses++
			l.wq.pushFront(w, queued)
		} else {
			l.wq.pushBack(w, queued)
		}
		l.qmu.Unlock()

		if !w.wait(ctx.Done()) {
			l.abandon(w)
			return ctx.Err()
		}
		if w.status == granted {
			return l.won(ctx)
		}
		awoke = true
	}
}

// won is called holding the lock for writing after a wait. If ctx ended
// during the wait it releases the lock and reports ctx.Err(), so that f
// never starts after its context has ended, whichever of the two happened
// first.
func (l *rwlock) won(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		l.unlockQuiet()
		return err
	}
	return nil
}

// spin polls a held lock for a short while and takes it for writing if it
// comes free. An awoke writer clears writerWoken in the same
// compare-and-swap.
func (l *rwlock) spin(awoke bool) bool {
	for range spinRounds {
		s := l.state.Load()
		if s&starving != 0 {
			return false // the lock is promised to the queue's head
		}
		if s&(writer|readers) == 0 {
			next := s | writer
			if awoke {
				next &^= writerWoken
			}
			if l.state.CompareAndSwap(s, next) {
				return true
			}
			continue
		}
		for range spinLoads {
			if l.state.Load()&(writer|readers) == 0 {
				break
			}
		}
	}
	return false
}

// unlockSlow finishes an unlock that left state s. It is not inlined, so
// that unlock is.
//
//go:noinline
func (l *rwlock) unlockSlow(s int64) { l.releaseSlow(s, true) }

// releaseSlow finishes a writer's release that left state s, after a
// critical section that may have changed the state or not. Most releases
// under contention find a woken writer already competing, or nobody
// queued, and have nothing more to do; only a release that must let
// readers in, wake a writer, hand one the lock, or wake the DoWhen waiters
// after a change takes the queue mutex.
func (l *rwlock) releaseSlow(s int64, changed bool) {
	if s&writer != 0 {
		panic("lockx: internal error: release of a lock not held for writing")
	}
	conds := changed && s&condsQueued != 0
	if !conds && s&(starving|readersQueued) == 0 && (s&writersQueued == 0 || s&writerWoken != 0) {
		return
	}
	var c *waiter
	var bcast bool
	l.qmu.Lock()
	in := l.admit(true)
	if conds {
		c, bcast = l.wakeConds()
	}
	h := l.wake()
	l.qmu.Unlock()
	signalAll(in)
	h.signal()
	signalAll(c)
	if bcast {
		l.cv.Broadcast()
	}
}

// wake gives the writers' queue's head what a release owes it, unless
// someone else will: in starvation mode the lock itself, otherwise a
// wake-up to compete for it. It returns the waiter to signal once l.qmu,
// which must be held, is released.
func (l *rwlock) wake() *waiter {
	for {
		s := l.state.Load()
		h := l.wq.head
		if h == nil {
			return nil
		}
		next, status := s|writerWoken, woken
		switch {
		case s&starving != 0:
			if s&(writer|readers) != 0 {
				return nil // the holders' release will hand it over
			}
			// Nobody may take a released lock while starving is set, so
			// it is still free: take it on h's behalf, so that no newcomer
			// gets it between here and h waking.
			next, status = (s|writer)&^starving, granted
		case s&(writer|readers|writerWoken) != 0:
			// The holders' release will wake h; or a woken writer is
			// already competing, and waking a second one would only make
			// them race each other.
			return nil
		}
		if l.wq.last(h) {
			next &^= writersQueued
		}
		if l.state.CompareAndSwap(s, next) {
			l.wq.remove(h)
			h.status = status
			return h
		}
	}
}

// abandon takes w out of l after its context ended. Whatever l gave w in
// the meantime is passed on, so the give-up loses nothing: a grant of the
// lock is released, and a wake-up goes to the next writer. Readers that
// waited for a writer that gave up are let in.
func (l *rwlock) abandon(w *waiter) {
	l.qmu.Lock()
	switch w.status {
	case queued:
		if w.write {
			l.wq.remove(w)
			if l.wq.head == nil {
				l.state.And(^int64(writersQueued | starving))
			}
		} else {
			l.rq.remove(w)
			if l.rq.head == nil {
				l.state.And(^int64(readersQueued))
			}
		}
	case awaiting:
		l.conds.remove(w)
		if l.conds.head == nil && (l.cv == nil || l.cv.waiting == 0) {
			l.state.And(^int64(condsQueued))
		}
	case rechecking:
		// Out of every queue: the wake-up lands in w.ready, unread.
	case woken:
		l.state.Add(-writerWoken) // only w, which holds it, clears writerWoken now
	case granted:
		if w.write {
			l.state.Add(-writer)
		} else {
			l.state.Add(-reader)
		}
	}
	in := l.admit(false)
	h := l.wake()
	l.qmu.Unlock()
	signalAll(in)
	h.signal()
}
