package errgroup_test

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/errgroup"
	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/checkmode"
	"github.com/leakproof/leakproof/internal/testenv"
)

// The tests here cover what x/sync's own tests (errgroup_test.go, copied)
// do not: the deviations the package doc lists, and GoContext, WaitContext
// and Stop.

func line() int {
	_, _, l, _ := runtime.Caller(1)
	return l
}

// TestPanicReraised: a task's panic cancels the context at once, the other
// tasks finish, and Wait re-raises it as a *group.PanicError.
func TestPanicReraised(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g, ctx := errgroup.WithContext(context.Background())
		var finished atomic.Int64
		for range 3 {
			g.Go(func() error {
				<-ctx.Done()
				time.Sleep(time.Second) // the others take a while to finish
				finished.Add(1)
				return ctx.Err()
			})
		}
		g.Go(func() error { panic("boom") })
		p, ok := testenv.PanicValue(func() { g.Wait() }).(*group.PanicError)
		if !ok || p.Value != "boom" {
			t.Fatalf("Wait re-raised %v, want a *group.PanicError of boom", p)
		}
		if finished.Load() != 3 {
			t.Errorf("%d other tasks had finished at the re-raise, want 3", finished.Load())
		}
		if c, _ := context.Cause(ctx).(*group.PanicError); c == nil || c.Value != "boom" {
			t.Errorf("context.Cause = %v, want the *group.PanicError", context.Cause(ctx))
		}
		// Raised once; the error that came first stays, as in x/sync.
		if err := g.Wait(); !errors.Is(err, context.Canceled) {
			t.Errorf("Wait after the re-raise = %v, want the tasks' context.Canceled", err)
		}
	})
}

// TestLimitZero: SetLimit(0) is accepted; Go panics rather than block
// forever, TryGo refuses, GoContext waits for its ctx.
func TestLimitZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g errgroup.Group
		g.SetLimit(0)
		ran := false
		f := func() error { ran = true; return nil }
		want := "errgroup: Group.Go: the limit is 0 (SetLimit(0)), so Go would block forever; use GoContext or TryGo"
		if v := testenv.PanicValue(func() { g.Go(f) }); v != want {
			t.Errorf("Go under SetLimit(0): panic = %v, want %q", v, want)
		}
		if g.TryGo(f) {
			t.Error("TryGo under SetLimit(0) started f")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if err := g.GoContext(ctx, f); err != context.DeadlineExceeded || time.Since(start) != time.Second {
			t.Errorf("GoContext under SetLimit(0) = %v after %v, want DeadlineExceeded after 1s", err, time.Since(start))
		}
		if err := g.Wait(); err != nil || ran {
			t.Errorf("Wait = %v, ran = %v; want nil, f never run", err, ran)
		}
		g.SetLimit(-1)
		g.Go(f)
		if g.Wait(); !ran {
			t.Error("f did not run once the limit was lifted")
		}
	})
}

func TestBadArgumentsPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g errgroup.Group
		ctx := context.Background()
		ok := func() error { return nil }
		for want, f := range map[string]func(){
			"errgroup: Group.Go: nil func":             func() { g.Go(nil) },
			"errgroup: Group.TryGo: nil func":          func() { g.TryGo(nil) },
			"errgroup: Group.GoContext: nil func":      func() { g.GoContext(ctx, nil) },
			"errgroup: Group.GoContext: nil Context":   func() { g.GoContext(nil, ok) },      //lint:ignore SA1012 the nil Context is the test
			"errgroup: Group.WaitContext: nil Context": func() { g.WaitContext(nil) },        //lint:ignore SA1012 the nil Context is the test
			"errgroup: WithContext: nil Context":       func() { errgroup.WithContext(nil) }, //lint:ignore SA1012 the nil Context is the test
		} {
			if got := testenv.PanicValue(f); got != want {
				t.Errorf("panic = %v, want %q", got, want)
			}
		}
		// SetLimit while a task runs panics even with no limit set before,
		// and for a negative n, where x/sync lets both through.
		release := make(chan struct{})
		g.Go(func() error { <-release; return nil })
		for _, n := range []int{-1, 0, 2} {
			want := "errgroup: Group.SetLimit: called while 1 task is running or waiting for a slot"
			if got := testenv.PanicValue(func() { g.SetLimit(n) }); got != want {
				t.Errorf("SetLimit(%d) with a task running: panic = %v, want %q", n, got, want)
			}
		}
		close(release)
		g.Wait()
	})
}

// TestWaitContext gives up with a report naming the Go line of the stuck
// task, leaves the context alive, and once the tasks end returns the first
// error and ends the context as Wait does.
func TestWaitContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g, ctx := errgroup.WithContext(context.Background())
		release := make(chan struct{})
		g.Go(func() error { <-release; return nil })
		goLine := line() - 1
		wctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := g.WaitContext(wctx)
		var d *group.DriftError
		if !errors.As(err, &d) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitContext = %v, want a *group.DriftError wrapping DeadlineExceeded", err)
		}
		if len(d.Tasks) != 1 || filepath.Base(d.Tasks[0].File) != "deviations_test.go" || d.Tasks[0].Line != goLine {
			t.Errorf("Tasks = %+v, want the Go at line %d", d.Tasks, goLine)
		}
		if ctx.Err() != nil {
			t.Error("WaitContext giving up ended the group's context")
		}
		bad := errors.New("bad")
		g.Go(func() error { return bad })
		synctest.Wait()
		if context.Cause(ctx) != bad {
			t.Errorf("context.Cause = %v, want the first error", context.Cause(ctx))
		}
		close(release)
		if err := g.WaitContext(context.Background()); err != bad {
			t.Errorf("WaitContext = %v, want the first error", err)
		}
	})
}

// TestGoContext: the wait for a slot ends with ctx, and then f never runs.
func TestGoContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g errgroup.Group
		g.SetLimit(1)
		release := make(chan struct{})
		if err := g.GoContext(context.Background(), func() error { <-release; return nil }); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		ran := false
		if err := g.GoContext(ctx, func() error { ran = true; return nil }); err != context.DeadlineExceeded {
			t.Errorf("GoContext on a full group = %v", err)
		}
		close(release)
		if err := g.Wait(); err != nil || ran {
			t.Errorf("Wait = %v, ran = %v", err, ran)
		}
	})
}

// TestStop cancels the group's context and waits; it returns the first
// error by time, here the one a task returned because Stop cancelled it.
func TestStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g, ctx := errgroup.WithContext(context.Background())
		var stopped atomic.Int64
		for range 3 {
			g.Go(func() error {
				<-ctx.Done()
				stopped.Add(1)
				return ctx.Err()
			})
		}
		synctest.Wait()
		if err := g.Stop(); err != context.Canceled || stopped.Load() != 3 {
			t.Errorf("Stop = %v with %d stopped, want context.Canceled and 3", err, stopped.Load())
		}
		// On a zero Group, Stop is Wait.
		var z errgroup.Group
		done := false
		z.Go(func() error { time.Sleep(time.Second); done = true; return nil })
		if err := z.Stop(); err != nil || !done {
			t.Errorf("Stop on a zero Group = %v, done = %v", err, done)
		}
	})
}

// TestTaskAfterErrorRuns, as in x/sync: the context has ended, the task
// still runs, and the first error stays.
func TestTaskAfterErrorRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g, ctx := errgroup.WithContext(context.Background())
		first, second := errors.New("first"), errors.New("second")
		g.Go(func() error { return first })
		synctest.Wait()
		ran := false
		g.Go(func() error {
			ran = ctx.Err() != nil
			return second
		})
		if err := g.Wait(); err != first || !ran {
			t.Errorf("Wait = %v, late task ran with an ended ctx: %v", err, ran)
		}
	})
}

func TestGoexitEndsTaskWithNoError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g errgroup.Group
		g.Go(func() error { runtime.Goexit(); return errors.New("unreachable") })
		if err := g.Wait(); err != nil {
			t.Errorf("Wait = %v, want nil", err)
		}
	})
}

// TestOneClosurePerTask: Go+Wait allocates no more than x/sync's one
// closure per task.
func TestOneClosurePerTask(t *testing.T) {
	if checkmode.On {
		t.Skip("checked mode pays for knowing which goroutines run tasks")
	}
	synctest.Test(t, func(t *testing.T) {
		var g errgroup.Group
		if n := testing.AllocsPerRun(1000, func() {
			g.Go(func() error { return nil })
			g.Wait()
		}); n > 1 {
			t.Errorf("%v allocations per Go+Wait, want at most 1", n)
		}
		g.SetLimit(2)
		if n := testing.AllocsPerRun(1000, func() {
			g.TryGo(func() error { return nil })
			g.GoContext(context.Background(), func() error { return nil })
			g.Wait()
		}); n > 2 {
			t.Errorf("%v allocations per TryGo+GoContext+Wait, want at most 2", n)
		}
	})
}

// TestErrorStress: many tasks failing at once, for the race detector: Wait
// returns one of their errors, and the context's cause is that one.
func TestErrorStress(t *testing.T) {
	for range 20 {
		g, ctx := errgroup.WithContext(context.Background())
		g.SetLimit(4)
		for i := range 50 {
			g.Go(func() error { return fmt.Errorf("task %d", i) })
		}
		err := g.Wait()
		if err == nil || !strings.HasPrefix(err.Error(), "task ") || context.Cause(ctx) != err {
			t.Fatalf("Wait = %v, cause %v", err, context.Cause(ctx))
		}
	}
}

// TestMD5All runs x/sync's pipeline example (errgroup_example_md5all_test.go,
// copied with only the import changed), which has no Output to check: its
// sums match the files', and a cancelled context stops it with an error.
func TestMD5All(t *testing.T) {
	sums, err := MD5All(context.Background(), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"errgroup.go", "doc.go", "errgroup_test.go"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if sums[name] != md5.Sum(data) {
			t.Errorf("MD5All's sum of %s is wrong", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MD5All(ctx, "."); err != context.Canceled {
		t.Errorf("MD5All(cancelled ctx) = %v, want context.Canceled", err)
	}
}

// TestDriftNamesEveryStartLine: tasks started by Go, TryGo and GoContext are
// each reported at the line that started them.
func TestDriftNamesEveryStartLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g errgroup.Group
		release := make(chan struct{})
		g.Go(func() error { <-release; return nil })
		lines := []int{line() - 1}
		g.TryGo(func() error { <-release; return nil })
		lines = append(lines, line()-1)
		g.GoContext(context.Background(), func() error { <-release; return nil })
		lines = append(lines, line()-1)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var d *group.DriftError
		if !errors.As(g.WaitContext(ctx), &d) || len(d.Tasks) != 3 {
			t.Fatalf("WaitContext report = %v, want 3 tasks", d)
		}
		for i, s := range d.Tasks {
			if s.Line != lines[i] || s.Count != 1 {
				t.Errorf("Tasks[%d] at line %d ×%d, want line %d ×1", i, s.Line, s.Count, lines[i])
			}
		}
		close(release)
		g.Wait()
	})
}
