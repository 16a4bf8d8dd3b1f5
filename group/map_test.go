package group_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/testenv"
)

// peak tracks how many calls run at once.
type peak struct{ now, max atomic.Int64 }

func (p *peak) enter() {
	n := p.now.Add(1)
	for m := p.max.Load(); n > m && !p.max.CompareAndSwap(m, n); m = p.max.Load() {
	}
}

func (p *peak) exit() { p.now.Add(-1) }

func TestMapOrderAndLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := make([]int, 100)
		for i := range in {
			in[i] = i
		}
		var p peak
		out, err := group.Map(context.Background(), in, 3, func(_ context.Context, x int) (string, error) {
			p.enter()
			defer p.exit()
			time.Sleep(time.Duration(100-x) * time.Microsecond) // later elements finish sooner
			return strconv.Itoa(x * x), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range out {
			if s != strconv.Itoa(i*i) {
				t.Fatalf("out[%d] = %q, want %d: results not in input order", i, s, i*i)
			}
		}
		if p.max.Load() != 3 {
			t.Errorf("peak concurrency %d, want 3", p.max.Load())
		}
	})
}

// TestMapNoLimit: limit <= 0 runs every element at once, so calls that
// wait for each other all finish.
func TestMapNoLimit(t *testing.T) {
	for _, limit := range []int{0, -1} {
		synctest.Test(t, func(t *testing.T) {
			const n = 50
			var arrived sync.WaitGroup
			arrived.Add(n)
			err := group.ForEach(context.Background(), make([]int, n), limit, func(context.Context, int) error {
				arrived.Done()
				arrived.Wait() // a barrier: only returns if all n run at once
				return nil
			})
			if err != nil {
				t.Errorf("limit %d: %v", limit, err)
			}
		})
	}
}

// TestMapFirstErrorCancels: the first error by time cancels the others'
// context with itself as the cause, no new element starts, and Map returns
// only once every started call has returned.
func TestMapFirstErrorCancels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bad := errors.New("element 3 failed")
		var started, returned atomic.Int64
		var causes sync.Map
		out, err := group.Map(context.Background(), make([]int, 100), 4, func(ctx context.Context, _ int) (int, error) {
			i := started.Add(1) - 1
			defer returned.Add(1)
			if i == 3 {
				time.Sleep(time.Second)
				return 0, bad
			}
			<-ctx.Done()
			time.Sleep(time.Millisecond) // the loser takes a moment to return
			causes.Store(i, context.Cause(ctx))
			return 0, fmt.Errorf("element %d: %w", i, ctx.Err())
		})
		if out != nil || err != bad {
			t.Errorf("Map = %v, %v, want nil, the first error", out, err)
		}
		if s, r := started.Load(), returned.Load(); s != 4 || r != 4 {
			t.Errorf("%d calls started, %d returned before Map did; want 4 and 4", s, r)
		}
		causes.Range(func(k, v any) bool {
			if v != bad {
				t.Errorf("call %v saw cause %v, want the first error", k, v)
			}
			return true
		})
	})
}

func TestMapContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var started atomic.Int64
		// Calls that obey ctx fail with a wrapped ctx error; Map says why.
		_, err := group.Map(ctx, make([]int, 10), 2, func(ctx context.Context, _ int) (int, error) {
			started.Add(1)
			<-ctx.Done()
			return 0, fmt.Errorf("wrapped: %w", ctx.Err())
		})
		if err != context.DeadlineExceeded || started.Load() != 2 {
			t.Errorf("Map = %v after %d calls, want DeadlineExceeded after 2", err, started.Load())
		}
		// Calls that succeed anyway: the elements left are not started,
		// and Map still reports the context.
		ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
		defer cancel2()
		started.Store(0)
		err = group.ForEach(ctx2, make([]int, 10), 2, func(context.Context, int) error {
			started.Add(1)
			time.Sleep(600 * time.Millisecond)
			return nil
		})
		if err != context.DeadlineExceeded || started.Load() != 4 {
			t.Errorf("ForEach = %v after %d calls, want DeadlineExceeded after 4", err, started.Load())
		}
		// An ended ctx starts nothing.
		started.Store(0)
		if _, err := group.Map(ctx, []int{1}, 1, func(context.Context, int) (int, error) {
			started.Add(1)
			return 0, nil
		}); err != context.DeadlineExceeded || started.Load() != 0 {
			t.Errorf("Map(ended ctx) = %v, %d calls", err, started.Load())
		}
	})
}

func TestMapPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var started, returned atomic.Int64
		v := testenv.PanicValue(func() {
			group.Map(context.Background(), []int{0, 1, 2}, 0, func(ctx context.Context, x int) (int, error) {
				if x == 1 {
					panic("boom")
				}
				started.Add(1)
				<-ctx.Done() // the panic cancels the others
				returned.Add(1)
				return x, nil
			})
		})
		p, ok := v.(*group.PanicError)
		if !ok || p.Value != "boom" {
			t.Fatalf("Map re-raised %v, want a *PanicError of boom", v)
		}
		if s, r := started.Load(), returned.Load(); s != r {
			t.Errorf("%d other calls started, %d had returned before the re-raise", s, r)
		}
	})
}

func TestMapEdges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		double := func(_ context.Context, x int) (int, error) { return 2 * x, nil }
		if out, err := group.Map(ctx, nil, 8, double); out == nil || len(out) != 0 || err != nil {
			t.Errorf("Map(nil) = %#v, %v, want an empty slice", out, err)
		}
		for _, limit := range []int{1, 1 << 62, -1 << 62} {
			out, err := group.Map(ctx, []int{1, 2, 3}, limit, double)
			if fmt.Sprint(out) != "[2 4 6]" || err != nil {
				t.Errorf("limit %d: Map = %v, %v", limit, out, err)
			}
		}
	})
	ok := func(context.Context, int) error { return nil }
	for want, f := range map[string]func(){
		"group: Map: nil Context":     func() { group.Map[int, int](nil, nil, 1, func(context.Context, int) (int, error) { return 0, nil }) }, //lint:ignore SA1012 the nil Context is the test
		"group: Map: nil func":        func() { group.Map[int, int](context.Background(), nil, 1, nil) },
		"group: ForEach: nil Context": func() { group.ForEach(nil, []int{1}, 1, ok) }, //lint:ignore SA1012 the nil Context is the test
		"group: ForEach: nil func":    func() { group.ForEach[int](context.Background(), nil, 1, nil) },
	} {
		if got := testenv.PanicValue(f); got != want {
			t.Errorf("panic = %v, want %q", got, want)
		}
	}
}

// TestMapStress: many Maps at once, with errors, for the race detector.
func TestMapStress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		for k := range 50 {
			wg.Go(func() {
				in := make([]int, 200)
				for i := range in {
					in[i] = i
				}
				out, err := group.Map(context.Background(), in, k%5, func(_ context.Context, x int) (int, error) {
					if k%7 == 0 && x == 100 {
						return 0, errSentinel
					}
					return x + k, nil
				})
				if k%7 == 0 {
					if err != errSentinel || out != nil {
						t.Errorf("Map %d = %v", k, err)
					}
					return
				}
				for i, v := range out {
					if v != i+k {
						t.Errorf("Map %d: out[%d] = %d", k, i, v)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

// TestMapGoexitFails: a call that ends with runtime.Goexit, as t.FailNow
// does, fails the run instead of leaving a silent zero result.
func TestMapGoexitFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var started atomic.Int64
		out, err := group.Map(context.Background(), make([]int, 100), 2, func(ctx context.Context, _ int) (int, error) {
			switch n := started.Add(1); {
			case n == 3:
				runtime.Goexit()
			case n > 3:
				// Without this the other worker may finish every element
				// before the Goexit's failure cancels the run.
				<-ctx.Done()
			}
			return 1, nil
		})
		if out != nil || err == nil || err.Error() != "group: Map: fn called runtime.Goexit" {
			t.Errorf("Map = %v, %v, want the Goexit as its error", out, err)
		}
		if started.Load() == 100 {
			t.Error("every element ran after the Goexit")
		}
	})
}
