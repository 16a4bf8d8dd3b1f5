package errgroup_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	xerrgroup "golang.org/x/sync/errgroup"

	"github.com/leakproof/leakproof/errgroup"
	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/checkmode"
	"github.com/leakproof/leakproof/internal/testenv"
)

// Hostile-review tests of the drop-in: what the doc promises at its edges.

// TestWaitCoversGoBlockedOnLimit: the package doc says Go and Wait may be
// called in any order and that "a Wait also waits for tasks started while
// it waits". A Go that is blocked on the limit when Wait starts, and whose
// task starts while Wait waits, is not waited for: the last task frees its
// slot before it uncounts itself, the blocked Go takes the slot, and the
// count touches zero before that Go counts its task. Wait returns nil, the
// task's error is lost, and WithContext's context is cancelled under it.
func TestWaitCoversGoBlockedOnLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g, ctx := errgroup.WithContext(context.Background())
		g.SetLimit(1)
		release := make(chan struct{})
		g.Go(func() error { <-release; return nil })
		late := errors.New("late task failed")
		var sawCancelled atomic.Bool
		go g.Go(func() error { // blocks: the limit is full
			sawCancelled.Store(ctx.Err() != nil)
			return late
		})
		synctest.Wait()
		waited := make(chan error)
		go func() { waited <- g.Wait() }()
		synctest.Wait() // Wait is blocked, the Go too
		close(release)
		if err := <-waited; err != late {
			t.Errorf("Wait = %v, want %v: the task of a Go blocked before Wait started was not waited for", err, late)
		}
		g.Wait()
		if sawCancelled.Load() {
			t.Error("the task started with the group's context already cancelled by Wait")
		}
	})
}

// TestSetLimitWhileGoContextWaits: under SetLimit(0) no task runs, so
// SetLimit(1) is accepted while a GoContext waits for a slot; but the
// GoContext keeps waiting on the old limit's semaphore until its ctx ends,
// an hour here, though the new limit has room. Nothing says why. SetLimit
// should panic while a Go or GoContext waits for a slot (as it does while
// tasks run), or the waiter should see the new limit.
func TestSetLimitWhileGoContextWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g errgroup.Group
		g.SetLimit(0)
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- g.GoContext(ctx, func() error { return nil }) }()
		synctest.Wait()
		if v := testenv.PanicValue(func() { g.SetLimit(1) }); v != nil {
			t.Logf("SetLimit refused: %v", v) // one acceptable fix
			cancel()
			<-errc
			return
		}
		start := time.Now()
		if err := <-errc; err != nil {
			t.Errorf("GoContext = %v after %v, want the task started under the new limit", err, time.Since(start))
		}
		g.Wait()
	})
}

// TestPanicValues: panic(nil), an error, and a non-error value each come
// back from Wait as a *group.PanicError that errors.Is/As see through, with
// a stack that names the panicking function and no longer has the
// "goroutine N [running]:" header.
func TestPanicValues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			f     func() error
			check func(p *group.PanicError) bool
		}{
			{"nil", panicNil, func(p *group.PanicError) bool {
				var pn *runtime.PanicNilError
				return errors.As(p, &pn)
			}},
			{"error", panicEOF, func(p *group.PanicError) bool { return errors.Is(p, io.EOF) && p.Value == io.EOF }},
			{"int", panicInt, func(p *group.PanicError) bool { return p.Value == 42 && p.Unwrap() == nil }},
		} {
			g, ctx := errgroup.WithContext(context.Background())
			g.Go(tc.f)
			p, ok := testenv.PanicValue(func() { g.Wait() }).(*group.PanicError)
			if !ok || !tc.check(p) {
				t.Errorf("%s: Wait re-raised %#v", tc.name, p)
				continue
			}
			if context.Cause(ctx) != p {
				t.Errorf("%s: context.Cause = %v, want the re-raised *PanicError", tc.name, context.Cause(ctx))
			}
			stack := string(p.Stack)
			if strings.HasPrefix(stack, "goroutine ") {
				t.Errorf("%s: Stack still starts with the goroutine header: %.60q", tc.name, stack)
			}
			if fn := "errgroup_test.panic"; !strings.Contains(stack, fn) {
				t.Errorf("%s: Stack does not name the panicking function %s:\n%s", tc.name, fn, stack)
			}
			if err := g.Wait(); err != nil {
				t.Errorf("%s: Wait after the re-raise = %v, want nil", tc.name, err)
			}
		}
	})
}

func panicNil() error { panic(nil) }
func panicEOF() error { panic(io.EOF) }
func panicInt() error { panic(42) }

// TestPanicCount: the first panic is re-raised and the others counted, in
// words that agree in number.
func TestPanicCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for n := 1; n <= 4; n++ {
			var g errgroup.Group
			gate := make(chan struct{})
			g.Go(func() error { panic("first") })
			synctest.Wait()
			for range n - 1 {
				g.Go(func() error { <-gate; panic("later") })
			}
			close(gate)
			p := testenv.PanicValue(func() { g.Wait() }).(*group.PanicError)
			msg := p.Error()
			want := ""
			switch n {
			case 1:
				if strings.Contains(msg, "more task") {
					t.Errorf("1 panic: message mentions more: %.80q", msg)
				}
				continue
			case 2:
				want = "(and 1 more task panicked)"
			default:
				want = fmt.Sprintf("(and %d more tasks panicked)", n-1)
			}
			if p.Value != "first" || !strings.HasPrefix(msg, "group: task panicked: first "+want+"\n") {
				t.Errorf("%d panics: message %.80q, want it to start with the first and %q", n, msg, want)
			}
		}
	})
}

// TestPanicAndError: whichever comes first ends the context with itself as
// the cause; Wait re-raises the panic either way, once, and then returns
// the first error.
func TestPanicAndError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bad := errors.New("bad")
		for _, errorFirst := range []bool{true, false} {
			g, ctx := errgroup.WithContext(context.Background())
			second := make(chan struct{})
			fail := func() error { return bad }
			boom := func() error { panic("boom") }
			first, then := boom, fail
			if errorFirst {
				first, then = fail, boom
			}
			g.Go(first)
			synctest.Wait()
			g.Go(func() error { <-second; return then() })
			close(second)
			p, ok := testenv.PanicValue(func() { g.Wait() }).(*group.PanicError)
			if !ok || p.Value != "boom" {
				t.Errorf("errorFirst=%v: Wait re-raised %v, want the panic", errorFirst, p)
			}
			cause := context.Cause(ctx)
			if errorFirst && cause != bad || !errorFirst && cause != error(p) {
				t.Errorf("errorFirst=%v: context.Cause = %v", errorFirst, cause)
			}
			if err := g.Wait(); err != bad {
				t.Errorf("errorFirst=%v: Wait after the re-raise = %v, want %v", errorFirst, err, bad)
			}
		}
	})
}

// TestReuseAfterWait: as in x/sync, the first error stays across reuse and
// the context stays ended; the limit and the tasks work again.
func TestReuseAfterWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first, later := errors.New("first"), errors.New("later")
		for _, im := range impls {
			g, ctx := im.withContext(context.Background())
			g.SetLimit(2)
			g.Go(func() error { return first })
			if err := g.Wait(); err != first {
				t.Errorf("%s: Wait = %v", im.name, err)
			}
			ran := 0
			for range 3 {
				g.Go(func() error { ran++; return later })
				synctest.Wait()
			}
			if err := g.Wait(); err != first || ran != 3 || context.Cause(ctx) != first {
				t.Errorf("%s: after reuse Wait = %v, ran %d, cause %v", im.name, err, ran, context.Cause(ctx))
			}
		}
	})
}

// TestWaitBeforeGo: a Wait with nothing started returns nil at once, and
// ends WithContext's context, as x/sync's does.
func TestWaitBeforeGo(t *testing.T) {
	for _, im := range impls {
		g, ctx := im.withContext(context.Background())
		if err := g.Wait(); err != nil || ctx.Err() != context.Canceled || context.Cause(ctx) != context.Canceled {
			t.Errorf("%s: Wait = %v, ctx %v, cause %v", im.name, err, ctx.Err(), context.Cause(ctx))
		}
	}
}

// TestLimitExtremes: SetLimit(math.MaxInt) is as good as no limit,
// SetLimit(math.MinInt) removes it, SetLimit(1) runs one at a time, as in
// x/sync.
func TestLimitExtremes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, im := range impls {
			for _, tc := range []struct{ limit, tasks, peak int }{
				{math.MaxInt, 50, 50}, {math.MinInt, 50, 50}, {-1, 50, 50}, {1, 20, 1}, {3, 20, 3},
			} {
				g := im.zero()
				g.SetLimit(tc.limit)
				var now, peak atomic.Int64
				for range tc.tasks {
					g.Go(func() error {
						n := now.Add(1)
						for m := peak.Load(); n > m && !peak.CompareAndSwap(m, n); m = peak.Load() {
						}
						time.Sleep(time.Millisecond)
						now.Add(-1)
						return nil
					})
				}
				if err := g.Wait(); err != nil || peak.Load() != int64(tc.peak) {
					t.Errorf("%s: SetLimit(%d), %d tasks: Wait = %v, peak %d, want %d", im.name, tc.limit, tc.tasks, err, peak.Load(), tc.peak)
				}
			}
		}
	})
}

// goVia is a helper small enough to be inlined into its callers: the drift
// report must still name its Go line, the one that started the task.
var goViaLine = line() + 2

func goVia(g *errgroup.Group, f func() error) { g.Go(f) }

type stuck struct{ release chan struct{} }

func (s *stuck) wait() error { <-s.release; return nil }

// TestDriftLinesThroughHelpersAndTasks: the report names the user's Go
// line, not a line of errgroup or of the hook, however the task was
// started: from a helper (inlined or not), as a method value, from inside
// another task, by GoContext and TryGo on a group that has seen other
// functions first.
func TestDriftLinesThroughHelpersAndTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g errgroup.Group
		s := &stuck{release: make(chan struct{})}
		want := map[string]int{}

		g.Go(s.wait) // first: the head site
		want["method value"] = line() - 1
		goVia(&g, func() error { <-s.release; return nil })
		want["helper"] = goViaLine
		g.Go(func() error {
			g.TryGo(func() error { <-s.release; return nil })
			return nil
		})
		want["nested TryGo"] = line() - 3
		g.GoContext(context.Background(), func() error { <-s.release; return nil })
		want["GoContext"] = line() - 1
		synctest.Wait()

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var d *group.DriftError
		if !errors.As(g.WaitContext(ctx), &d) {
			t.Fatal("WaitContext did not give up")
		}
		got := map[int]bool{}
		for _, s := range d.Tasks {
			if filepath.Base(s.File) != "adversarial_test.go" {
				t.Errorf("task %s reported at %s:%d, outside the test", s.Func, s.File, s.Line)
			}
			got[s.Line] = true
		}
		for what, l := range want {
			if !got[l] {
				t.Errorf("%s: no task reported at line %d; report: %v", what, l, d)
			}
		}
		if len(d.Tasks) != len(want) || d.Pending != len(want) {
			t.Errorf("report has %d sites, %d pending; want %d: %v", len(d.Tasks), d.Pending, len(want), d)
		}
		close(s.release)
		g.Wait()
	})
}

// TestAllocsAgainstXSync: Go+Wait of 100 tasks, with and without a limit,
// allocates no more than x/sync's errgroup doing the same.
func TestAllocsAgainstXSync(t *testing.T) {
	if checkmode.On {
		t.Skip("checked mode pays for knowing which goroutines run tasks")
	}
	if testing.Short() {
		t.Skip("measures allocations")
	}
	nop := func() error { return nil }
	for _, limit := range []int{-1, 8} {
		var lp errgroup.Group
		var xs xerrgroup.Group
		lp.SetLimit(limit)
		xs.SetLimit(limit)
		run := func(g egroup) func() {
			return func() {
				for range 100 {
					g.Go(nop)
				}
				g.Wait()
			}
		}
		// Goroutines are recycled: warm both up so neither pays for new
		// g structs in the measured runs.
		run(&xs)()
		run(&lp)()
		a := testing.AllocsPerRun(50, run(&lp))
		b := testing.AllocsPerRun(50, run(&xs))
		if a > b+1 {
			t.Errorf("limit %d: %v allocations per 100 Go+Wait, x/sync's errgroup %v", limit, a, b)
		}
		t.Logf("limit %d: leakproof %v, x/sync %v allocations per 100 Go+Wait", limit, a, b)
	}
}
