package lockx

import (
	"context"

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
	l rwlock // only ever held for writing
}

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
		defer m.l.check.acquire("Mutex.Do", exclusive).done()
	}
	m.l.lock()
	defer m.l.unlock()
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
		defer m.l.check.acquire("Mutex.DoContext", exclusive).done()
	}
	if err := m.l.lockContext(ctx); err != nil {
		return err
	}
	defer m.l.unlock()
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
	if !m.l.tryLock() {
		return false
	}
	if checkmode.On {
		defer m.l.check.acquire("Mutex.TryDo", tried).done()
	}
	defer m.l.unlock()
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
