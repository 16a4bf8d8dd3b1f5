package group

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/leakproof/leakproof/internal/checkmode"
)

// The state word packs the whole count so one atomic operation updates it:
//
//	bits 32..63  Adds not yet matched by Done
//	bits  1..31  tasks started by Go that have not returned
//	bit   0      a waiter is (or was) blocked on Group.done
const (
	waitBit  = 1
	taskUnit = 1 << 1
	taskMax  = 1<<31 - 1
	addShift = 32
	addMax   = 1<<32 - 1
)

// A Group waits for a collection of tasks and counted work to finish.
//
// The zero Group is ready to use, has no limit and no context. A Group can
// be reused once Wait returns, as a [sync.WaitGroup] can. A Group must not
// be copied after first use.
//
// In the terminology of [the Go memory model], a call to Go, GoContext or
// TryGo that starts a task synchronizes before the task begins, and the
// return of a task, or a call to Done, synchronizes before the return of
// any Wait, WaitContext or Stop call that it unblocks.
//
// [the Go memory model]: https://go.dev/ref/mem
type Group struct {
	state atomic.Uint64
	// tasks heads the list of functions started by Go. The head's running
	// count is never stored: it is the state's task count minus the other
	// sites' counts, which keeps the common one-function group free of a
	// second contended counter. It sits beside state because every Go reads
	// it just before it writes state.
	tasks site
	sem   chan struct{} // nil: no limit
	adds  site          // heads the list of Add call sites, oldest first

	cancel   context.CancelCauseFunc // set by WithContext
	panicked atomic.Pointer[PanicError]
	own      ownTasks // checked mode: the goroutines running tasks; empty otherwise

	mu         sync.Mutex    // guards done, morePanics and err
	done       chan struct{} // closed when the count reaches zero; made by a waiter
	morePanics int           // panics after the first, not yet raised
	err        error         // the first error a func() error task returned
}

// WithContext returns a new Group and a context derived from ctx that ends
// when Stop is called, when a task panics (its cause is then the
// [*PanicError]), or when Wait returns (or WaitContext returns nil),
// whichever comes first. WaitContext giving up does not end it. Reusing the
// Group after that starts tasks that see the ended context. WithContext
// panics if ctx is nil.
func WithContext(ctx context.Context) (*Group, context.Context) {
	if ctx == nil {
		panic("group: WithContext: nil Context")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	return &Group{cancel: cancel}, ctx
}

// Stop cancels the context made by [WithContext], then waits as
// [Group.Wait] does, re-raising a task's panic. On a Group not made by
// WithContext, Stop is Wait. Tasks that ignore the context still run to
// their end: Stop waits for them.
func (g *Group) Stop() {
	g.stopWait("group: Group.Stop", true)
}

// SetLimit limits the number of tasks started by Go, GoContext and TryGo
// that run at once to n; a negative n removes the limit. Work counted with
// Add takes no slot.
//
// SetLimit panics if n is 0, since a group that can run nothing would block
// Go forever, and if tasks are running or a Go or GoContext is waiting for a
// slot, since they hold or wait for slots of the old limit.
func (g *Group) SetLimit(n int) {
	if n == 0 {
		panic("group: Group.SetLimit: n is 0: a group that can run nothing would block Go forever")
	}
	g.setLimit(n, "group: Group.SetLimit")
}

// setLimit sets the limit, 0 included, or panics, naming method, if tasks
// are running.
func (g *Group) setLimit(n int, method string) {
	if running := (g.state.Load() >> 1) & taskMax; running != 0 {
		are := fmt.Sprintf("%d tasks are", running)
		if running == 1 {
			are = "1 task is"
		}
		panic(fmt.Sprintf("%s: called while %s running or waiting for a slot", method, are))
	}
	if n < 0 {
		g.sem = nil
	} else {
		g.sem = make(chan struct{}, n)
	}
}

// Go runs f in a new goroutine and counts it until f returns, or calls
// [runtime.Goexit].
//
// When a limit is set, Go blocks until a slot is free, so a loop cannot
// start goroutines faster than they finish; GoContext is the same wait with
// a way out. A task that calls Go on its own full group waits for another
// task to finish; if every task does that, they wait forever, so use
// GoContext or TryGo there. A panic in f is recovered and re-raised by Wait.
// Go panics if f is nil.
func (g *Group) Go(f func()) {
	if f == nil {
		panic("group: Group.Go: nil func")
	}
	s := g.taskSite(codePtr(f), 0)
	g.countWait(s)
	g.start(f, s)
}

// GoContext is Go with a way out of the wait for a slot: if ctx ends first,
// or has already ended, it returns ctx.Err() and f never runs. It returns
// nil once f has been started. GoContext panics if ctx or f is nil.
func (g *Group) GoContext(ctx context.Context, f func()) error {
	if ctx == nil {
		panic("group: Group.GoContext: nil Context")
	}
	if f == nil {
		panic("group: Group.GoContext: nil func")
	}
	s := g.taskSite(codePtr(f), 0)
	if err := g.acquire(ctx, s); err != nil {
		return err
	}
	g.start(f, s)
	return nil
}

// TryGo starts f as Go does, but only if a slot is free now; it never
// blocks. It reports whether f was started. TryGo panics if f is nil.
func (g *Group) TryGo(f func()) bool {
	if f == nil {
		panic("group: Group.TryGo: nil func")
	}
	if !g.tryAcquire() {
		return false
	}
	s := g.taskSite(codePtr(f), 0)
	g.count(s)
	g.start(f, s)
	return true
}

// acquire counts a task at s, then takes a slot if there is a limit,
// unless ctx ends first: then the task is uncounted and never runs. As in
// Go, the task is counted before the wait.
func (g *Group) acquire(ctx context.Context, s *site) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g.count(s)
	if g.sem != nil {
		select {
		case g.sem <- struct{}{}:
		case <-ctx.Done():
			g.uncount(s)
			return ctx.Err()
		}
	}
	return nil
}

// countWait counts a task at s, then waits as long as it takes for a slot,
// as Go does. Counted before the wait: a Wait that begins while Go waits
// waits for this task too, and SetLimit refuses to swap the semaphore Go
// waits on.
func (g *Group) countWait(s *site) {
	g.count(s)
	if g.sem != nil {
		g.sem <- struct{}{}
	}
}

// tryAcquire takes a slot, if there is a limit, only if one is free now.
// It need not count the task first, as acquire does: it never waits.
func (g *Group) tryAcquire() bool {
	if g.sem != nil {
		select {
		case g.sem <- struct{}{}:
		default:
			return false
		}
	}
	return true
}

// start runs f as a task already counted at s. The goroutine's closure is
// the one allocation of a task: it captures three words (g, f, s), one more
// than x/sync/errgroup's; the head site's, below, captures two, as x/sync's
// does.
func (g *Group) start(f func(), s *site) {
	if s == nil {
		// The head site, the common case: a closure of two words, as
		// x/sync/errgroup's, rounds to a smaller size class than three.
		go func() {
			defer g.taskDone(nil, g.enter(nil))
			f()
		}()
		return
	}
	go func() {
		defer g.taskDone(s, g.enter(s))
		f()
	}()
}

func (g *Group) count(s *site) {
	if s != nil {
		s.n.Add(1)
	}
	g.state.Add(taskUnit)
}

// taskDone ends a task: it records a panic, frees the task's slot, then
// uncounts it, in that order, so that once Wait returns every slot is free
// and the panic is visible.
func (g *Group) taskDone(s *site, id uint64) {
	// A nil recover is a normal return or runtime.Goexit: both finish the
	// task. panic(nil) arrives as a *runtime.PanicNilError.
	if v := recover(); v != nil {
		g.recordPanic(v)
	}
	if checkmode.On {
		g.own.exit(id)
	}
	if g.sem != nil {
		<-g.sem
	}
	g.uncount(s)
}

// uncount takes a task off the count, waking waiters if it was the last.
func (g *Group) uncount(s *site) {
	if s != nil {
		s.n.Add(-1)
	}
	if n := g.state.Add(^uint64(taskUnit - 1)); n>>1 == 0 && n&waitBit != 0 {
		g.wake(n)
	}
}

// wake closes done for the waiters, if the count that was seen to reach zero
// with a waiter present (state s) is still zero. If new work arrived in the
// meantime the waiters keep waiting, for it too.
func (g *Group) wake(s uint64) {
	if !g.state.CompareAndSwap(s, s&^waitBit) {
		return
	}
	g.mu.Lock()
	if g.done != nil {
		close(g.done)
		g.done = nil
	}
	g.mu.Unlock()
}

// Wait blocks until all work added by Add is matched by Done and every task
// started by Go has returned, including the task of a Go that is waiting
// for a slot. If the Group was made by [WithContext], Wait
// then cancels its context. If a task panicked, Wait re-raises the first
// such panic as a [*PanicError], once: a Wait after it does not.
//
// Wait cannot be cancelled; [Group.WaitContext] can, and says what it
// waited for. A task that waits for its own group waits forever: it is
// itself pending. In checked mode (see the package doc) Wait panics then
// instead.
func (g *Group) Wait() {
	g.stopWait("group: Group.Wait", false)
}

// stopWait is Wait, and Stop when stop is set, for the method named, which
// panics if called from one of the group's own tasks in checked mode.
func (g *Group) stopWait(method string, stop bool) {
	g.checkNotOwnTask(method)
	if stop && g.cancel != nil {
		g.cancel(nil)
	}
	g.waitAll()
}

func (g *Group) waitAll() {
	if g.state.Load()>>1 != 0 {
		g.wait(nil)
	}
	g.finish()
}

// WaitContext is Wait that gives up when ctx ends. It returns nil once
// nothing is pending. If ctx ends first, it returns a [*DriftError] with the
// pending count and where that work came from, wrapping ctx.Err(). Giving
// up leaves nothing behind and cancels nothing: the tasks keep running, and
// WaitContext or Wait can be called again, for instance to log a fresh
// report every few seconds; call Stop to end the tasks.
//
// Like Wait, WaitContext re-raises a task's panic, and it does so even when
// it gives up, since the panic is the likelier cause of the wait than the
// drift. WaitContext panics if ctx is nil.
func (g *Group) WaitContext(ctx context.Context) error {
	if ctx == nil {
		panic("group: Group.WaitContext: nil Context")
	}
	if g.state.Load()>>1 != 0 && !g.wait(ctx.Done()) {
		g.raise()
		if d := g.drift(ctx.Err()); d != nil {
			return d
		}
	}
	g.finish()
	return nil
}

// wait blocks until the count is zero, reporting true, or until stop is
// closed, reporting false. Waiters block on a channel, not a sync.Cond or
// semaphore, so a testing/synctest bubble sees them as durably blocked.
func (g *Group) wait(stop <-chan struct{}) bool {
	// Tasks that are about to finish often only need this P: yield it a
	// few times before paying for a channel and a park. It keeps a typical
	// Wait after a burst of short tasks free of allocation.
	for range waitSpins {
		select {
		case <-stop:
			return false
		default:
		}
		runtime.Gosched()
		if g.state.Load()>>1 == 0 {
			return true
		}
	}
	for {
		g.mu.Lock()
		s := g.state.Load()
		// Set the wait bit only while work is pending, so the Done or task
		// that takes the count to zero sees it.
		for s>>1 != 0 && s&waitBit == 0 && !g.state.CompareAndSwap(s, s|waitBit) {
			s = g.state.Load()
		}
		if s>>1 == 0 {
			g.mu.Unlock()
			return true
		}
		if g.done == nil {
			g.done = make(chan struct{})
		}
		done := g.done
		g.mu.Unlock()
		select {
		case <-done:
			// The count reached zero, but work may have been added since:
			// look again.
		case <-stop:
			return false
		}
	}
}

const waitSpins = 4

func (g *Group) finish() {
	if g.cancel != nil {
		g.cancel(nil)
	}
	g.raise()
}
