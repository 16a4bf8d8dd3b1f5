package group

import (
	"context"
	"sync/atomic"
)

// Map calls fn for every element of in, with at most limit calls running at
// once (limit <= 0: no limit, every element at once), and returns the
// results in the order of in.
//
// The first call to fail, by time, cancels the context the other calls got,
// with its error as the cause; Map then returns nil results and that error,
// once every call it started has returned, and the elements not yet started
// are never started. If ctx ends first, or has already ended, Map returns
// ctx.Err() the same way. A panic in fn cancels the others alike and is
// re-raised in Map's caller as a [*PanicError] after every call has
// returned. So nothing Map starts outlives it.
//
// Every call of fn returns before Map does: the return of each
// synchronizes before Map's return, so the caller may read what any call
// wrote.
//
// Map panics if ctx or fn is nil.
func Map[T, R any](ctx context.Context, in []T, limit int, fn func(context.Context, T) (R, error)) ([]R, error) {
	if fn == nil {
		panic("group: Map: nil func")
	}
	out := make([]R, len(in))
	err := forEachIndex("Map", ctx, len(in), limit, func(ctx context.Context, i int) error {
		r, err := fn(ctx, in[i])
		out[i] = r
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ForEach is [Map] for a fn with no result: it calls fn for every element
// of in, at most limit at once (limit <= 0: no limit), and returns the first
// error, ctx's error, or nil once every call has returned. It cancels,
// stops, re-raises and synchronizes as Map does, and panics if ctx or fn is
// nil.
func ForEach[T any](ctx context.Context, in []T, limit int, fn func(context.Context, T) error) error {
	if fn == nil {
		panic("group: ForEach: nil func")
	}
	return forEachIndex("ForEach", ctx, len(in), limit, func(ctx context.Context, i int) error {
		return fn(ctx, in[i])
	})
}

// forEachIndex calls call(ctx, i) for every i in [0, n). It runs
// min(limit, n) workers, as tasks of one Group, that take the next index
// from a shared counter until none is left or the run's context ends: for
// cheap calls a goroutine per element would cost tens of times the call.
func forEachIndex(name string, ctx context.Context, n, limit int, call func(context.Context, int) error) error {
	if ctx == nil {
		panic("group: " + name + ": nil Context")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	workers := n
	if limit > 0 && limit < n {
		workers = limit
	}
	cctx, cancel := context.WithCancelCause(ctx)
	r := &indexRun{parent: ctx, ctx: cctx, n: int64(n), call: call}
	r.g.cancel = cancel // a task's error or panic cancels cctx; Wait cancels it at the end
	work := r.work
	for range workers {
		// No site: nobody asks this group for a drift report.
		r.g.startErr(work, nil)
	}
	r.g.waitAll()
	if err := r.g.firstErr(); err != nil {
		return err
	}
	if r.next.Load() < r.n {
		return ctx.Err() // the workers stopped early: only ctx ending does that without an error
	}
	return nil
}

type indexRun struct {
	g      Group
	parent context.Context // the caller's
	ctx    context.Context // the calls'
	n      int64
	next   atomic.Int64 // the next index to claim; at least n once every index is claimed
	call   func(context.Context, int) error
}

func (r *indexRun) work() error {
	for r.ctx.Err() == nil {
		i := r.next.Add(1) - 1
		if i >= r.n {
			return nil
		}
		if err := r.call(r.ctx, int(i)); err != nil {
			if perr := r.parent.Err(); perr != nil {
				return perr // the call failed because ctx ended: say so
			}
			return err
		}
	}
	return nil
}
