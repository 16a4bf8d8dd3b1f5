package errgroup

import (
	"context"

	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/grouphook"
)

// core is group.Group's entry points for func() error tasks; see
// internal/grouphook for why they are reached this way. group's init has
// filled it by the time this package initializes, since this package
// imports group.
var core = grouphook.Get[group.Group]()

// A Group is a collection of goroutines working on subtasks of one task.
//
// The zero Group is ready to use, has no limit on the number of tasks
// running at once, and cancels nothing on error. A Group can be reused once
// Wait returns; the first error stays, as in x/sync. A Group must not be
// copied after first use.
//
// In the terminology of [the Go memory model], a call that starts a task
// synchronizes before the task begins, and the return of a task
// synchronizes before the return of any Wait, WaitContext or Stop call that
// it unblocks.
//
// [the Go memory model]: https://go.dev/ref/mem
type Group struct {
	g group.Group
}

// WithContext returns a new Group and a context derived from ctx. The
// context ends the first time a task returns a non-nil error (its cause is
// then that error), when a task panics (the cause is the
// [*group.PanicError]), when Stop is called, or when Wait returns (or
// WaitContext returns after every task has finished), whichever comes
// first. WithContext panics if ctx is nil.
func WithContext(ctx context.Context) (*Group, context.Context) {
	if ctx == nil {
		panic("errgroup: WithContext: nil Context")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	g := new(Group)
	core.SetCancel(&g.g, cancel)
	return g, ctx
}

// Go calls f in a new goroutine. The first task to return a non-nil error
// cancels WithContext's context, and Wait returns that error.
//
// Under a limit, Go blocks until a task can start without the number of
// running tasks exceeding it; [Group.GoContext] is the same wait with a way
// out. A panic in f is recovered and re-raised by Wait. Go panics if f is
// nil, and if the limit is 0, where it would block forever.
func (g *Group) Go(f func() error) {
	if f == nil {
		panic("errgroup: Group.Go: nil func")
	}
	if !core.Go(&g.g, f) {
		panic("errgroup: Group.Go: the limit is 0 (SetLimit(0)), so Go would block forever; use GoContext or TryGo")
	}
}

// TryGo calls f in a new goroutine only if the number of running tasks is
// below the limit now; it never blocks. It reports whether f was started.
// TryGo panics if f is nil.
func (g *Group) TryGo(f func() error) bool {
	if f == nil {
		panic("errgroup: Group.TryGo: nil func")
	}
	return core.TryGo(&g.g, f)
}

// GoContext is Go with a way out of the wait for a slot: if ctx ends first,
// or has already ended, it returns ctx.Err() and f never runs. It returns
// nil once f has been started. Under SetLimit(0) it waits until ctx ends.
// GoContext panics if ctx or f is nil.
func (g *Group) GoContext(ctx context.Context, f func() error) error {
	if ctx == nil {
		panic("errgroup: Group.GoContext: nil Context")
	}
	if f == nil {
		panic("errgroup: Group.GoContext: nil func")
	}
	return core.GoContext(&g.g, ctx, f)
}

// SetLimit limits the number of tasks running at once to n. A negative n
// removes the limit; 0 lets no task start: Go panics, TryGo refuses and
// GoContext waits for its context. SetLimit panics if tasks are running or
// a Go or GoContext is waiting for a slot, since they hold or wait for
// slots of the old limit.
func (g *Group) SetLimit(n int) {
	core.SetLimit(&g.g, n, "errgroup: Group.SetLimit")
}

// Wait blocks until every task has returned, then returns the first non-nil
// error (by time) a task returned, if any, and cancels WithContext's
// context. If a task panicked, Wait re-raises the first panic as a
// [*group.PanicError] instead, once every task has returned.
//
// Wait cannot be given up; [Group.WaitContext] can. A task that waits for
// its own group waits forever, since it is itself running; in checked mode
// (see the package doc) Wait panics then instead.
func (g *Group) Wait() error {
	return core.Wait(&g.g, "errgroup: Group.Wait", false)
}

// WaitContext is Wait that gives up when ctx ends. It returns the first
// error a task returned, or nil, once every task has returned, and then
// cancels WithContext's context as Wait does. If ctx ends first, it returns
// a [*group.DriftError] naming the Go lines of the tasks still running,
// which wraps ctx.Err(), and cancels nothing: the tasks keep running, and
// Wait or WaitContext can be called again; call Stop to end them.
//
// Like Wait, WaitContext re-raises a task's panic, even when it gives up.
// WaitContext panics if ctx is nil.
func (g *Group) WaitContext(ctx context.Context) error {
	if ctx == nil {
		panic("errgroup: Group.WaitContext: nil Context")
	}
	return core.WaitContext(&g.g, ctx)
}

// Stop cancels WithContext's context, then waits as Wait does and returns
// what it returns: the first error by time, which may be the one a task
// returned because Stop cancelled it. On a Group not made by WithContext,
// Stop is Wait. Tasks that ignore the context run to their end: Stop waits
// for them.
func (g *Group) Stop() error {
	return core.Wait(&g.g, "errgroup: Group.Stop", true)
}
