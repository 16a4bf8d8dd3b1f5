package lockx

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/leakproof/leakproof/internal/checkmode"
)

// An RWMutex is a reader/writer lock whose critical sections are
// functions: any number of [RWMutex.RDo] calls may run at once, while a
// [RWMutex.Do] runs alone. The zero value is an unlocked mutex. An RWMutex
// must not be copied after first use.
//
// Once anyone is waiting, the lock is handed over in arrival order: a
// reader that arrives behind a waiting writer waits for it, so readers
// cannot starve a writer, and all the readers queued behind a writer enter
// together when it is done, so writers cannot starve readers.
//
// In the terminology of [the Go memory model], the return of the n'th
// exclusive critical section (the f of a Do, DoContext or DoWhen, or a
// DoWhen's cond) is synchronized before the start of the m'th for any
// n < m, and before the start of every shared one (an RDo's or
// RDoContext's f) that follows it; the return of a shared critical section
// is synchronized before the start of the next exclusive one. Shared
// critical sections are not ordered among themselves.
//
// [the Go memory model]: https://go.dev/ref/mem
type RWMutex struct {
	check lockCheck // checked mode only; zero-size, and first so it adds no padding

	// state is rwWriter | rwWaiting | rwAwaiting | readers*rwReader. The
	// fast paths are one atomic operation on it each while nobody is
	// queued; the queues are touched under qmu.
	state atomic.Int64
	qmu   sync.Mutex // guards q, conds and every change to rwWaiting and rwAwaiting
	q     waitQueue  // readers and writers waiting for the lock
	conds waitQueue  // DoWhen callers waiting for the state to change
}

// Once anyone is queued, rwWaiting sends newcomers to the back of the queue
// and releases to dispatch, which lets waiters in strictly from the head:
// no barging, unlike Mutex, because a reader that could barge past a
// queued writer would let a stream of readers starve it.
//
// A reader counts itself in before it looks (see rtryLock), so the reader
// count can include readers about to back out; a writer waits for them too.
const (
	rwWriter   = 1 << iota // a writer holds the lock
	rwWaiting              // q is not empty: newcomers queue, releases dispatch
	rwAwaiting             // conds is not empty: a writer's release requeues it
	rwReader               // one reader; the readers count from this bit up
)

// rwHeld masks the bits that say someone holds the lock.
const rwHeld = ^int64(rwWaiting | rwAwaiting)

// Do runs f while holding m exclusively, and releases m however f ends. It
// blocks until no reader or writer holds m and every goroutine that queued
// earlier has had its turn. A panic in f reaches Do's caller unchanged,
// after m has been released. Do panics if f is nil.
//
// Do, RDo and their variants must not be called on m from inside f or
// another critical section of m: Do inside Do deadlocks, and so can RDo
// inside RDo once a writer waits. Checked mode panics on both.
func (m *RWMutex) Do(f func()) {
	if f == nil {
		panic("lockx: RWMutex.Do: nil func")
	}
	if checkmode.On {
		defer m.check.acquire("RWMutex.Do", exclusive).done()
	}
	m.lock()
	defer m.unlock()
	f()
}

// RDo runs f while holding m shared with other readers, and releases it
// however f ends. It blocks while a writer holds m or while anyone is
// queued for it. f must only read what m guards: shared critical sections
// run at once, and a write in one is a data race. A panic in f reaches
// RDo's caller unchanged, after m has been released. RDo panics if f is
// nil.
func (m *RWMutex) RDo(f func()) {
	if f == nil {
		panic("lockx: RWMutex.RDo: nil func")
	}
	if checkmode.On {
		defer m.check.acquire("RWMutex.RDo", shared).done()
	}
	if !m.rtryLock() {
		m.rlockSlow(context.Background())
	}
	defer m.runlock()
	f()
}

// DoContext is [RWMutex.Do], but gives up when ctx ends. It returns
// ctx.Err() without running f if ctx has already ended or ends before m is
// won, and leaves no trace in m when it gives up. Otherwise it returns nil
// after f returns; ctx does not interrupt f. It panics if ctx or f is nil.
func (m *RWMutex) DoContext(ctx context.Context, f func()) error {
	if err := enter(ctx, "RWMutex.DoContext", f == nil); err != nil {
		return err
	}
	if checkmode.On {
		defer m.check.acquire("RWMutex.DoContext", exclusive).done()
	}
	if err := m.lockContext(ctx); err != nil {
		return err
	}
	defer m.unlock()
	f()
	return nil
}

// RDoContext is [RWMutex.RDo], but gives up when ctx ends, with the same
// guarantees as [RWMutex.DoContext]. It panics if ctx or f is nil.
func (m *RWMutex) RDoContext(ctx context.Context, f func()) error {
	if err := enter(ctx, "RWMutex.RDoContext", f == nil); err != nil {
		return err
	}
	if checkmode.On {
		defer m.check.acquire("RWMutex.RDoContext", shared).done()
	}
	if err := m.rlockContext(ctx); err != nil {
		return err
	}
	defer m.runlock()
	f()
	return nil
}

func (m *RWMutex) lock() {
	if !m.state.CompareAndSwap(0, rwWriter) {
		m.lockSlow(context.Background(), true)
	}
}

func (m *RWMutex) lockContext(ctx context.Context) error {
	if !m.state.CompareAndSwap(0, rwWriter) {
		return m.lockSlow(ctx, true)
	}
	return nil
}

func (m *RWMutex) rlockContext(ctx context.Context) error {
	if !m.rtryLock() {
		return m.rlockSlow(ctx)
	}
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

// unlock releases m after an exclusive critical section, which may have
// changed the state, so DoWhen callers waiting on it look again. Readers
// that counted themselves in and are about to back out may be in s too;
// only a queue, or callers awaiting a change, need the slow path.
func (m *RWMutex) unlock() {
	if s := m.state.Add(-rwWriter); s&(rwWaiting|rwAwaiting) != 0 {
		m.letIn(true)
	}
}

// unlockQuiet releases m after an exclusive critical section that changed
// nothing: a DoWhen's cond that was false, or a won wait whose ctx ended.
func (m *RWMutex) unlockQuiet() {
	if s := m.state.Add(-rwWriter); s&rwWaiting != 0 {
		m.letIn(false)
	}
}

func (m *RWMutex) runlock() {
	// Only the last one out can let a waiter in (while readers remain, the
	// queue's head is a writer waiting for them), and only if no writer
	// holds m: a reader backing out from under a writer leaves the queue to
	// the writer's release. So, rwAwaiting aside, s == rwWaiting: nobody
	// left, someone queued. Readers change nothing, so they requeue no
	// DoWhen callers.
	if s := m.state.Add(-rwReader); s|rwAwaiting == rwWaiting|rwAwaiting {
		m.readersLeft()
	}
}

// readersLeft lets in whoever queued behind the readers that just left.
func (m *RWMutex) readersLeft() { m.letIn(false) }

// letIn dispatches the queue after a release, first moving DoWhen callers
// into it if the release may have changed the state.
func (m *RWMutex) letIn(requeue bool) {
	m.qmu.Lock()
	// The requeue is decided here, under qmu, rather than from the bits
	// the release left: conds may have been requeued by a release since.
	if requeue && m.q.requeue(&m.conds) {
		for {
			s := m.state.Load()
			if m.state.CompareAndSwap(s, s&^rwAwaiting|rwWaiting) {
				break
			}
		}
	}
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
		if m.q.head == nil && (s&rwHeld == 0 || !write && s&rwWriter == 0) {
			next := s + rwReader
			if write {
				next = s | rwWriter
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
	m.q.pushBack(w, queued)
	m.qmu.Unlock()
	return m.sleep(ctx, w)
}

// sleep waits for w, queued in m.q or m.conds, to be granted m, giving up
// when ctx ends. RWMutex waiters are only ever woken with a grant.
func (m *RWMutex) sleep(ctx context.Context, w *waiter) error {
	if w.wait(ctx.Done()) {
		return m.won(ctx, w.write)
	}
	m.qmu.Lock()
	switch w.status {
	case queued:
		m.q.remove(w)
	case awaiting:
		m.conds.remove(w)
		if m.conds.head == nil {
			m.state.And(^int64(rwAwaiting))
		}
	case granted:
		if w.write {
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

// spin polls m for a short while, as Mutex.spin does, and takes it if it
// comes free before anyone queues.
func (m *RWMutex) spin(write bool) bool {
	for range spinRounds {
		s := m.state.Load()
		if s&rwWaiting != 0 {
			return false // queue in turn behind those already waiting
		}
		if write && s&rwHeld == 0 || !write && s&rwWriter == 0 {
			next := s + rwReader
			if write {
				next = s | rwWriter
			}
			if m.state.CompareAndSwap(s, next) {
				return true
			}
			continue
		}
		for range spinLoads {
			if s := m.state.Load(); s&rwWaiting != 0 || s&rwWriter == 0 && (!write || s&rwHeld == 0) {
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
			m.unlockQuiet()
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
			if s&rwHeld != 0 {
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
	if m.q.head == nil && m.state.Load()&rwWaiting != 0 {
		m.state.And(^int64(rwWaiting))
	}
	return in
}
