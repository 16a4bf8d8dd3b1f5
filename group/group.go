// Package group waits for goroutines without the ways that leave a Wait
// blocked forever, and fans out to several goroutines without leaving the
// losers blocked.
//
// # Drift
//
// A sync.WaitGroup whose Adds outnumber its Dones blocks Wait forever, and
// nothing says why. A Group panics when Done outruns Add, and WaitContext
// gives up when its context ends with a *DriftError that says how much work
// is pending and where it came from: the file:line of every Add not yet
// matched by Done, and of every Go whose task has not returned. Prefer Go,
// which pairs the count itself, so drift cannot happen there; Add and Done
// are for work that is not a goroutine of its own.
//
// Add records the program counter of its caller, and Go the code pointer of
// the function it starts (plus, the first time a group sees that function,
// the pc of the Go call); they are turned into file:line only when a
// DriftError is built. Two choices follow from keeping that cheap, since a
// pc per Go call would cost more than the goroutine's start:
//
//   - Tasks are told apart by the function they run. A closure literal is
//     written on its Go line, so each is reported there; a named function
//     started from several lines is reported at the first of them.
//   - Done cannot say which Add it answers. When Adds came from several
//     lines, a Done is counted against the oldest line first: the one that
//     first added work to the group. With one Add line, as in Add(5) with
//     three Done, the report is exact.
//
// # Waiting
//
// Wait and WaitContext block on a channel, so inside a testing/synctest
// bubble a stuck Wait is reported as a deadlock and WaitContext's timeouts
// run on the bubble's clock. Add and Go may be called at any time, unlike
// sync.WaitGroup's Add: from tasks too, and while a Wait is in progress. A
// Wait returns when it sees nothing pending.
//
// # Panics
//
// A panic in a task started by Go, GoContext or TryGo does not crash the
// process from the task's goroutine. The other tasks finish, and Wait, or
// WaitContext, re-raises the first panic as a *PanicError, which carries the
// original value and the stack of the goroutine that panicked.
//
// golang.org/x/sync/errgroup decided against this (see its comments, and
// golang/go#53757, #74275), for three reasons: it delays a panic until Wait,
// it turns the panic's stack into a value that crash reporting cannot see,
// and a panic that leaves the program unable to reach Wait is hidden
// entirely. A leak-free group answers each. It is always waited on: a group
// whose Wait never comes leaks its goroutines (and loses its panic with
// them), which is the bug this package exists to catch, and WaitContext
// bounds the wait and re-raises a recorded panic even when it gives up. A panic cancels the context of a group made
// by WithContext at once, so the siblings stop and Wait comes soon. And the
// PanicError's Error method prints the original stack, so an unrecovered
// re-raise reads like the original crash. What a crash from the task's own
// goroutine would cost instead is worse for a group: it kills every other
// task mid-work with none of their deferred cleanup run, and no caller can
// recover it, however well it owns the work.
//
// # Stopping
//
// WithContext and Stop are the shape of a component's set of workers: every
// task watches the group's context, and Stop cancels it and waits for them
// all.
//
// # First
//
// First runs several functions at once and returns the first success. The
// losers are cancelled and never block: each delivers its result into a
// channel with room for all of them, so nothing waits to receive it.
//
// A panic in a fn is re-raised by First with its original value, not a
// PanicError: First's caller is waiting for exactly these calls at that
// moment, so it sees the panic as if it had made the call itself, and a
// recover that checks the value keeps working.
package group

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
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
	addUnit  = 1 << addShift
	addMax   = 1<<32 - 1
)

// A Group waits for a collection of tasks and counted work to finish.
//
// The zero Group is ready to use, has no limit and no context. A Group can
// be reused once Wait returns, as a sync.WaitGroup can. A Group must not be
// copied after first use.
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

	mu         sync.Mutex    // guards done and morePanics
	done       chan struct{} // closed when the count reaches zero; made by a waiter
	morePanics int           // panics after the first, not yet raised
}

// A site is a line that added work to a Group. Sites are appended to a list
// and never removed, so a lookup needs no lock.
type site struct {
	key  atomic.Uintptr // Add: the pc of the call; Go: the code pointer of f
	at   atomic.Uintptr // Go: the pc of the first Go call that started f
	n    atomic.Int64   // unmatched Adds, or running tasks (not kept for Group.tasks)
	next atomic.Pointer[site]
}

// WithContext returns a new Group and a context derived from ctx that ends
// when Stop is called, when a task panics (its cause is then the
// *PanicError), or when Wait returns (or WaitContext returns nil), whichever
// comes first. WaitContext giving up does not end it. Reusing the Group
// after that starts tasks that see the ended context. WithContext panics if
// ctx is nil.
func WithContext(ctx context.Context) (*Group, context.Context) {
	if ctx == nil {
		panic("group: WithContext: nil Context")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	return &Group{cancel: cancel}, ctx
}

// Stop cancels the context made by WithContext, then waits as Wait does,
// re-raising a task's panic. On a Group not made by WithContext, Stop is
// Wait. Tasks that ignore the context still run to their end: Stop waits
// for them.
func (g *Group) Stop() {
	if g.cancel != nil {
		g.cancel(nil)
	}
	g.Wait()
}

// SetLimit limits the number of tasks started by Go, GoContext and TryGo
// that run at once to n; a negative n removes the limit. Work counted with
// Add takes no slot.
//
// SetLimit panics if n is 0, since a group that can run nothing would block
// Go forever, and if tasks are running, since they hold slots of the old
// limit.
func (g *Group) SetLimit(n int) {
	if n == 0 {
		panic("group: Group.SetLimit(0): a group that can run nothing would block Go forever")
	}
	if running := (g.state.Load() >> 1) & taskMax; running != 0 {
		panic(fmt.Sprintf("group: Group.SetLimit(%d) while %d tasks are running", n, running))
	}
	if n < 0 {
		g.sem = nil
		return
	}
	g.sem = make(chan struct{}, n)
}

// Go runs f in a new goroutine and counts it until f returns, or calls
// runtime.Goexit.
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
	if g.sem != nil {
		g.sem <- struct{}{}
	}
	g.start(f, g.taskSite(f))
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
	if err := ctx.Err(); err != nil {
		return err
	}
	if g.sem != nil {
		select {
		case g.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.start(f, g.taskSite(f))
	return nil
}

// TryGo starts f as Go does, but only if a slot is free now; it never
// blocks. It reports whether f was started. TryGo panics if f is nil.
func (g *Group) TryGo(f func()) bool {
	if f == nil {
		panic("group: Group.TryGo: nil func")
	}
	if g.sem != nil {
		select {
		case g.sem <- struct{}{}:
		default:
			return false
		}
	}
	g.start(f, g.taskSite(f))
	return true
}

// taskSite returns the site counting f's tasks, or nil for the head site,
// whose count is derived. The head check is the fast path: a load and a
// compare.
func (g *Group) taskSite(f func()) *site {
	// A func value points to a closure record whose first word is the code
	// pointer; reflect.Value.Pointer reads the same word, at ten times the
	// cost on this path.
	key := **(**uintptr)(unsafe.Pointer(&f))
	if g.tasks.key.Load() == key {
		return nil
	}
	return g.taskSiteSlow(key)
}

func (g *Group) taskSiteSlow(key uintptr) *site {
	for s := g.tasks.next.Load(); s != nil; s = s.next.Load() {
		if s.key.Load() == key {
			return s
		}
	}
	// Frames: runtime.Callers, taskSiteSlow, taskSite, Go (or GoContext,
	// TryGo), and the Go call we want. Callers counts inlined frames too.
	var pc [1]uintptr
	runtime.Callers(4, pc[:])
	s := register(&g.tasks, key, pc[0])
	if s == &g.tasks {
		return nil
	}
	return s
}

// register finds or appends the site for key in the list at head.
func register(head *site, key, at uintptr) *site {
	if head.key.CompareAndSwap(0, key) {
		head.at.Store(at)
		return head
	}
	var mine *site
	for s := head; ; {
		if s.key.Load() == key {
			return s
		}
		next := s.next.Load()
		if next == nil {
			if mine == nil {
				mine = new(site)
				mine.key.Store(key)
				mine.at.Store(at)
			}
			if s.next.CompareAndSwap(nil, mine) {
				return mine
			}
			continue // another site was appended: look at it first
		}
		s = next
	}
}

func (g *Group) start(f func(), s *site) {
	if s != nil {
		s.n.Add(1)
	}
	g.state.Add(taskUnit)
	go func() {
		defer g.taskDone(s)
		f()
	}()
}

// taskDone ends a task: it records a panic, frees the task's slot, then
// uncounts it, in that order, so that once Wait returns every slot is free
// and the panic is visible.
func (g *Group) taskDone(s *site) {
	// A nil recover is a normal return or runtime.Goexit: both finish the
	// task. panic(nil) arrives as a *runtime.PanicNilError.
	if v := recover(); v != nil {
		g.recordPanic(v)
	}
	if g.sem != nil {
		<-g.sem
	}
	if s != nil {
		s.n.Add(-1)
	}
	if n := g.state.Add(^uint64(taskUnit - 1)); n>>1 == 0 && n&waitBit != 0 {
		g.wake(n)
	}
}

func (g *Group) recordPanic(v any) {
	p := &PanicError{Value: v, Stack: debug.Stack()}
	g.mu.Lock()
	if g.panicked.Load() != nil {
		g.morePanics++
	} else {
		g.panicked.Store(p)
	}
	g.mu.Unlock()
	if g.cancel != nil {
		g.cancel(p)
	}
}

// Add adds delta, which may be negative, to the count of unfinished work,
// and remembers the line it was called from for drift reports. Add never
// blocks. Remembering the line costs a runtime.Callers, several times the
// price of the count itself: prefer Go where the work is a goroutine.
//
// Add panics if the count of Adds not yet matched by Done would go below
// zero; tasks started by Go are counted apart and cannot be retired by Add
// or Done. Unlike sync.WaitGroup, Add may be called while a Wait is in
// progress: Wait then waits for that work too.
func (g *Group) Add(delta int) {
	if delta < 0 {
		g.retire(-uint64(delta), delta)
		return
	}
	if delta == 0 {
		return
	}
	// The pc is all Add keeps; it is turned into file:line only when a
	// DriftError is built. Frames: runtime.Callers, Add, Add's caller.
	var pc [1]uintptr
	runtime.Callers(2, pc[:])
	s := &g.adds
	if s.key.Load() != pc[0] {
		s = register(&g.adds, pc[0], pc[0])
	}
	// Count the site before the state, so the sites never hold less than
	// the state says is pending and a Done always finds a site to retire.
	s.n.Add(int64(delta))
	for {
		old := g.state.Load()
		if uint64(delta) > addMax-old>>addShift {
			s.n.Add(-int64(delta))
			panic(fmt.Sprintf("group: Group.Add(%d): counter overflow", delta))
		}
		if g.state.CompareAndSwap(old, old+uint64(delta)<<addShift) {
			return
		}
	}
}

// Done retires one unit of work added by Add; it never blocks. It panics if
// no Add is pending, naming the line Done was called from: Done outran Add.
func (g *Group) Done() {
	g.retire(1, 0)
}

// retire takes n from the Add count, then from the sites, oldest first. A
// delta of 0 means Done; otherwise it is the Add(delta) that asked.
func (g *Group) retire(n uint64, delta int) {
	for {
		old := g.state.Load()
		if pending := old >> addShift; n > pending {
			outran(delta, pending)
		}
		nw := old - n<<addShift
		if !g.state.CompareAndSwap(old, nw) {
			continue
		}
		for left := int64(n); left > 0; {
			// Add counts a site before the state, so the sites hold at
			// least what this retire took from the state; retry if a
			// racing retire got there first.
			for s := &g.adds; s != nil && left > 0; s = s.next.Load() {
				c := s.n.Load()
				if c <= 0 {
					continue
				}
				take := min(c, left)
				if s.n.CompareAndSwap(c, c-take) {
					left -= take
				}
			}
		}
		if nw>>1 == 0 && nw&waitBit != 0 {
			g.wake(nw)
		}
		return
	}
}

// outran panics for a Done or Add(delta < 0) with too little pending.
// Frames: runtime.Caller, outran, retire, Done or Add, the caller.
func outran(delta int, pending uint64) {
	at := "unknown line"
	if _, file, line, ok := runtime.Caller(3); ok {
		at = fmt.Sprintf("%s:%d", file, line)
	}
	if delta == 0 {
		panic(fmt.Sprintf("group: Done outran Add: Group.Done called at %s with no Add pending", at))
	}
	panic(fmt.Sprintf("group: Group.Add(%d) called at %s would take the counter below zero (%d Adds pending)", delta, at, pending))
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
// started by Go has returned. If the Group was made by WithContext, Wait
// then cancels its context. If a task panicked, Wait re-raises the first
// such panic as a *PanicError, once: a Wait after it does not.
//
// Wait cannot be cancelled; WaitContext can, and says what it waited for.
// A task that waits for its own group waits forever, as with
// sync.WaitGroup: it is itself pending.
func (g *Group) Wait() {
	if g.state.Load()>>1 != 0 {
		g.wait(nil)
	}
	g.finish()
}

// WaitContext is Wait that gives up when ctx ends. It returns nil once
// nothing is pending. If ctx ends first, it returns a *DriftError with the
// pending count and where that work came from, wrapping ctx.Err(). Giving up
// leaves nothing behind and cancels nothing: the tasks keep running, and
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

// raise re-raises a recorded panic, once.
func (g *Group) raise() {
	if g.panicked.Load() == nil {
		return
	}
	g.mu.Lock()
	p, more := g.panicked.Swap(nil), g.morePanics
	g.morePanics = 0
	g.mu.Unlock()
	if p == nil {
		return
	}
	if more > 0 {
		// A copy: the tasks may be reading the first as their context's
		// cause.
		c := *p
		c.more = more
		p = &c
	}
	panic(p)
}

// drift builds the report WaitContext returns when it gives up, or returns
// nil if the work has finished after all. It is a snapshot: work that
// finishes while it is built may still be listed.
func (g *Group) drift(err error) *DriftError {
	s := g.state.Load()
	if s>>1 == 0 {
		return nil
	}
	adds, tasks := int64(s>>addShift), int64((s>>1)&taskMax)
	d := &DriftError{Pending: int(adds + tasks), Err: err}
	for x := &g.adds; x != nil; x = x.next.Load() {
		if n := x.n.Load(); n > 0 {
			d.Adds = append(d.Adds, addReport(x.key.Load(), n))
		}
	}
	others := int64(0)
	for x := g.tasks.next.Load(); x != nil; x = x.next.Load() {
		if n := x.n.Load(); n > 0 {
			others += n
			d.Tasks = append(d.Tasks, taskReport(x, n))
		}
	}
	if n := tasks - others; n > 0 && g.tasks.key.Load() != 0 {
		d.Tasks = append([]Site{taskReport(&g.tasks, n)}, d.Tasks...)
	}
	return d
}

func addReport(pc uintptr, n int64) Site {
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return Site{Func: f.Function, File: f.File, Line: f.Line, Count: int(n)}
}

func taskReport(s *site, n int64) Site {
	key := s.key.Load()
	var site Site
	if fn := runtime.FuncForPC(key); fn != nil {
		site.Func = strings.TrimSuffix(fn.Name(), "-fm") // a method value's wrapper
		site.File, site.Line = fn.FileLine(key)          // where f is, until the Go call is known
	}
	if at := s.at.Load(); at != 0 {
		f, _ := runtime.CallersFrames([]uintptr{at}).Next()
		site.File, site.Line = f.File, f.Line
	}
	site.Count = int(n)
	return site
}

// A DriftError is what WaitContext returns when its context ends while work
// is pending: how much, and the lines that added it.
type DriftError struct {
	// Pending is the work not finished: Adds not yet matched by Done, plus
	// tasks started by Go still running.
	Pending int
	// Adds lists the lines whose Adds are not yet matched by Done, oldest
	// first, with how many each. Done cannot say which Add it answers, so
	// Dones are counted against the oldest lines first.
	Adds []Site
	// Tasks lists, by the function they run, the tasks started by Go,
	// GoContext or TryGo that have not returned, each at the line of the
	// first Go call that started that function.
	Tasks []Site
	// Err is the context's error.
	Err error
}

// A Site is a line that added work to a Group, with how much of that work is
// unfinished.
type Site struct {
	Func  string // the function that called Add, or the task function started by Go
	File  string
	Line  int
	Count int
}

// Error names the file:line of every unmatched Add and unfinished Go, with
// counts.
func (e *DriftError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "group: gave up waiting with %d pending (%v)", e.Pending, e.Err)
	sep := ": "
	for _, s := range e.Adds {
		fmt.Fprintf(&b, "%s%d unmatched Add at %s:%d", sep, s.Count, s.File, s.Line)
		sep = "; "
	}
	if len(e.Adds) > 1 {
		b.WriteString(" (Done cannot say which Add it answers: counted against the oldest first)")
	}
	for _, s := range e.Tasks {
		fmt.Fprintf(&b, "%s%d running %s started by Go at %s:%d", sep, s.Count, s.Func, s.File, s.Line)
		sep = "; "
	}
	return b.String()
}

// Unwrap returns the context's error, so errors.Is(err,
// context.DeadlineExceeded) holds for a timed-out wait.
func (e *DriftError) Unwrap() error { return e.Err }

// A PanicError is the value Wait re-raises when a task panicked: the
// original panic value and the stack of the goroutine that panicked.
type PanicError struct {
	Value any    // what the task passed to panic
	Stack []byte // the panicking goroutine's stack, as debug.Stack prints it
	more  int    // how many other tasks panicked before this one was raised
}

// Error shows the original value and the panicking goroutine's stack.
func (p *PanicError) Error() string {
	more := ""
	if p.more > 0 {
		more = fmt.Sprintf(" (and %d more tasks panicked)", p.more)
	}
	return fmt.Sprintf("group: task panicked: %v%s\n\n%s", p.Value, more, p.Stack)
}

// Unwrap returns the original value if it is an error, so errors.Is and
// errors.As see through the re-raise, and nil otherwise.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

var errNoFuncs = errors.New("group: First: no functions")

// First runs every fn in its own goroutine with a context derived from ctx
// and returns the first success, at once, without waiting for the others.
// The others' context is then cancelled, and they never block: each
// delivers its result into a channel with room for all of them.
//
// First blocks until a fn succeeds, every fn has failed, or ctx ends. A
// failure does not win: First waits for a success. If every fn fails, the
// error is errors.Join of their errors in the order of fns. If ctx ends
// first, or has already ended, First returns ctx.Err(); if it ended before
// First was called, no fn is started; if it ends as a success arrives,
// either may be returned. With no fns, First returns an error at once. A fn
// that calls runtime.Goexit counts as failed.
//
// A panic in a fn before First returns is re-raised in First's caller with
// the original value, after the others' context is cancelled. A fn that
// panics after First has returned crashes the program, as a panic in any
// goroutine does: no caller is left to re-raise it in, and to swallow it
// would hide a bug. So does a second panic while First re-raises a first.
//
// First panics if ctx or any fn is nil.
func First[T any](ctx context.Context, fns ...func(context.Context) (T, error)) (T, error) {
	var zero T
	if ctx == nil {
		panic("group: First: nil Context")
	}
	for i, fn := range fns {
		if fn == nil {
			panic(fmt.Sprintf("group: First: fns[%d] is nil", i))
		}
	}
	if len(fns) == 0 {
		return zero, errNoFuncs
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &race[T]{results: make(chan result[T], len(fns))}
	for i, fn := range fns {
		go r.run(fctx, i, fn)
	}
	var errs []error
	for range fns {
		select {
		case res := <-r.results:
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
		case <-ctx.Done():
			r.end(cancel, false)
			return zero, ctx.Err()
		}
	}
	r.end(cancel, false)
	if err := ctx.Err(); err != nil {
		return zero, err // the fns failed because ctx ended
	}
	return zero, errors.Join(errs...)
}

// race is the state First shares with its goroutines.
type race[T any] struct {
	results chan result[T] // room for every fn: a send never blocks
	// mu orders a fn's panic against First's return. Only the first panic
	// delivered while First runs is recovered; any other panic is left to
	// crash the program, as First documents.
	mu         sync.Mutex
	state      int
	panicValue any // set under mu before errPanicked is sent
}

// race states
const (
	running   = iota
	delivered // a panic is in results (or already received) for First to re-raise
	ended     // First has returned or is re-raising
)

type result[T any] struct {
	v   T
	err error // errPanicked: the fn panicked with race.panicValue
	i   int
}

// errPanicked marks a panic's result, keeping results small for the common
// case.
var errPanicked = errors.New("group: First: fn panicked")

func (r *race[T]) run(ctx context.Context, i int, fn func(context.Context) (T, error)) {
	returned := false
	defer func() {
		if returned {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.state != running {
			return // not recovering lets the panic or Goexit go on
		}
		v := recover()
		if v == nil { // runtime.Goexit; panic(nil) arrives as *runtime.PanicNilError
			r.results <- result[T]{i: i, err: fmt.Errorf("group: First: fns[%d] called runtime.Goexit", i)}
			return
		}
		r.state = delivered
		r.panicValue = v
		r.results <- result[T]{i: i, err: errPanicked}
	}()
	v, err := fn(ctx)
	returned = true
	r.results <- result[T]{i: i, v: v, err: err}
}

// end marks First as ended and cancels the losers. Unless First already
// holds the panic it is about to re-raise, a panic delivered before the mark
// is re-raised here: it happened before First returned.
func (r *race[T]) end(cancel context.CancelFunc, raising bool) {
	r.mu.Lock()
	pending := r.state == delivered && !raising
	r.state = ended
	r.mu.Unlock()
	cancel()
	for pending {
		// The panic was sent under mu, so it is already in results.
		if res := <-r.results; res.err == errPanicked {
			panic(r.panicValue)
		}
	}
}
