package group

import (
	"context"
	"fmt"
	"time"
)

// Hedge calls fns[0] at once and, while no call has succeeded, each next fn
// after another delay, or at once when every fn started so far has failed:
// a backup request for a call that is slower than it should be, the
// tail-latency remedy of "The Tail at Scale" (Dean and Barroso, 2013),
// where the delay is about the 95th percentile of the call's latency.
//
// Hedge returns the first success at once. The other calls' context is then
// cancelled, they never block, and fns not yet started are never started.
// If every fn fails, the error is [errors.Join] of their errors in the
// order of fns. Once ctx ends, no further fn starts and Hedge returns
// ctx.Err(). With no fns, Hedge returns [ErrNoFuncs]. A delay of 0 starts
// every fn at once, as [First] does.
//
// What synchronizes before Hedge's return, and what a panic in a fn does,
// is as for First: a panic before Hedge returns is re-raised in its caller
// with the original value.
//
// Hedge panics if ctx or any fn is nil, or if delay is negative.
func Hedge[T any](ctx context.Context, delay time.Duration, fns ...func(context.Context) (T, error)) (T, error) {
	if delay < 0 {
		panic(fmt.Sprintf("group: Hedge: negative delay %v", delay))
	}
	return fanOut("Hedge", ctx, delay, fns)
}
