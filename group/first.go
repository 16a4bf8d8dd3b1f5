package group

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// ErrNoFuncs is the error [First] and [Hedge] return when given no
// functions to run.
var ErrNoFuncs = errors.New("group: no functions to run")

// First runs every fn in its own goroutine with a context derived from ctx
// and returns the first success, at once, without waiting for the others.
// The others' context is then cancelled, and they never block: each
// delivers its result into a channel with room for all of them.
//
// First blocks until a fn succeeds, every fn has failed, or ctx ends. A
// failure does not win: First waits for a success. If every fn fails, the
// error is [errors.Join] of their errors in the order of fns. If ctx ends
// first, or has already ended, First returns ctx.Err(); if it ended before
// First was called, no fn is started; if it ends as a success arrives,
// either may be returned. With no fns, First returns [ErrNoFuncs]. A fn
// that calls [runtime.Goexit] counts as failed.
//
// The return of the fn whose success First returns synchronizes before
// First returns, and so does the return of every fn when First returns
// their joined errors. Nothing orders the other fns' writes before First's
// return: they may still be running, so the caller must not read what they
// write.
//
// A panic in a fn before First returns is re-raised in First's caller with
// the original value, after the others' context is cancelled: the caller
// is waiting for exactly these calls, so it sees the panic as if it had
// made the call itself, and a recover that checks the value keeps working.
// A fn that panics after First has returned crashes the program, as a
// panic in any goroutine does: no caller is left to re-raise it in, and to
// swallow it would hide a bug. So does a second panic while First
// re-raises a first.
//
// First panics if ctx or any fn is nil.
func First[T any](ctx context.Context, fns ...func(context.Context) (T, error)) (T, error) {
	return fanOut("First", ctx, 0, fns)
}

// fanOut is First and Hedge: it starts fns[0], then each next fn after
// delay with no success yet, or at once when every fn started so far has
// failed. A delay of 0 starts them all at once.
func fanOut[T any](name string, ctx context.Context, delay time.Duration, fns []func(context.Context) (T, error)) (T, error) {
	var zero T
	if ctx == nil {
		panic("group: " + name + ": nil Context")
	}
	for i, fn := range fns {
		if fn == nil {
			panic(fmt.Sprintf("group: %s: fns[%d] is nil", name, i))
		}
	}
	if len(fns) == 0 {
		return zero, ErrNoFuncs
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &race[T]{name: name, results: make(chan result[T], len(fns))}
	started := len(fns)
	if delay > 0 && len(fns) > 1 {
		started = 1
	}
	for i := range started {
		go r.run(fctx, i, fns[i])
	}
	var timer *time.Timer     // made when first needed: see below
	var next <-chan time.Time // the timer's channel, nil while no fn waits to start
	var errs []error
	failed := 0
	for {
		var res result[T]
		got := false
		if started < len(fns) && timer == nil {
			// The fn just started, the only one running, is often one that
			// answers at once: that is what a hedge hopes for. Yield to it
			// before making a timer, three allocations and a third of the
			// call's cost.
			runtime.Gosched()
			select {
			case res = <-r.results:
				got = true
			default:
				timer = time.NewTimer(delay)
				defer timer.Stop()
				next = timer.C
			}
		}
		if !got {
			select {
			case res = <-r.results:
			case <-next:
				if err := r.start(ctx, cancel, fctx, fns, &started); err != nil {
					return zero, err
				}
				next = r.rearm(timer, delay, started, len(fns))
				continue
			case <-ctx.Done():
				r.end(cancel, false)
				return zero, ctx.Err()
			}
		}
		if res.err == errPanicked {
			r.end(cancel, true)
			panic(r.panicValue)
		}
		if res.err == nil {
			r.end(cancel, false)
			return res.v, nil
		}
		if errs == nil {
			errs = make([]error, len(fns))
		}
		errs[res.i] = res.err
		if failed++; failed < started {
			continue
		}
		if started == len(fns) {
			r.end(cancel, false)
			if err := ctx.Err(); err != nil {
				return zero, err // the fns failed because ctx ended
			}
			return zero, errors.Join(errs...)
		}
		// Every fn started so far has failed: start the next now.
		if err := r.start(ctx, cancel, fctx, fns, &started); err != nil {
			return zero, err
		}
		if timer != nil {
			next = r.rearm(timer, delay, started, len(fns))
		}
	}
}

// start starts the next fn, unless ctx has ended: then it ends the race
// and returns ctx's error. The check is needed even after a timer fired,
// since select picks at random among ready cases.
func (r *race[T]) start(ctx context.Context, cancel context.CancelFunc, fctx context.Context, fns []func(context.Context) (T, error), started *int) error {
	if err := ctx.Err(); err != nil {
		r.end(cancel, false)
		return err
	}
	go r.run(fctx, *started, fns[*started])
	*started++
	return nil
}

// rearm restarts the delay for the next fn, and returns the channel to
// wait on for it: nil once every fn has started.
func (r *race[T]) rearm(timer *time.Timer, delay time.Duration, started, n int) <-chan time.Time {
	if started == n {
		timer.Stop()
		return nil
	}
	timer.Reset(delay)
	return timer.C
}

// race is the state First and Hedge share with their goroutines.
type race[T any] struct {
	name    string         // First or Hedge, for messages
	results chan result[T] // room for every fn: a send never blocks
	// mu orders a fn's panic against the caller's return. Only the first
	// panic delivered while the caller waits is recovered; any other panic
	// is left to crash the program, as First documents.
	mu         sync.Mutex
	status     raceStatus
	panicValue any // set under mu before errPanicked is sent
}

// A raceStatus says whether a panic may still be handed to the caller.
type raceStatus uint8

const (
	running   raceStatus = iota
	delivered            // a panic is in results (or already received) for the caller to re-raise
	ended                // the caller has returned or is re-raising
)

type result[T any] struct {
	v   T
	err error // errPanicked: the fn panicked with race.panicValue
	i   int
}

// errPanicked marks a panic's result, keeping results small for the common
// case.
var errPanicked = errors.New("group: fn panicked")

func (r *race[T]) run(ctx context.Context, i int, fn func(context.Context) (T, error)) {
	returned := false
	defer func() {
		if returned {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.status != running {
			return // not recovering lets the panic or Goexit go on
		}
		v := recover()
		if v == nil { // runtime.Goexit; panic(nil) arrives as *runtime.PanicNilError
			r.results <- result[T]{i: i, err: fmt.Errorf("group: %s: fns[%d] called runtime.Goexit", r.name, i)}
			return
		}
		r.status = delivered
		r.panicValue = v
		r.results <- result[T]{i: i, err: errPanicked}
	}()
	v, err := fn(ctx)
	returned = true
	r.results <- result[T]{i: i, v: v, err: err}
}

// end marks the race as ended and cancels the losers. Unless the caller
// already holds the panic it is about to re-raise, a panic delivered before
// the mark is re-raised here: it happened before the caller returned.
func (r *race[T]) end(cancel context.CancelFunc, raising bool) {
	r.mu.Lock()
	pending := r.status == delivered && !raising
	r.status = ended
	r.mu.Unlock()
	cancel()
	for pending {
		// The panic was sent under mu, so it is already in results.
		if res := <-r.results; res.err == errPanicked {
			panic(r.panicValue)
		}
	}
}
