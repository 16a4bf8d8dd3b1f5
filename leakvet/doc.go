// Package leakvet defines an analysis that finds the goroutine leaks and
// deadlocks leakproof's packages replace, and offers the refactor onto them
// as suggested fixes.
//
// Run it with the command github.com/leakproof/leakproof/cmd/leakvet:
//
//	leakvet ./...
//	leakvet -fix ./...
//	go vet -vettool=$(which leakvet) ./...
//
// Each report has a category, one of the six below. leakvet prefers silence
// to a report a careful reviewer would call wrong: each check reports only
// what it can see whole within one function (or, for nilchan, one package),
// and gives up on anything it cannot follow. Generated files are not
// reported. A fix that targets a leakproof package adds its import; when
// the module does not require leakproof yet, go mod tidy adds it. Where a
// standard-library fix is as good (wgdrift, fanout), leakvet uses that
// unless the package already imports leakproof.
//
// # nilchan
//
// A send, receive or range on a channel that is nil on every path: a
// variable declared with var and never assigned, or an unexported struct
// field never set, anywhere in the package. It blocks forever. A select
// case is not reported, since a nil channel there is the idiom for turning
// the case off, nor is a channel the package compares with nil. There is no
// fix: make the channel (and see who receives), or use
// chanx.Send and chanx.Recv, which refuse a nil channel.
//
// # fanout
//
// Goroutines started in a loop send on an unbuffered channel made in the
// function, which receives it fewer times than they send: once, as in
// "the first answer wins", or in a loop that can return or break early,
// such as on the first error or a case <-ctx.Done(). The senders left over
// block forever. The fix is group.First for the first-answer shape over a
// slice of functions; otherwise a buffer as long as the loop, so every send
// completes whether or not it is received.
//
// The same leak with one goroutine is reported too: it sends once, and the
// function receives only in one case of a select that can take another (a
// timeout, ctx.Done(), a default) and never receives again. The fix is a
// buffer of one. In a test, a select whose other cases fail the test is the
// usual guard against a hang, and is not reported.
//
// # unlock
//
// A Lock or RLock of a sync.Mutex or sync.RWMutex with a path to a return
// that skips the unlock the function makes further down: an early return
// added above an Unlock. Every later Lock blocks forever. Functions that
// return holding the lock on purpose, never unlocking it themselves, are
// not reported. The fix is defer mu.Unlock() right after the Lock, in place
// of the unlocks, offered only where that keeps the same section locked;
// lockx.Mutex.Do is the rewrite that cannot leave a lock held, but it changes
// the mutex's type in every function that uses it, so leakvet names it in
// the message and leaves it to you.
//
// # wgdrift
//
// A sync.WaitGroup whose count cannot come back to zero, or goes below it:
// a constant Add(n) with a different, constant number of goroutines calling
// Done; a continue, break or return between an Add and the go statement
// whose Done answers it; a function whose Done is not deferred and that can
// return before it. Wait blocks forever, or Done panics. The fix starts each
// goroutine with wg.Go(f), which counts it, so there is no Add to drift
// from: on a group.Group when the WaitGroup is local to the function and the
// package already imports leakproof (task panics re-raised by Wait,
// WaitContext to wait with a deadline), otherwise on sync.WaitGroup (Go
// 1.25). A Done skipped by an early return becomes defer wg.Done() at the
// top of the function.
//
// # httptimeout
//
// A goroutine started on every iteration of a loop (or every tick) that
// makes an HTTP request through a client with no timeout: http.Get and its
// siblings, http.DefaultClient, or an http.Client made without Timeout.
// On a server that never answers, the goroutines pile up forever. A request
// made with http.NewRequestWithContext and a context other than
// context.Background or context.TODO counts as bounded, since its context
// may carry a deadline. The fix is a fetch.Client, closed when the function
// returns, and TryGo, whose done callback is the goroutine's body and which
// refuses a request when every slot is busy.
//
// # errgroup
//
// An import of golang.org/x/sync/errgroup outside test files. A task that
// panics there crashes the program from the task's own goroutine. The fix
// is the import path github.com/leakproof/leakproof/errgroup: the same API,
// with a task panic re-raised by Wait as a *group.PanicError once the other
// tasks have finished.
//
// # Suppressing a report
//
// A comment
//
//	//leakvet:ignore <category> <reason>
//
// suppresses reports of that category (or of several, comma-separated) on
// its own line when it trails code, on the next line when it stands alone,
// and in the whole function when it is in the function's doc comment.
// A directive without a reason suppresses nothing, and the report says so.
package leakvet
