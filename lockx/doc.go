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
// gives up when its context ends. It replaces [sync.Cond].
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
// No waiter starves. A released lock may go to a newcomer ahead of a
// queued writer, which keeps a contended lock fast, but a writer that loses
// that race twice is handed the lock on the next release. On an RWMutex,
// readers arriving while a writer holds the lock or waits for it wait too,
// so readers cannot starve writers; and the readers that waited behind a
// writer enter together when it leaves, ahead of the writers queued after
// them (a writer arriving at the moment of the release may slip in first),
// so writers cannot starve readers. A change wakes every DoWhen waiter to look at its
// condition again, and each competes for the lock as any waiter does, so
// none misses a change; which of several waiters whose conditions hold
// runs first is not set, as with sync.Cond.Broadcast.
//
// # Checked mode
//
// Built with the race detector (go test -race) or with -tags lockxcheck,
// lockx checks every acquisition for two mistakes that otherwise hang a
// program, and panics with a report instead, before anything blocks:
//
//   - Taking a lock the calling goroutine already holds: Do, DoContext,
//     DoWhen, RDo or RDoContext inside a critical section (or a DoWhen
//     cond) of the same lock. The report says "already holds" and gives
//     the file:line where the goroutine took the lock and where it takes
//     it again. An RDo inside an RDo counts: it deadlocks as soon as a
//     writer queues between them. TryDo just returns false, as always.
//   - Taking locks in inconsistent orders: taking B while holding A, when
//     some goroutine has taken A while holding B, or along a longer cycle
//     (A then B, B then C, C then A). The report says "lock order" and
//     gives the file:line of each acquisition, in both orders. It comes
//     the first time the orders disagree, whether or not the goroutines
//     met and deadlocked this time.
//
// Shared acquisitions count in both checks, since an RDo waits behind a
// queued writer. A TryDo that wins waits for nothing, so it orders nothing
// before its lock; the locks taken inside it are ordered after it.
//
// A cycle of orders is not reported when two of its orders were each only
// ever followed while holding one common lock, and at least one of the two
// only ever held it exclusively: goroutines cannot be inside both at once,
// so the cycle cannot close. This is the "gate" of a world lock that
// ordinary operations hold with RDo and a rebuild holds with Do, around
// inner locks that the two take in opposite orders. Two orders that held
// the common lock only for reading do not exclude each other, and an order
// once followed without it is not protected by it: such cycles are
// reported.
//
// The record of orders refers to locks, not to the values around them: it
// keeps nothing alive, and forgets a lock when it is garbage collected, so
// programs that make many short-lived locks do not grow it.
//
// Checking costs a few microseconds per acquisition, most of it in finding
// out which goroutine is calling. An order not seen before costs more, but
// one made by a lock nested for the first time, such as a short-lived lock
// taken around a long-lived one, does not grow with the number of locks
// the program has nested. Normal builds compile the checks away and pay
// nothing.
//
// # testing/synctest
//
// A waiting goroutine blocks on a channel it makes itself, so a goroutine
// waiting for a lockx lock inside a testing/synctest bubble is durably
// blocked: fake time advances, DoContext and DoWhen timeouts fire, and a
// deadlock is reported at once instead of hanging. (A goroutine waiting in
// sync.Mutex.Lock is not durably blocked.) As with
// channels, a lock used inside a bubble must not also be used from outside
// it: a release from outside that reaches a waiter inside stops the
// program with the runtime's fatal error for a send on a bubble's channel
// from outside.
package lockx
