package group

import (
	"context"
	"fmt"
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
// returned; a call that ends with [runtime.Goexit], as t.FailNow does,
// fails the run with an error that says so. So nothing Map starts outlives
// it, and no result is left a silent zero.
//
// Every call of fn returns before Map does: the return of each
// synchronizes before Map's return, so the caller may read what any call
// wrote.
//
// Map panics if ctx or fn is nil.
func Map[T, R any](ctx context.Context, in []T, limit int, fn func(context.Context, T) (R, error)) ([]R, error) {
	if ctx == nil {
		panic("group: Map: nil Context")
	}
	if fn == nil {
		panic("group: Map: nil func")
	}
	return mapLimit("Map", ctx, in, limit, fn)
}

// ForEach is [Map] for a fn with no result: it calls fn for every element
// of in, at most limit at once (limit <= 0: no limit), and returns the first
// error, ctx's error, or nil once every call has returned. It cancels,
// stops, re-raises and synchronizes as Map does, and panics if ctx or fn is
// nil.
func ForEach[T any](ctx context.Context, in []T, limit int, fn func(context.Context, T) error) error {
	if ctx == nil {
		panic("group: ForEach: nil Context")
	}
	if fn == nil {
		panic("group: ForEach: nil func")
	}
	_, err := mapLimit("ForEach", ctx, in, limit, func(ctx context.Context, x T) (struct{}, error) {
		return struct{}{}, fn(ctx, x)
	})
	return err
}

// mapLimit runs min(limit, len(in)) workers, as tasks of one Group, that
// take the next index from a shared counter until none is left or the
// calls' context ends: for cheap calls a goroutine per element would cost
// tens of times the call.
//
// A worker claims one index at a time, never a batch. A batch would save
// most of the atomic add that dominates a cheap call, but a call that
// blocks would hold back the rest of its batch while other workers idle,
// and a run whose calls turn slow (a cache that stops hitting) would then
// run batches of slow calls one after another. A stripe of indexes per
// worker, stolen from when empty, was measured too: no faster, since a
// cheap run rarely leaves one core and the add costs the same uncontended.
func mapLimit[T, R any](name string, ctx context.Context, in []T, limit int, fn func(context.Context, T) (R, error)) ([]R, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]R, len(in))
	if len(in) == 0 {
		return out, nil
	}
	workers := len(in)
	if limit > 0 && limit < len(in) {
		workers = limit
	}
	cctx, cancel := context.WithCancelCause(ctx)
	r := &mapRun[T, R]{name: name, parent: ctx, ctx: cctx, in: in, out: out, fn: fn}
	r.g.cancel = cancel // a call's error or panic cancels cctx; Wait cancels it at the end
	work := r.work
	for range workers {
		// No site: nobody asks this group for a drift report.
		r.g.count(nil)
		r.g.startErr(work, nil)
	}
	r.g.waitAll()
	if err := r.g.firstErr(); err != nil {
		return nil, err
	}
	if r.next.Load() < int64(len(in)) {
		return nil, ctx.Err() // the workers stopped early: only ctx ending does that without an error
	}
	return out, nil
}

type mapRun[T, R any] struct {
	g      Group
	name   string          // Map or ForEach, for messages
	parent context.Context // the caller's
	ctx    context.Context // the calls'
	in     []T
	out    []R
	fn     func(context.Context, T) (R, error)
	// failed is set by a call that failed, panicked or called Goexit,
	// before its worker stops: the other workers see it with one load per
	// element, where ctx.Err() is a call through an interface. ctx.Err()
	// is still asked when the caller's ctx can end, which only it shows.
	failed atomic.Bool
	// next is the next index to claim; at least len(in) once every index is
	// claimed. Every claim writes it: the padding keeps it off the cache
	// line of the fields every call reads, which would bounce between cores
	// with it and cost a third of a cheap call.
	_    [64]byte
	next atomic.Int64
	_    [56]byte
}

func (r *mapRun[T, R]) work() error {
	returned := false
	defer func() {
		if returned {
			return
		}
		r.failed.Store(true)
		// fn panicked or called runtime.Goexit; both stop the run. A panic
		// is recorded as a task's would be (the stack still has fn's
		// frames). A Goexit, which would leave its element's result a
		// silent zero, fails the run.
		if v := recover(); v != nil {
			r.g.recordPanic(v)
			return
		}
		r.g.fail(fmt.Errorf("group: %s: fn called runtime.Goexit", r.name))
	}()
	err := r.claim()
	returned = true
	return err
}

// claim calls fn for the next unclaimed element until none is left, a call
// fails, or the calls' context ends.
func (r *mapRun[T, R]) claim() error {
	// Locals, not r's fields, in the loop: after each opaque call the
	// compiler would load them from r again.
	ctx, fn, in, out := r.ctx, r.fn, r.in, r.out
	cancellable := r.parent.Done() != nil
	for !r.failed.Load() && !(cancellable && ctx.Err() != nil) {
		i := r.next.Add(1) - 1
		if i >= int64(len(in)) {
			return nil
		}
		v, err := fn(ctx, in[i])
		if err != nil {
			r.failed.Store(true)
			if perr := r.parent.Err(); perr != nil {
				return perr // the call failed because ctx ended: say so
			}
			return err
		}
		out[i] = v
	}
	return nil
}
