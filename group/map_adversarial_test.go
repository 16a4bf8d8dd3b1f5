package group_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
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
	"github.com/leakproof/leakproof/leaktest"
)

// Hostile-review tests of Map and ForEach: random sizes, limits, failures
// and cancellations, checked against what the doc promises.

// mapCase is one random Map run: element i takes dur[i] (obeying ctx if
// obey[i]) and fails if fail[i]; the caller's ctx is cancelled at cancelAt
// (0: never).
type mapCase struct {
	n, limit int
	dur      []time.Duration
	obey     []bool
	fail     []bool
	cancelAt time.Duration
}

func randomMapCase(rng *rand.Rand) mapCase {
	n := rng.IntN(40)
	limits := []int{math.MinInt, -2, -1, 0, 1, 2, 3, n - 1, n, n + 1, math.MaxInt, 1 + rng.IntN(8)}
	c := mapCase{n: n, limit: limits[rng.IntN(len(limits))]}
	for range n {
		// Odd microseconds plus a multiple of a millisecond: sums of
		// different durations rarely coincide.
		c.dur = append(c.dur, time.Duration(rng.IntN(20))*time.Millisecond+time.Duration(2*rng.IntN(500)+1)*time.Microsecond)
		c.obey = append(c.obey, rng.IntN(2) == 0)
		c.fail = append(c.fail, rng.IntN(12) == 0)
	}
	if rng.IntN(4) == 0 {
		c.cancelAt = time.Duration(rng.IntN(30))*time.Millisecond + 500*time.Microsecond
	}
	return c
}

// TestMapRandom checks, for random runs: results in input order; each
// element called at most once, and every element once when nothing fails;
// never more than limit calls at once; the first failure by time is the
// error, with nil results, and no call starts after it; the caller's ctx
// ending first gives ctx.Err(); every call has returned when Map does.
func TestMapRandom(t *testing.T) {
	runs := 400
	if testing.Short() {
		runs = 50
	}
	for seed := range runs {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		c := randomMapCase(rng)
		synctest.Test(t, func(t *testing.T) { checkMapCase(t, seed, c) })
	}
}

func checkMapCase(t *testing.T, seed int, c mapCase) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if c.cancelAt > 0 {
		time.AfterFunc(c.cancelAt, cancel)
	}
	start := time.Now()
	in := make([]int, c.n)
	for i := range in {
		in[i] = i
	}
	errs := make([]error, c.n)
	for i := range errs {
		errs[i] = fmt.Errorf("element %d failed", i)
	}
	var (
		p        peak
		mu       sync.Mutex
		calls    = make([]int, c.n)
		startAt  = make([]time.Duration, c.n)
		failedAt = map[int]time.Duration{}
		active   atomic.Int64
	)
	out, err := group.Map(ctx, in, c.limit, func(ctx context.Context, x int) (string, error) {
		active.Add(1)
		defer active.Add(-1)
		p.enter()
		defer p.exit()
		mu.Lock()
		calls[x]++
		startAt[x] = time.Since(start)
		mu.Unlock()
		if c.obey[x] {
			select {
			case <-time.After(c.dur[x]):
			case <-ctx.Done():
				return "", ctx.Err()
			}
		} else {
			time.Sleep(c.dur[x])
		}
		if c.fail[x] {
			mu.Lock()
			failedAt[x] = time.Since(start)
			mu.Unlock()
			return "", errs[x]
		}
		return fmt.Sprint(x * x), nil
	})
	returnedAt := time.Since(start)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("seed %d (n %d, limit %d, cancel at %v): %s", seed, c.n, c.limit, c.cancelAt, fmt.Sprintf(format, args...))
	}
	if a := active.Load(); a != 0 {
		fail("%d calls still running when Map returned", a)
	}
	maxAtOnce := c.n
	if c.limit > 0 && c.limit < c.n {
		maxAtOnce = c.limit
	}
	if m := int(p.max.Load()); m > maxAtOnce {
		fail("%d calls at once, want at most %d", m, maxAtOnce)
	}
	for i, k := range calls {
		if k > 1 {
			fail("element %d called %d times", i, k)
		}
	}
	// The first failure by time, if any; a tie with another failure or
	// with the cancellation makes either answer right.
	first, firstAt, tie := -1, time.Duration(math.MaxInt64), false
	for i, at := range failedAt {
		switch {
		case at < firstAt:
			first, firstAt, tie = i, at, false
		case at == firstAt:
			tie = true
		}
	}
	cancelled := c.cancelAt > 0 && c.cancelAt <= returnedAt
	switch {
	case tie || cancelled && c.cancelAt == firstAt:
		return
	case first >= 0 && (!cancelled || firstAt < c.cancelAt):
		if err != errs[first] || out != nil {
			fail("Map = %d results, %v; want nil, %v (failed at %v)", len(out), err, errs[first], firstAt)
		}
		for i, k := range calls {
			if k > 0 && startAt[i] > firstAt {
				fail("element %d started at %v, after element %d failed at %v", i, startAt[i], first, firstAt)
			}
		}
	case cancelled:
		if err == nil {
			// Only right if every element had started by then.
			for i, k := range calls {
				if k == 0 {
					fail("Map = nil error, but element %d never ran", i)
				}
			}
			break
		}
		if err != context.Canceled || out != nil {
			fail("Map = %d results, %v; want nil, context.Canceled", len(out), err)
		}
		for i, k := range calls {
			if k > 0 && startAt[i] > c.cancelAt {
				fail("element %d started at %v, after ctx ended at %v", i, startAt[i], c.cancelAt)
			}
		}
	default:
		if err != nil || len(out) != c.n || out == nil {
			fail("Map = %d results, %v; want %d, nil", len(out), err, c.n)
			return
		}
		for i, s := range out {
			if calls[i] != 1 || s != fmt.Sprint(i*i) {
				fail("out[%d] = %q after %d calls", i, s, calls[i])
			}
		}
	}
}

// TestMapPanicAnyLimit: a panic in fn is re-raised as a *PanicError after
// every call has returned, whatever the limit, for any panic value; the
// other calls see the *PanicError as their context's cause.
func TestMapPanicAnyLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 6
		for _, limit := range []int{1, 2, n, n + 5, math.MaxInt, 0, -1, math.MinInt} {
			for _, value := range []any{"boom", io.EOF, nil} {
				// The call that fills the last worker panics; the others
				// wait for their context.
				workers := n
				if limit > 0 && limit < n {
					workers = limit
				}
				var active, started atomic.Int64
				var causes sync.Map
				v := testenv.PanicValue(func() {
					group.ForEach(context.Background(), make([]struct{}, n), limit, func(ctx context.Context, _ struct{}) error {
						active.Add(1)
						defer active.Add(-1)
						if started.Add(1) == int64(workers) {
							panic(value)
						}
						<-ctx.Done()
						causes.Store(&struct{}{}, context.Cause(ctx))
						return ctx.Err()
					})
				})
				p, ok := v.(*group.PanicError)
				if !ok {
					t.Fatalf("limit %d, panic(%v): ForEach re-raised %#v, want a *PanicError", limit, value, v)
				}
				switch value {
				case nil:
					var pn *runtime.PanicNilError
					if !errors.As(p, &pn) {
						t.Errorf("limit %d: panic(nil) re-raised as %v", limit, p.Value)
					}
				case io.EOF:
					if !errors.Is(p, io.EOF) {
						t.Errorf("limit %d: errors.Is(re-raised, io.EOF) is false", limit)
					}
				default:
					if p.Value != value {
						t.Errorf("limit %d: re-raised %v, want %v", limit, p.Value, value)
					}
				}
				if a := active.Load(); a != 0 {
					t.Errorf("limit %d: %d calls still running at the re-raise", limit, a)
				}
				causes.Range(func(_, c any) bool {
					if c != any(p) {
						if cp, ok := c.(*group.PanicError); !ok || cp.Value != p.Value {
							t.Errorf("limit %d: a call saw cause %v, want the *PanicError", limit, c)
						}
					}
					return true
				})
				if strings.HasPrefix(string(p.Stack), "goroutine ") {
					t.Errorf("limit %d: Stack starts with the goroutine header", limit)
				}
			}
		}
	})
}

// TestMapSeveralPanics: with no limit and every call panicking at once, the
// first is re-raised and the others counted, none lost without a word.
func TestMapSeveralPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 5
		var arrived sync.WaitGroup
		arrived.Add(n)
		v := testenv.PanicValue(func() {
			group.ForEach(context.Background(), make([]int, n), 0, func(context.Context, int) error {
				arrived.Done()
				arrived.Wait()
				panic("all of them")
			})
		})
		p, ok := v.(*group.PanicError)
		if want := fmt.Sprintf("(and %d more tasks panicked)", n-1); !ok || !strings.Contains(p.Error(), want) {
			t.Errorf("re-raised %v, want a *PanicError saying %q", v, want)
		}
	})
}

// TestMapGoexitAnyLimit: a Goexit fails the run with an error naming Map or
// ForEach, whatever the limit, and cancels the other calls.
func TestMapGoexitAnyLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, limit := range []int{1, 3, 10, 0, -1, math.MaxInt} {
			var active atomic.Int64
			var sawCause atomic.Value
			out, err := group.Map(context.Background(), make([]int, 10), limit, func(ctx context.Context, _ int) (int, error) {
				if active.Add(1) == 1 {
					defer active.Add(-1)
					time.Sleep(time.Millisecond)
					runtime.Goexit()
				}
				defer active.Add(-1)
				<-ctx.Done()
				sawCause.Store(context.Cause(ctx))
				return 0, ctx.Err()
			})
			if out != nil || err == nil || err.Error() != "group: Map: fn called runtime.Goexit" {
				t.Errorf("limit %d: Map = %v, %v", limit, out, err)
			}
			if c, _ := sawCause.Load().(error); c != nil && c != err {
				t.Errorf("limit %d: the other calls saw cause %v, want the Goexit error", limit, c)
			}
			if a := active.Load(); a != 0 {
				t.Errorf("limit %d: %d calls running when Map returned", limit, a)
			}
		}
		err := group.ForEach(context.Background(), []int{1}, 1, func(context.Context, int) error {
			runtime.Goexit()
			return nil
		})
		if err == nil || err.Error() != "group: ForEach: fn called runtime.Goexit" {
			t.Errorf("ForEach = %v", err)
		}
	})
}

// TestMapRealErrorThenCancel: an error that came before the caller's ctx
// ended is the one returned, even though calls fail with ctx's error after.
func TestMapRealErrorThenCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		bad := errors.New("bad")
		_, err := group.Map(ctx, []int{0, 1, 2}, 0, func(cctx context.Context, x int) (int, error) {
			if x == 0 {
				return 0, bad
			}
			<-cctx.Done()
			cancel() // the caller's ctx ends too, after the error
			time.Sleep(time.Millisecond)
			return 0, errors.New("unrelated")
		})
		if err != bad {
			t.Errorf("Map = %v, want the first error %v", err, bad)
		}
	})
}

// TestMapBigNoLimit: limit <= 0 with many elements runs them all at once
// and returns every result in order.
func TestMapBigNoLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 2000
		in := make([]int, n)
		for i := range in {
			in[i] = i
		}
		var p peak
		out, err := group.Map(context.Background(), in, math.MinInt, func(_ context.Context, x int) (int, error) {
			p.enter()
			defer p.exit()
			time.Sleep(time.Millisecond)
			return -x, nil
		})
		if err != nil || len(out) != n || p.max.Load() != n {
			t.Fatalf("Map = %d results, %v, %d at once", len(out), err, p.max.Load())
		}
		for i, v := range out {
			if v != -i {
				t.Fatalf("out[%d] = %d", i, v)
			}
		}
	})
}

// TestMapLeavesNothing: after Map returns, by success, error, panic, Goexit
// or the caller's ctx, no goroutine it started is left (leaktest, outside a
// bubble, with real time).
func TestMapLeavesNothing(t *testing.T) {
	leaktest.Check(t)
	ctx := context.Background()
	in := make([]int, 64)
	slow := func(ctx context.Context, x int) (int, error) {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Duration(x%5) * time.Millisecond):
		}
		switch x {
		case 40:
			return 0, errors.New("fails")
		}
		return x, nil
	}
	for _, limit := range []int{0, 1, 8, 100} {
		group.Map(ctx, in, limit, func(ctx context.Context, x int) (int, error) { return x, nil })
		for i := range in {
			in[i] = i
		}
		group.Map(ctx, in, limit, slow)
		testenv.PanicValue(func() {
			group.Map(ctx, in, limit, func(ctx context.Context, x int) (int, error) {
				if x == 10 {
					panic("boom")
				}
				return slow(ctx, x)
			})
		})
		group.Map(ctx, in, limit, func(ctx context.Context, x int) (int, error) {
			if x == 10 {
				runtime.Goexit()
			}
			return slow(ctx, x)
		})
		cctx, cancel := context.WithTimeout(ctx, 2*time.Millisecond)
		group.ForEach(cctx, in, limit, func(ctx context.Context, x int) error { _, err := slow(ctx, x+1); return err })
		cancel()
	}
}

// TestMapAllocsConstant: Map's allocations do not grow with the input for a
// given limit: workers, not a goroutine per element.
func TestMapAllocsConstant(t *testing.T) {
	if checkmode.On {
		t.Skip("checked mode pays for knowing which goroutines run tasks")
	}
	if testing.Short() {
		t.Skip("measures allocations")
	}
	ctx := context.Background()
	double := func(_ context.Context, x int) (int, error) { return 2 * x, nil }
	check := func(x int) error { return nil }
	allocs := func(n int, forEach bool) float64 {
		in := make([]int, n)
		return testing.AllocsPerRun(20, func() {
			if forEach {
				group.ForEach(ctx, in, 8, func(_ context.Context, x int) error { return check(x) })
			} else {
				group.Map(ctx, in, 8, double)
			}
		})
	}
	for _, forEach := range []bool{false, true} {
		small, big := allocs(100, forEach), allocs(10000, forEach)
		if big > small {
			t.Errorf("forEach=%v: %v allocations for 100 elements, %v for 10000", forEach, small, big)
		}
		t.Logf("forEach=%v: %v allocations for 100 elements, %v for 10000", forEach, small, big)
	}
}
