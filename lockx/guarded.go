package lockx

import (
	"context"

	"github.com/leakproof/leakproof/internal/checkmode"
)

// Guarded holds a value of type T that can be reached only while holding
// its lock: exclusively in [Guarded.Do], [Guarded.DoContext] and
// [Guarded.DoWhen], shared with other readers in [Guarded.RDo] and
// [Guarded.RDoContext]. The lock is an [RWMutex], with its fairness and
// its guarantees: each critical section sees every write made by the
// exclusive ones before it. The zero value holds T's zero value, unlocked.
// A Guarded must not be copied after first use.
//
// The pointer a critical section gets is valid only until it returns: it
// must not keep the pointer, or anything inside the value that is shared by
// reference, after it returns.
type Guarded[T any] struct {
	l rwlock
	v T
}

// NewGuarded returns a Guarded holding v.
func NewGuarded[T any](v T) *Guarded[T] {
	return &Guarded[T]{v: v}
}

// Do calls f with a pointer to the guarded value while holding g's lock
// exclusively, and releases the lock however f ends. Do blocks and panics
// as [RWMutex.Do] does, and panics if f is nil.
func (g *Guarded[T]) Do(f func(v *T)) {
	if f == nil {
		panic("lockx: Guarded.Do: nil func")
	}
	if checkmode.On {
		defer g.l.check.acquire("Guarded.Do", exclusive).done()
	}
	g.l.lock()
	defer g.l.unlock()
	f(&g.v)
}

// DoContext is Do, but gives up when ctx ends, as [RWMutex.DoContext]
// does: it returns ctx.Err() without calling f if ctx ends before the lock
// is won. It panics if ctx or f is nil.
func (g *Guarded[T]) DoContext(ctx context.Context, f func(v *T)) error {
	if err := enter(ctx, "Guarded.DoContext", f == nil); err != nil {
		return err
	}
	if checkmode.On {
		defer g.l.check.acquire("Guarded.DoContext", exclusive).done()
	}
	if err := g.l.lockContext(ctx); err != nil {
		return err
	}
	defer g.l.unlock()
	f(&g.v)
	return nil
}

// RDo calls f with a pointer to the guarded value while holding g's lock
// shared with other readers, as [RWMutex.RDo] does. f must only read
// through the pointer: other readers read the value at the same time, so a
// write is a data race, and it would wake no [Guarded.DoWhen] waiting for
// it. RDo panics if f is nil.
func (g *Guarded[T]) RDo(f func(v *T)) {
	if f == nil {
		panic("lockx: Guarded.RDo: nil func")
	}
	if checkmode.On {
		defer g.l.check.acquire("Guarded.RDo", shared).done()
	}
	g.l.rlock()
	defer g.l.runlock()
	f(&g.v)
}

// RDoContext is RDo, but gives up when ctx ends, as [Guarded.DoContext]
// does. It panics if ctx or f is nil.
func (g *Guarded[T]) RDoContext(ctx context.Context, f func(v *T)) error {
	if err := enter(ctx, "Guarded.RDoContext", f == nil); err != nil {
		return err
	}
	if checkmode.On {
		defer g.l.check.acquire("Guarded.RDoContext", shared).done()
	}
	if err := g.l.rlockContext(ctx); err != nil {
		return err
	}
	defer g.l.runlock()
	f(&g.v)
	return nil
}

// DoWhen waits until it holds g's lock exclusively and cond returns true
// for the guarded value, then calls f with it, the lock still held, as
// [Mutex.DoWhen] does: cond runs on DoWhen's goroutine, holding the lock,
// again after every Do, DoContext or DoWhen that ran, and must only read
// through its pointer. If ctx ends before DoWhen wins the lock for the
// evaluation of cond that returns true, DoWhen returns ctx.Err() without
// calling f and leaves nothing behind. It panics if ctx,
// cond or f is nil.
func (g *Guarded[T]) DoWhen(ctx context.Context, cond func(v *T) bool, f func(v *T)) error {
	if cond == nil {
		panic("lockx: Guarded.DoWhen: nil cond")
	}
	var do func()
	if f != nil {
		do = func() { f(&g.v) }
	}
	return g.l.doWhen(ctx, "Guarded.DoWhen", func() bool { return cond(&g.v) }, do)
}
