package group_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/checkmode"
	"github.com/leakproof/leakproof/internal/testenv"
)

// Tests that could block run in a synctest bubble: a goroutine in the bubble
// that blocks forever makes synctest.Test fail at once with a deadlock
// report, and timeouts run on fake time, so they cost nothing.

func TestDoneOutranAddPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		v := testenv.PanicValue(func() { g.Done() })
		msg, _ := v.(string)
		if !strings.Contains(msg, "Done outran Add") || !strings.Contains(msg, "group_test.go:") {
			t.Fatalf("Done on an empty group: panic = %v, want one naming Done outran Add and the caller's line", v)
		}
		// The line named is the caller's: a Done called directly on line L.
		var at int
		v = testenv.PanicValue(func() {
			at = line() + 1
			g.Done()
		})
		if want := fmt.Sprintf("group_test.go:%d ", at); !strings.Contains(v.(string), want) {
			t.Errorf("panic = %v, want it to name %s", v, want)
		}

		// A running task is not an Add: Done cannot retire it.
		release := make(chan struct{})
		g.Go(func() { <-release })
		if v := testenv.PanicValue(func() { g.Done() }); v == nil {
			t.Error("Done with only a task running did not panic")
		}
		g.Add(2)
		if v, _ := testenv.PanicValue(func() { g.Add(-3) }).(string); !strings.HasPrefix(v, "group: Group.Add: Add(-3) at ") || !strings.Contains(v, "below zero") {
			t.Errorf("Add(-3) with 2 pending: panic = %q", v)
		}
		// A misuse that panicked changed nothing: the group still counts right.
		g.Add(-2)
		close(release)
		g.Wait()
		if v, _ := testenv.PanicValue(func() { g.Add(1 << 40) }).(string); !strings.Contains(v, "overflow") {
			t.Errorf("Add(1<<40): panic = %q, want overflow", v)
		}
		g.Wait()
	})
}

func TestNilArgumentsPanic(t *testing.T) {
	var g group.Group
	ctx := context.Background()
	for want, f := range map[string]func(){
		"group: Group.Go: nil func":             func() { g.Go(nil) },
		"group: Group.TryGo: nil func":          func() { g.TryGo(nil) },
		"group: Group.GoContext: nil func":      func() { g.GoContext(ctx, nil) },
		"group: Group.GoContext: nil Context":   func() { g.GoContext(nil, func() {}) }, //lint:ignore SA1012 the nil Context is the test
		"group: Group.WaitContext: nil Context": func() { g.WaitContext(nil) },          //lint:ignore SA1012 the nil Context is the test
		"group: WithContext: nil Context":       func() { group.WithContext(nil) },      //lint:ignore SA1012 the nil Context is the test
		"group: First: nil Context":             func() { group.First[int](nil, nil) },  //lint:ignore SA1012 the nil Context is the test
		"group: First: fns[1] is nil":           func() { group.First(ctx, func(context.Context) (int, error) { return 1, nil }, nil) },
	} {
		if got := testenv.PanicValue(f); got != want {
			t.Errorf("panic = %v, want %q", got, want)
		}
	}
	want := "group: Group.SetLimit: n is 0: a group that can run nothing would block Go forever"
	if got := testenv.PanicValue(func() { g.SetLimit(0) }); got != want {
		t.Errorf("panic = %v, want %q", got, want)
	}
}

// TestReuse: a Group is reusable once Wait returns, many times over.
func TestReuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		var n atomic.Int64
		for round := range 50 {
			for range 10 {
				g.Go(func() { n.Add(1) })
			}
			g.Add(2)
			go g.Done()
			go g.Done()
			g.Wait()
			if got := n.Load(); got != int64(10*(round+1)) {
				t.Fatalf("round %d: %d tasks ran, want %d", round, got, 10*(round+1))
			}
		}
	})
}

// TestWaitSeesWorkAddedDuringWait: unlike sync.WaitGroup, work may be added
// while a Wait is in progress, even from a task.
func TestWaitSeesWorkAddedDuringWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		var ran atomic.Int64
		step := make(chan struct{})
		g.Go(func() {
			<-step
			g.Go(func() { // a task starting a task keeps the count above zero
				<-step
				ran.Add(1)
			})
			ran.Add(1)
		})
		waited := make(chan struct{})
		go func() { g.Wait(); close(waited) }()
		synctest.Wait()
		step <- struct{}{}
		synctest.Wait()
		select {
		case <-waited:
			t.Fatal("Wait returned while a task started by a task was running")
		default:
		}
		step <- struct{}{}
		<-waited
		if ran.Load() != 2 {
			t.Errorf("%d tasks ran, want 2", ran.Load())
		}
	})
}

// TestManyWaiters: every waiter returns when the count reaches zero.
func TestManyWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		release := make(chan struct{})
		g.Go(func() { <-release })
		var waiters sync.WaitGroup
		for i := range 20 {
			waiters.Go(func() {
				if i%2 == 0 {
					g.Wait()
					return
				}
				if err := g.WaitContext(context.Background()); err != nil {
					t.Errorf("WaitContext = %v", err)
				}
			})
		}
		synctest.Wait()
		close(release)
		waiters.Wait()
	})
}

// TestWaitContextLeavesNothing: giving up leaves no goroutine and no lock;
// the group keeps working, and a later wait sees the end.
func TestWaitContextLeavesNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		release := make(chan struct{})
		g.Go(func() { <-release })
		for range 100 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			if err := g.WaitContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("WaitContext = %v", err)
			}
			cancel()
		}
		ended, cancel := context.WithCancel(context.Background())
		cancel()
		if err := g.WaitContext(ended); !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitContext(ended ctx) = %v", err)
		}
		close(release)
		if err := g.WaitContext(context.Background()); err != nil {
			t.Errorf("WaitContext after the task ended = %v", err)
		}
	})
	testenv.CheckGoroutines(t, before)
}

// TestSetLimit: the limit bounds the tasks running and the goroutines
// alive, and Go blocks the loop rather than piling up goroutines.
func TestSetLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const limit, total = 3, 40
		base := runtime.NumGoroutine()
		var g group.Group
		g.SetLimit(limit)
		var running, peak, peakGoroutines atomic.Int64
		for range total {
			g.Go(func() {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				gs := int64(runtime.NumGoroutine() - base)
				for p := peakGoroutines.Load(); gs > p && !peakGoroutines.CompareAndSwap(p, gs); p = peakGoroutines.Load() {
				}
				time.Sleep(time.Millisecond) // fake time: lets the others pile up if they could
				running.Add(-1)
			})
		}
		g.Wait()
		if p := peak.Load(); p != limit {
			t.Errorf("peak concurrency %d, want %d", p, limit)
		}
		// A task frees its slot just before its goroutine exits, so a
		// moment can see limit running and up to limit more exiting; what
		// matters is that the count does not grow with the number of Go
		// calls.
		if p := peakGoroutines.Load(); p > 2*limit {
			t.Errorf("peak extra goroutines %d, want at most %d", p, 2*limit)
		}

		// Go blocks while every slot is taken.
		release := make(chan struct{})
		for range limit {
			g.Go(func() { <-release })
		}
		started := make(chan struct{})
		go func() {
			g.Go(func() {})
			close(started)
		}()
		synctest.Wait()
		select {
		case <-started:
			t.Fatal("Go started a task beyond the limit")
		default:
		}
		close(release)
		<-started
		g.Wait()

		g.SetLimit(-1) // no limit
		for range 10 {
			if !g.TryGo(func() { <-release }) {
				t.Fatal("TryGo failed with no limit")
			}
		}
		g.Wait()
	})
}

func TestSetLimitWhileRunningPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		release := make(chan struct{})
		g.Go(func() { <-release })
		v, _ := testenv.PanicValue(func() { g.SetLimit(2) }).(string)
		if v != "group: Group.SetLimit: called while 1 task is running or waiting for a slot" {
			t.Errorf("panic = %q", v)
		}
		// Work counted with Add holds no slot, so it does not stop SetLimit.
		close(release)
		g.Wait()
		g.Add(1)
		g.SetLimit(2)
		g.Done()
	})
}

// TestGoContext: the wait for a slot ends with ctx, and then f never runs.
func TestGoContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		g.SetLimit(1)
		release := make(chan struct{})
		if err := g.GoContext(context.Background(), func() { <-release }); err != nil {
			t.Fatal(err)
		}
		ran := false
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if err := g.GoContext(ctx, func() { ran = true }); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("GoContext on a full group = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("GoContext gave up after %v, want 1s", d)
		}
		if g.TryGo(func() { ran = true }) {
			t.Error("TryGo succeeded on a full group")
		}
		close(release)
		g.Wait()
		if ran {
			t.Error("f ran although GoContext or TryGo refused it")
		}
		// Once Wait returns, every slot is free.
		if !g.TryGo(func() {}) {
			t.Error("TryGo failed after Wait")
		}
		g.Wait()
		// An ended ctx starts nothing, even with a slot free.
		ended, cancel2 := context.WithCancel(context.Background())
		cancel2()
		if err := g.GoContext(ended, func() { ran = true }); err != context.Canceled {
			t.Errorf("GoContext(ended ctx) = %v, want context.Canceled", err)
		}
		g.Wait()
		if ran {
			t.Error("f ran although ctx had ended")
		}
	})
}

func TestGoexitEndsTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		g.Go(runtime.Goexit)
		g.Wait() // no panic, no hang
	})
}

// TestWithContextStop is the component shape: every task watches the
// group's context, Stop ends them all and waits.
func TestWithContextStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g, ctx := group.WithContext(context.Background())
		var stopped atomic.Int64
		for range 5 {
			g.Go(func() {
				<-ctx.Done()
				stopped.Add(1)
			})
		}
		synctest.Wait()
		if ctx.Err() != nil {
			t.Fatal("context ended before Stop")
		}
		g.Stop()
		if stopped.Load() != 5 {
			t.Errorf("%d tasks stopped, want 5", stopped.Load())
		}
		if ctx.Err() != context.Canceled {
			t.Errorf("ctx.Err() = %v after Stop", ctx.Err())
		}
	})
}

func TestWithContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// When Wait returns.
		g, ctx := group.WithContext(context.Background())
		g.Go(func() {})
		g.Wait()
		if ctx.Err() == nil {
			t.Error("context not ended when Wait returned")
		}

		// On a task panic, at once, with the panic as its cause.
		g, ctx = group.WithContext(context.Background())
		sawCause := make(chan error, 1)
		g.Go(func() {
			<-ctx.Done()
			sawCause <- context.Cause(ctx)
		})
		g.Go(panicsWithBoom)
		var p *group.PanicError
		if !errors.As(<-sawCause, &p) || p.Value != "boom" {
			t.Error("the panic did not end the context with itself as the cause")
		}
		testenv.PanicValue(g.Wait)

		// Not when WaitContext gives up: that cancels nothing.
		g, ctx = group.WithContext(context.Background())
		release := make(chan struct{})
		g.Go(func() { <-release })
		short, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		if err := g.WaitContext(short); err == nil {
			t.Fatal("WaitContext returned nil with a task running")
		}
		if ctx.Err() != nil {
			t.Error("WaitContext giving up ended the group's context")
		}
		close(release)
		g.Stop()
	})
}

// TestZeroGroupStop: on a zero Group, Stop is Wait.
func TestZeroGroupStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		done := false
		g.Go(func() {
			time.Sleep(time.Second)
			done = true
		})
		g.Stop()
		if !done {
			t.Error("Stop returned before the task")
		}
	})
}

func TestZeroAllocs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		if n := testing.AllocsPerRun(1000, func() {
			g.Add(1)
			g.Done()
			g.Wait()
			g.WaitContext(context.Background())
		}); n != 0 {
			t.Errorf("%v allocations per Add+Done+Wait+WaitContext, want 0", n)
		}
	})
}

// TestGoAllocatesOnce: a Go costs one allocation, the goroutine's closure,
// as errgroup's does; a Wait after a short task allocates nothing.
func TestGoAllocatesOnce(t *testing.T) {
	if checkmode.On {
		t.Skip("checked mode pays for knowing which goroutines run tasks")
	}
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		if n := testing.AllocsPerRun(1000, func() {
			g.Go(func() {})
			g.Wait()
		}); n > 1 {
			t.Errorf("%v allocations per Go+Wait, want at most 1", n)
		}
	})
}

// TestConcurrentStress hammers one group from several goroutines with Add,
// Done, Go from several lines and giving-up WaitContexts, for the race
// detector and for the site counts: once everything is done, a fresh Add
// must be the only thing a report lists.
func TestConcurrentStress(t *testing.T) {
	rounds := 2000
	if testing.Short() {
		rounds = 200
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // the bound on a hang
	defer cancel()
	var g group.Group
	var workers sync.WaitGroup
	for w := range 4 {
		workers.Go(func() {
			for i := range rounds {
				switch (w + i) % 4 {
				case 0:
					g.Add(2)
					go func() { g.Done(); g.Done() }()
				case 1:
					g.Add(1)
					g.Done()
				case 2:
					g.Go(func() {})
				case 3:
					g.Go(func() { runtime.Gosched() })
				}
				if i%100 == 0 {
					short, cancel := context.WithTimeout(ctx, time.Microsecond)
					var d *group.DriftError
					if err := g.WaitContext(short); errors.As(err, &d) && d.Pending <= 0 {
						t.Errorf("report with Pending %d", d.Pending)
					}
					cancel()
				}
			}
		})
	}
	workers.Wait()
	if err := g.WaitContext(ctx); err != nil {
		t.Fatalf("WaitContext after all work = %v", err)
	}
	g.Add(1)
	addLine := line() - 1
	short, cancel2 := context.WithTimeout(ctx, time.Millisecond)
	defer cancel2()
	var d *group.DriftError
	if !errors.As(g.WaitContext(short), &d) {
		t.Fatal("WaitContext with one Add pending returned no report")
	}
	if d.Pending != 1 || len(d.Tasks) != 0 || len(d.Adds) != 1 || d.Adds[0].Line != addLine || d.Adds[0].Count != 1 {
		t.Errorf("report after the stress = %v, want only the Add at line %d", d, addLine)
	}
	g.Done()
	g.Wait()
}
