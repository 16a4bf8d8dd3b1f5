package lockx

import (
	"context"

	"github.com/leakproof/leakproof/internal/checkmode"
)

// An RWMutex is a reader/writer lock whose critical sections are
// functions: any number of [RWMutex.RDo] calls may run at once, while a
// [RWMutex.Do] runs alone. The zero value is an unlocked mutex. An RWMutex
// must not be copied after first use.
//
// Writers contend for it as for a [Mutex]. A reader that arrives while a
// writer holds the lock or waits for it waits too, so readers cannot
// starve a writer; and the readers that waited behind a writer enter
// together when it leaves, ahead of the writers queued after them (a
// writer arriving at the moment of the release may slip in first), so
// writers cannot starve readers.
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
	l rwlock
}

// Do runs f while holding m exclusively, and releases m however f ends. It
// blocks until no reader or writer holds m. A panic in f reaches Do's
// caller unchanged, after m has been released. Do panics if f is nil.
//
// Do, RDo and their variants must not be called on m from inside f or
// another critical section of m: Do inside Do deadlocks, and so can RDo
// inside RDo once a writer waits. Checked mode panics on both.
func (m *RWMutex) Do(f func()) {
	if f == nil {
		panic("lockx: RWMutex.Do: nil func")
	}
	if checkmode.On {
		defer m.l.check.acquire("RWMutex.Do", exclusive).done()
	}
	m.l.lock()
	defer m.l.unlock()
	f()
}

// RDo runs f while holding m shared with other readers, and releases it
// however f ends. It blocks while a writer holds m or waits for it. f must
// only read what m guards: shared critical sections run at once, and a
// write in one is a data race. A panic in f reaches RDo's caller
// unchanged, after m has been released. RDo panics if f is nil.
func (m *RWMutex) RDo(f func()) {
	if f == nil {
		panic("lockx: RWMutex.RDo: nil func")
	}
	if checkmode.On {
		defer m.l.check.acquire("RWMutex.RDo", shared).done()
	}
	m.l.rlock()
	defer m.l.runlock()
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
		defer m.l.check.acquire("RWMutex.DoContext", exclusive).done()
	}
	if err := m.l.lockContext(ctx); err != nil {
		return err
	}
	defer m.l.unlock()
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
		defer m.l.check.acquire("RWMutex.RDoContext", shared).done()
	}
	if err := m.l.rlockContext(ctx); err != nil {
		return err
	}
	defer m.l.runlock()
	f()
	return nil
}

// The reader side of rwlock, which only RWMutex and Guarded use.

// rtryLock counts a reader in, and reports whether it may stay: no writer
// holds the lock or waits for it. If not, the caller must back out with
// rlockSlow. Counting in first, as sync.RWMutex does, costs readers one
// atomic add where a compare-and-swap loop would make them retry on each
// other. While such a reader is counted in, a writer sees one reader more,
// and its back-out is a reader leaving like any other.
func (l *rwlock) rtryLock() bool {
	return l.state.Add(reader)&readersWait == 0
}

func (l *rwlock) rlock() {
	if !l.rtryLock() {
		l.rlockWait()
	}
}

func (l *rwlock) rlockContext(ctx context.Context) error {
	if !l.rtryLock() {
		return l.rlockSlow(ctx)
	}
	return nil
}

// rlockWait is rlockSlow for RDo, which waits as long as it takes. It is
// not inlined, so that rlock is.
//
//go:noinline
func (l *rwlock) rlockWait() { l.rlockSlow(context.Background()) }

// runlock releases a reader. Only the last one out can let a writer in,
// and only if no writer holds the lock (a reader backing out from under a
// writer leaves the hand-over to the writer's release) and one is queued.
// Readers change nothing, so they wake no DoWhen waiters.
func (l *rwlock) runlock() {
	if s := l.state.Add(-reader); s&(readers|writer|writersQueued) == writersQueued {
		l.readersLeft()
	}
}

// rlockSlow backs out the reader rtryLock counted in, and waits its turn.
func (l *rwlock) rlockSlow(ctx context.Context) error {
	l.runlock()
	if l.rspin() {
		return l.rwon(ctx)
	}
	l.qmu.Lock()
	for {
		s := l.state.Load()
		if s&readersWait == 0 {
			if l.state.CompareAndSwap(s, s+reader) {
				l.qmu.Unlock()
				return l.rwon(ctx)
			}
			continue
		}
		if l.state.CompareAndSwap(s, s|readersQueued) {
			break
		}
	}
	w := newWaiter(false)
	l.rq.pushBack(w, queued)
	l.qmu.Unlock()
	if !w.wait(ctx.Done()) {
		l.abandon(w)
		return ctx.Err()
	}
	return l.rwon(ctx) // granted: a writer's release counted w in
}

// rspin polls, as spin does, for the writer holding the lock to leave, and
// counts a reader in if it does before any writer queues.
func (l *rwlock) rspin() bool {
	for range spinRounds {
		s := l.state.Load()
		if s&(writersQueued|writerWoken) != 0 {
			return false // queue behind the writers already waiting
		}
		if s&writer == 0 {
			if l.state.CompareAndSwap(s, s+reader) {
				return true
			}
			continue
		}
		for range spinLoads {
			if s := l.state.Load(); s&writer == 0 || s&(writersQueued|writerWoken) != 0 {
				break
			}
		}
	}
	return false
}

// rwon is won for a reader.
func (l *rwlock) rwon(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		l.runlock()
		return err
	}
	return nil
}

// readersLeft wakes the writer the last reader out leaves the lock to.
func (l *rwlock) readersLeft() {
	l.qmu.Lock()
	h := l.wake()
	l.qmu.Unlock()
	h.signal()
}

// admit counts in every queued reader, unless a writer holds the lock or,
// when all is not set, is queued for it; and returns them chained through
// next, for signalAll once l.qmu, which must be held, is released. A
// writer's release admits all, so the readers that queued behind it go
// before the writers queued after them. A newcomer writer can still take
// the lock between the release and admit: at most once per release, so
// readers are delayed, never starved.
func (l *rwlock) admit(all bool) (in *waiter) {
	n := int64(l.rq.len())
	if n == 0 {
		return nil
	}
	for {
		s := l.state.Load()
		if s&writer != 0 || !all && s&readersWait != 0 {
			return nil // a writer's release, or give-up, will let them in
		}
		if l.state.CompareAndSwap(s, (s+n*reader)&^readersQueued) {
			break
		}
	}
	for l.rq.head != nil {
		w := l.rq.head
		l.rq.remove(w)
		w.status = granted
		w.next, in = in, w
	}
	return in
}
