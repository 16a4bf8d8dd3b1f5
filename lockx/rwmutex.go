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
// together when it leaves, before the next writer, so writers cannot
// starve readers.
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
	if !m.l.rtryLock() {
		if err := m.l.rlockSlow(ctx); err != nil {
			return err
		}
	}
	defer m.l.runlock()
	f()
	return nil
}
