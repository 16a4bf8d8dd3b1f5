// Package group runs and waits for goroutines without the ways that leave a
// Wait blocked forever, and fans out to several goroutines without leaving
// the losers blocked.
//
// # Waiting
//
// A [Group] counts tasks started by [Group.Go], [Group.GoContext] and
// [Group.TryGo], and work counted by [Group.Add] and [Group.Done]. Prefer
// Go, which pairs the count itself, so it cannot drift; Add and Done are for
// work that is not a goroutine of its own. Add and Go may be called at any
// time, unlike [sync.WaitGroup]'s Add: from tasks too, and while a Wait is
// in progress, which then waits for that work as well.
//
// Wait and WaitContext block on a channel, so inside a [testing/synctest]
// bubble a stuck Wait is reported as a deadlock and WaitContext's timeouts
// run on the bubble's clock.
//
// # Drift
//
// A sync.WaitGroup whose Adds outnumber its Dones blocks Wait forever, and
// nothing says why. A Group panics when Done outruns Add, and
// [Group.WaitContext] gives up when its context ends with a [*DriftError]
// that says how much work is pending and where it came from: the file:line
// of every Add not yet matched by Done, and, for every function whose tasks
// have not returned, the line of the first Go that started it. Done cannot
// say which Add it answers: when Adds came from several lines, a Done is
// counted against the oldest line first.
//
// # Panics
//
// A panic in a task does not crash the process from the task's goroutine.
// The other tasks finish, and Wait or WaitContext re-raises the first panic
// as a [*PanicError], which carries the original value and the stack of the
// goroutine that panicked. golang.org/x/sync/errgroup decided the other way;
// the README's API tour (section "group") says why a leak-free group
// re-raises.
//
// # Fan-out
//
// [First] runs several functions at once and returns the first success;
// [Hedge] starts them one after another, each after a delay with no success
// yet, for a backup request when the first is slow. The losers are
// cancelled and never block. [Map] and [ForEach] call a function for every
// element of a slice, at most a given number at once, and stop at the
// first error.
//
// # Checked mode
//
// Built with the race detector or with -tags lockxcheck, a Group panics at
// once when [Group.Wait] or [Group.Stop] is called from one of its own
// tasks, which can never return: the task is itself pending. Normal builds
// do not check.
package group
