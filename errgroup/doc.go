// Package errgroup is golang.org/x/sync/errgroup built on [group.Group]:
// change the import path, keep the code. A [Group] runs tasks that return
// errors, at most a limit of them at once, and waits for them;
// [WithContext]'s context ends at the first error, so the other tasks can
// stop early.
//
// It adds what x/sync's lacks to leave no goroutine behind:
// [Group.GoContext] gives up the wait for a slot when its context ends,
// [Group.WaitContext] gives up the wait for the tasks and names the Go
// lines of those still running, and [Group.Stop] cancels the group's
// context and waits.
//
// # Differences from x/sync/errgroup
//
// Code that x/sync's errgroup runs correctly runs the same here. Where it
// would crash, hang or misbehave, this package does otherwise:
//
//   - A panic in a task does not crash the process from the task's
//     goroutine. It cancels [WithContext]'s context at once (the cause is
//     the [*group.PanicError]); the other tasks finish; then Wait, or
//     WaitContext or Stop, re-raises it as a *group.PanicError carrying the
//     value and the panicking goroutine's stack. The README's API tour
//     (section "group") says why.
//   - Go under SetLimit(0), which would block forever, panics. TryGo
//     refuses, as in x/sync, and GoContext waits until its context ends.
//   - Go, TryGo and GoContext panic at the call when f is nil, rather than
//     crash the process from a new goroutine.
//   - SetLimit panics while tasks run or a Go waits for a slot, whatever
//     the old and new limits; x/sync lets it through when no limit was
//     set, or when n is negative.
//   - Go and Wait may be called in any order, from tasks too: a Wait also
//     waits for tasks started while it waits, and for the task of a Go
//     that was still waiting for a slot when Wait began. x/sync requires
//     the first Go before Wait, as [sync.WaitGroup] does.
//   - In checked mode (built with -race or -tags lockxcheck), Wait or Stop
//     called from one of the group's own tasks panics, saying it can never
//     return, instead of hanging.
//
// A task that calls [runtime.Goexit], as t.FailNow does, ends with no
// error, as in x/sync.
package errgroup
