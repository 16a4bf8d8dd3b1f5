// Package lockx provides locks that cannot be left locked, lock waits that
// can be given up, and waits for a condition that need no signal.
//
// A plain mu.Lock() needs a matching mu.Unlock() on every path out of the
// critical section: an early return, a break, a panic. Miss one and every
// goroutine that later wants the lock blocks forever. lockx has no exported
// Lock or Unlock. [Mutex.Do] runs a function holding the lock and releases
// it however the function ends, including by panic or runtime.Goexit, so
// the unlock cannot be forgotten. [RWMutex] adds shared critical sections,
// and [Guarded] keeps a value reachable only inside them.
//
// [Mutex.DoContext] goes further than sync: a goroutine waiting for the
// lock stops waiting when its context ends, so a stuck holder cannot take
// every waiter down with it. A waiter that gives up leaves nothing behind:
// no goroutine, no queue entry, and no lock that it later takes and never
// releases.
//
// [Mutex.DoWhen] waits until a condition on the guarded state holds, and
// runs its function with the lock still held. The condition is evaluated
// again after every critical section that may have changed the state, so
// there is no Signal to forget or to send before anyone waits, and the wait
// gives up when its context ends. It replaces sync.Cond.
//
// # Do not block inside f
//
// The lock is held for as long as f runs, so f must not wait for anything
// that may never happen. A channel send inside f, to a receiver that has
// gone away, leaves the lock held forever; this is the other half of the
// real lock leaks. Move the wait out of f, or bound it with a context, for
// example with chanx.Send(ctx, ch, v); the package example shows both.
// To wait for the guarded state to change, use DoWhen.
//
// Calling Do, DoContext, DoWhen or RDo on a lock from inside a critical
// section of the same lock deadlocks, as it does with sync.Mutex (an RDo
// inside an RDo deadlocks once a writer queues between them). Checked mode
// reports it; in other builds DoContext bounds the damage: a nested
// DoContext returns ctx.Err() when ctx ends.
//
// # Fairness
//
// No waiter starves. A released Mutex may go to a newcomer ahead of a
// queued waiter, which keeps a contended lock fast, but a waiter that loses
// that race twice is handed the lock on the next release. An RWMutex hands
// the lock over in arrival order once anyone is queued: readers arriving
// behind a waiting writer wait for it, and the readers queued behind a
// writer enter together when it is done. DoWhen waiters whose condition
// holds run in the order they began waiting.
//
// # Checked mode
//
// Built with the race detector (go test -race) or with -tags lockxcheck,
// lockx checks every acquisition, at a cost of a few microseconds each,
// for two mistakes that otherwise hang a program, and panics with a report
// instead:
//
//   - Taking a lock the calling goroutine already holds: Do, DoContext,
//     DoWhen, RDo or RDoContext inside a critical section of the same lock.
//     The message contains "already holds" and the file:line where the
//     goroutine took the lock. (TryDo just returns false, as always.)
//   - Taking locks in inconsistent orders: taking B while holding A, when
//     some goroutine earlier took A while holding B (or along any longer
//     cycle). The message contains "lock order" and the file:line of each
//     acquisition in both orders. It comes the first time the orders
//     disagree, whether or not the goroutines met this time.
//
// Shared acquisitions count, since an RDo waits behind a queued writer. A
// TryDo waits for nothing, so it orders nothing before the lock it takes;
// the locks it holds order those taken inside it. Acquisitions made while
// holding one common lock exclusively (a gate every goroutine takes first)
// cannot deadlock each other, and are not reported. The record of the
// orders seen holds no lock alive: it forgets a lock once the garbage
// collector has reclaimed it. Normal builds compile the checks away.
//
// # testing/synctest
//
// A waiting goroutine blocks on a channel it makes itself, so a goroutine
// waiting for a lockx lock inside a testing/synctest bubble is durably
// blocked: fake time advances, DoContext and DoWhen timeouts fire, and a
// deadlock is reported at once instead of hanging. (A goroutine waiting in
// sync.Mutex.Lock or sync.Cond.Wait is not durably blocked.) As with
// channels, a lock used inside a bubble must not also be used from outside
// it: a release from outside that reaches a waiter inside stops the
// program with the runtime's fatal error for a send on a bubble's channel
// from outside.
package lockx
