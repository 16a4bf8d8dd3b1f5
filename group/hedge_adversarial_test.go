package group_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/testenv"
)

// Hostile-review tests of Hedge and First: random races checked against a
// model of the documented schedule, and the edges of the doc.

const never = time.Duration(math.MaxInt64)

// hedgeCase is one random race: fns[i] answers after lat[i], successfully
// if ok[i]; the caller's ctx ends at cancelAt (never: not at all).
type hedgeCase struct {
	delay    time.Duration
	lat      []time.Duration
	ok       []bool
	cancelAt time.Duration
}

// hedgeWant is what the doc says happens: fns[winner] wins at end (-1: all
// fail; -2: ctx's error), and starts[i] is when fns[i] starts (never: it
// never does). ambiguous is set when two events coincide and the doc allows
// either order.
type hedgeWant struct {
	winner    int
	end       time.Duration
	starts    []time.Duration
	ambiguous bool
}

// model plays c by the doc: fns[0] at once; each next after another delay
// with no success yet, or at once when every started fn has failed; the
// first success wins; once ctx ends nothing starts.
func (c hedgeCase) model() hedgeWant {
	n := len(c.lat)
	w := hedgeWant{starts: make([]time.Duration, n)}
	for i := range w.starts {
		w.starts[i] = never
	}
	started := 1
	if c.delay == 0 {
		started = n
	}
	for i := range started {
		w.starts[i] = 0
	}
	timerAt := never
	if started < n {
		timerAt = c.delay
	}
	done := make([]bool, n)
	failed := 0
	for {
		finishAt, fi, successes := never, -1, 0
		for i := range started {
			if done[i] {
				continue
			}
			switch at := w.starts[i] + c.lat[i]; {
			case at < finishAt:
				finishAt, fi, successes = at, i, 0
				if c.ok[i] {
					successes = 1
				}
			case at == finishAt && c.ok[i]:
				successes++
				if !c.ok[fi] {
					fi = i
				}
			}
		}
		next := min(finishAt, timerAt, c.cancelAt)
		coincide := 0
		for _, at := range []time.Duration{finishAt, timerAt, c.cancelAt} {
			if at == next {
				coincide++
			}
		}
		if coincide > 1 || next == finishAt && successes > 1 {
			w.ambiguous = true
			return w
		}
		switch next {
		case c.cancelAt:
			w.winner, w.end = -2, next
			return w
		case timerAt:
			w.starts[started] = next
			started++
			if timerAt = never; started < n {
				timerAt = next + c.delay
			}
			continue
		}
		done[fi] = true
		if c.ok[fi] {
			w.winner, w.end = fi, next
			return w
		}
		if failed++; failed < started {
			continue
		}
		if started == n {
			w.winner, w.end = -1, next
			return w
		}
		w.starts[started] = next
		started++
		if timerAt = never; started < n {
			timerAt = next + c.delay
		}
	}
}

func randomHedgeCase(rng *rand.Rand) hedgeCase {
	n := 1 + rng.IntN(5)
	dur := func() time.Duration {
		if rng.IntN(6) == 0 {
			return 0
		}
		return time.Duration(1+rng.IntN(40)) * time.Millisecond
	}
	c := hedgeCase{delay: dur(), cancelAt: never}
	for range n {
		c.lat = append(c.lat, dur())
		c.ok = append(c.ok, rng.IntN(2) == 0)
	}
	if rng.IntN(4) == 0 {
		c.cancelAt = time.Duration(1+rng.IntN(60)) * time.Millisecond // not 0: a cancel at 0 races with the call
	}
	return c
}

// TestHedgeModel runs random races through Hedge (and First, for delay 0)
// and checks the winner, the error, when Hedge returned and when each fn
// started, or that it never did, against the model.
func TestHedgeModel(t *testing.T) {
	runs := 600
	if testing.Short() {
		runs = 100
	}
	checked := 0
	for seed := range runs {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		c := randomHedgeCase(rng)
		want := c.model()
		if want.ambiguous {
			continue
		}
		checked++
		synctest.Test(t, func(t *testing.T) { checkHedgeCase(t, seed, c, want, false) })
		if c.delay == 0 {
			synctest.Test(t, func(t *testing.T) { checkHedgeCase(t, seed, c, want, true) })
		}
	}
	if checked < runs/2 {
		t.Errorf("only %d of %d random races were unambiguous", checked, runs)
	}
}

func checkHedgeCase(t *testing.T, seed int, c hedgeCase, want hedgeWant, first bool) {
	n := len(c.lat)
	t0 := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if c.cancelAt != never {
		time.AfterFunc(c.cancelAt, cancel)
	}
	starts := make([]atomic.Int64, n) // +1, 0: never started
	errs := make([]error, n)
	fns := make([]func(context.Context) (int, error), n)
	for i := range fns {
		errs[i] = fmt.Errorf("fns[%d] failed", i)
		fns[i] = func(ctx context.Context) (int, error) {
			starts[i].Store(int64(time.Since(t0)) + 1)
			select {
			case <-time.After(c.lat[i]):
			case <-ctx.Done():
				return 0, ctx.Err()
			}
			if !c.ok[i] {
				return 0, errs[i]
			}
			return 100 + i, nil
		}
	}
	var v int
	var err error
	if first {
		v, err = group.First(ctx, fns...)
	} else {
		v, err = group.Hedge(ctx, c.delay, fns...)
	}
	end := time.Since(t0)
	time.Sleep(time.Hour) // anything still to start would have by now
	name := "Hedge"
	if first {
		name = "First"
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("seed %d: %s(delay %v, lat %v, ok %v, cancel at %v): %s", seed, name, c.delay, c.lat, c.ok, c.cancelAt, fmt.Sprintf(format, args...))
	}
	switch want.winner {
	case -2:
		if err != context.Canceled {
			fail("= %d, %v; want ctx's error", v, err)
		}
	case -1:
		if wantErr := errors.Join(errs...); err == nil || err.Error() != wantErr.Error() {
			fail("= %d, %v; want every error joined in order", v, err)
		}
		for i, e := range errs {
			if !errors.Is(err, e) {
				fail("the error does not wrap fns[%d]'s", i)
			}
		}
	default:
		if err != nil || v != 100+want.winner {
			fail("= %d, %v; want fns[%d]'s success", v, err, want.winner)
		}
	}
	if end != want.end {
		fail("returned after %v, want %v", end, want.end)
	}
	for i := range starts {
		got := time.Duration(starts[i].Load() - 1)
		if starts[i].Load() == 0 {
			got = never
		}
		if got != want.starts[i] {
			fail("fns[%d] started at %v, want %v (never = %v)", i, got, want.starts[i], never)
		}
	}
}

// TestHedgeHugeDelay: a delay of MaxInt64 means no backup unless the
// primary fails, and then the next starts at once.
func TestHedgeHugeDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &replicas{start: time.Now()}
		got, err := group.Hedge(context.Background(), time.Duration(math.MaxInt64),
			r.fn(0, 3*time.Millisecond, "", io.EOF),
			r.fn(1, 5*time.Millisecond, "backup", nil),
			r.fn(2, 0, "never", nil))
		if got != "backup" || err != nil || time.Since(r.start) != 8*time.Millisecond {
			t.Errorf("Hedge = %q, %v after %v; want backup after 8ms", got, err, time.Since(r.start))
		}
		time.Sleep(time.Hour)
		if r.startedAt(1) != 3*time.Millisecond || r.startedAt(2) != -1 {
			t.Errorf("fns[1] started at %v, fns[2] at %v; want 3ms and never", r.startedAt(1), r.startedAt(2))
		}
	})
}

// TestHedgeNegativeDelayPanics, for any negative delay, before anything
// starts.
func TestHedgeNegativeDelayPanics(t *testing.T) {
	for _, d := range []time.Duration{-1, -time.Second, math.MinInt64} {
		ran := false
		v := testenv.PanicValue(func() {
			group.Hedge(context.Background(), d, func(context.Context) (int, error) { ran = true; return 0, nil })
		})
		if want := fmt.Sprintf("group: Hedge: negative delay %v", d); v != want || ran {
			t.Errorf("Hedge(delay %v): panic %v, ran %v; want %q", d, v, ran, want)
		}
	}
}

// TestHedgeNoFuncs returns ErrNoFuncs, whatever the delay and even with an
// ended ctx.
func TestHedgeNoFuncs(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for _, ctx := range []context.Context{context.Background(), ended} {
		for _, d := range []time.Duration{0, time.Second} {
			if _, err := group.Hedge[int](ctx, d); err != group.ErrNoFuncs {
				t.Errorf("Hedge(delay %v) = %v, want ErrNoFuncs", d, err)
			}
		}
		if _, err := group.First[int](ctx); err != group.ErrNoFuncs {
			t.Errorf("First() = %v, want ErrNoFuncs", err)
		}
	}
}

// TestHedgeLoserIgnoringContext: a loser that ignores its context and
// blocks does not hold up the winner's return.
func TestHedgeLoserIgnoringContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var loserCancelled atomic.Bool
		start := time.Now()
		got, err := group.Hedge(context.Background(), 10*time.Millisecond,
			func(ctx context.Context) (string, error) {
				<-release // ignores ctx
				loserCancelled.Store(ctx.Err() != nil)
				return "primary", nil
			},
			func(context.Context) (string, error) {
				time.Sleep(time.Millisecond)
				return "backup", nil
			})
		if got != "backup" || err != nil || time.Since(start) != 11*time.Millisecond {
			t.Errorf("Hedge = %q, %v after %v; want backup after 11ms", got, err, time.Since(start))
		}
		close(release)
		synctest.Wait()
		if !loserCancelled.Load() {
			t.Error("the loser's context was not cancelled")
		}
	})
}

// TestHedgeContextEndsBetweenStarts: once ctx ends, while the next fn waits
// for its delay, Hedge returns ctx.Err() then and nothing more starts.
func TestHedgeContextEndsBetweenStarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Millisecond)
		defer cancel()
		var started atomic.Int64
		fn := func(ctx context.Context) (int, error) {
			started.Add(1)
			<-ctx.Done()
			return 0, ctx.Err()
		}
		start := time.Now()
		_, err := group.Hedge(ctx, 10*time.Millisecond, fn, fn, fn, fn)
		if err != context.DeadlineExceeded || time.Since(start) != 15*time.Millisecond {
			t.Errorf("Hedge = %v after %v, want DeadlineExceeded after 15ms", err, time.Since(start))
		}
		time.Sleep(time.Hour)
		if s := started.Load(); s != 2 {
			t.Errorf("%d fns started, want 2", s)
		}
	})
}

// TestFanOutPanicValues: a panic in a fn reaches the caller with the
// original value (not a *PanicError, unlike Map), panic(nil) as a
// *runtime.PanicNilError; a Goexit counts as a failure that names the fn.
func TestFanOutPanicValues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, hedge := range []bool{false, true} {
			call := func(fns ...func(context.Context) (int, error)) (int, error) {
				if hedge {
					return group.Hedge(context.Background(), time.Millisecond, fns...)
				}
				return group.First(context.Background(), fns...)
			}
			slow := func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() }
			v := testenv.PanicValue(func() { call(slow, func(context.Context) (int, error) { panic(nil) }) })
			if _, ok := v.(*runtime.PanicNilError); !ok {
				t.Errorf("hedge=%v: panic(nil) re-raised as %#v", hedge, v)
			}
			v = testenv.PanicValue(func() { call(func(context.Context) (int, error) { panic(io.EOF) }, slow) })
			if v != io.EOF {
				t.Errorf("hedge=%v: panic(io.EOF) re-raised as %#v", hedge, v)
			}
			name := "First"
			if hedge {
				name = "Hedge"
			}
			_, err := call(func(context.Context) (int, error) { runtime.Goexit(); return 1, nil },
				func(context.Context) (int, error) { return 0, io.EOF })
			if want := "group: " + name + ": fns[0] called runtime.Goexit\nEOF"; err == nil || err.Error() != want {
				t.Errorf("hedge=%v: Goexit and EOF = %v, want %q", hedge, err, want)
			}
			// A Goexit does not stop a later success.
			got, err := call(func(context.Context) (int, error) { runtime.Goexit(); return 1, nil },
				func(context.Context) (int, error) { time.Sleep(5 * time.Millisecond); return 2, nil })
			if got != 2 || err != nil {
				t.Errorf("hedge=%v: Goexit then success = %d, %v", hedge, got, err)
			}
		}
	})
}
