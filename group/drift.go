package group

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// A site is a line that added work to a Group. Sites are appended to a list
// and never removed, so a lookup needs no lock.
type site struct {
	key  atomic.Uintptr // Add: the pc of the call; Go: the code pointer of f
	at   atomic.Uintptr // Go: the pc of the first Go call that started f
	n    atomic.Int64   // unmatched Adds, or running tasks (not kept for Group.tasks)
	next atomic.Pointer[site]
}

// codePtr returns the code pointer of a func value: the word its closure
// record starts with, read through reflect so that no unsafe is needed and
// the runtime's owners keep it right if the layout changes. Measured
// against a constant key it costs about 4 ns per Go (100 Go+Wait: 21.5 µs
// against 21.1 µs at GOMAXPROCS=1, inside the noise), a goroutine start
// being about 200 ns; before and after the switch from unsafe, benchstat
// sees no difference in BenchmarkGoWait.
func codePtr(f any) uintptr { return reflect.ValueOf(f).Pointer() }

// taskSite returns the site counting the tasks of the function whose code
// pointer is key, or nil for the head site, whose count is derived. The head
// check is the fast path: a load and a compare.
//
// Tasks are keyed by the function they run, not by the line of the Go call:
// a pc per Go call (runtime.Callers) would cost more than the goroutine's
// start, while the code pointer is a few nanoseconds (see codePtr). The pc
// of the Go call is taken only the first time the program starts a
// function with Go, kept in goLines for every group after, and turned into
// file:line only when a DriftError is built. So a closure literal, written
// on its Go line, is reported there, and a named function started from
// several lines is reported at the first of them. Taking the pc once per
// group instead cost a group of 100 tasks 1.5% of its time, all in
// runtime.Callers.
//
// extra is the number of frames between the caller of taskSite and the
// user's call, beyond the one of Go itself: 1 when package errgroup's Go is
// in between.
func (g *Group) taskSite(key uintptr, extra int) *site {
	if g.tasks.key.Load() == key {
		return nil
	}
	return g.taskSiteSlow(key, extra)
}

func (g *Group) taskSiteSlow(key uintptr, extra int) *site {
	for s := g.tasks.next.Load(); s != nil; s = s.next.Load() {
		if s.key.Load() == key {
			return s
		}
	}
	goLines.RLock()
	at, ok := goLines.m[key]
	goLines.RUnlock()
	if !ok {
		// Frames: runtime.Callers, taskSiteSlow, taskSite, Go (or
		// GoContext, TryGo), the extra ones, and the Go call we want.
		// Callers counts inlined frames too.
		var pc [1]uintptr
		runtime.Callers(4+extra, pc[:])
		goLines.Lock()
		if at, ok = goLines.m[key]; !ok {
			at = pc[0]
			goLines.m[key] = at
		}
		goLines.Unlock()
	}
	s := register(&g.tasks, key, at)
	if s == &g.tasks {
		return nil
	}
	return s
}

// goLines maps the code pointer of a function started by Go to the pc of
// the first Go call in the program that started it. It holds one entry per
// such function in the binary, so it is bounded. A map under a lock, not a
// sync.Map, whose boxed uintptr keys would allocate on every lookup.
var goLines = struct {
	sync.RWMutex
	m map[uintptr]uintptr
}{m: make(map[uintptr]uintptr)}

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
	// A Done takes its unit off the state before it takes it off a line,
	// oldest first, so lines may still hold units the state has already
	// let go (and a Wait may have returned for): drop those, oldest first,
	// as the Dones in flight will.
	var lines []*site
	var counts []int64
	sum := int64(0)
	for x := &g.adds; x != nil; x = x.next.Load() {
		if n := x.n.Load(); n > 0 {
			lines, counts = append(lines, x), append(counts, n)
			sum += n
		}
	}
	for i := range counts {
		drop := min(counts[i], sum-adds)
		if drop <= 0 {
			break
		}
		counts[i] -= drop
		sum -= drop
	}
	for i, x := range lines {
		if counts[i] > 0 {
			d.Adds = append(d.Adds, addReport(x.key.Load(), counts[i]))
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

// A DriftError is what [Group.WaitContext] returns when its context ends
// while work is pending: how much, and the lines that added it.
type DriftError struct {
	// Pending is the work not finished: Adds not yet matched by Done, plus
	// tasks started by Go still running or waiting for a slot.
	Pending int
	// Adds lists the lines whose Adds are not yet matched by Done, oldest
	// first, with how many each. Done cannot say which Add it answers, so
	// Dones are counted against the oldest lines first.
	Adds []Site
	// Tasks lists, by the function they run, the tasks started by Go,
	// GoContext or TryGo that have not returned (or whose Go is still
	// waiting for a slot), each at the line of the first Go call in the
	// program that started that function: for a closure literal, the line
	// it is written on.
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
