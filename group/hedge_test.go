package group_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/testenv"
)

// replica answers v after d, unless ctx ends first, and records when it
// started (relative to start) in started[i].
type replicas struct {
	start   time.Time
	started [4]atomic.Int64 // ns after start, +1 (0: never started)
}

func (r *replicas) fn(i int, d time.Duration, v string, err error) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		r.started[i].Store(int64(time.Since(r.start)) + 1)
		select {
		case <-time.After(d):
			return v, err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// startedAt reports when fns[i] started, or -1 if it never did.
func (r *replicas) startedAt(i int) time.Duration { return time.Duration(r.started[i].Load() - 1) }

func TestHedgeFastPrimaryStartsNoBackup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &replicas{start: time.Now()}
		got, err := group.Hedge(context.Background(), 10*time.Millisecond,
			r.fn(0, 5*time.Millisecond, "primary", nil),
			r.fn(1, 0, "backup", nil))
		if got != "primary" || err != nil {
			t.Fatalf("Hedge = %q, %v, want primary", got, err)
		}
		if d := time.Since(r.start); d != 5*time.Millisecond {
			t.Errorf("Hedge returned after %v, want 5ms", d)
		}
		time.Sleep(time.Hour)
		if at := r.startedAt(1); at != -1 {
			t.Errorf("the backup started at %v, after the primary had answered", at)
		}
	})
}

func TestHedgeSlowPrimary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &replicas{start: time.Now()}
		got, err := group.Hedge(context.Background(), 10*time.Millisecond,
			r.fn(0, time.Hour, "primary", nil),
			r.fn(1, 5*time.Millisecond, "backup", nil),
			r.fn(2, 0, "third", nil))
		if got != "backup" || err != nil {
			t.Fatalf("Hedge = %q, %v, want backup", got, err)
		}
		if d := time.Since(r.start); d != 15*time.Millisecond {
			t.Errorf("Hedge returned after %v, want 15ms (backup at 10ms + 5ms)", d)
		}
		synctest.Wait() // the primary sees its context cancelled and returns
		if at := r.startedAt(1); at != 10*time.Millisecond {
			t.Errorf("backup started at %v, want 10ms", at)
		}
		time.Sleep(time.Hour)
		if at := r.startedAt(2); at != -1 {
			t.Errorf("the third started at %v, after the backup had answered", at)
		}
	})
}

// TestHedgeDelaysAddUp: each next fn starts a delay after the one before.
func TestHedgeDelaysAddUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &replicas{start: time.Now()}
		got, err := group.Hedge(context.Background(), 10*time.Millisecond,
			r.fn(0, time.Hour, "a", nil),
			r.fn(1, time.Hour, "b", nil),
			r.fn(2, time.Hour, "c", nil),
			r.fn(3, time.Millisecond, "d", nil))
		if got != "d" || err != nil || time.Since(r.start) != 31*time.Millisecond {
			t.Fatalf("Hedge = %q, %v after %v, want d after 31ms", got, err, time.Since(r.start))
		}
		for i, want := range []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond} {
			if at := r.startedAt(i); at != want {
				t.Errorf("fns[%d] started at %v, want %v", i, at, want)
			}
		}
	})
}

// TestHedgeFailureStartsNextAtOnce: when every fn started has failed, the
// next does not wait for the delay.
func TestHedgeFailureStartsNextAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &replicas{start: time.Now()}
		down := errors.New("down")
		got, err := group.Hedge(context.Background(), 10*time.Millisecond,
			r.fn(0, 2*time.Millisecond, "", down),
			r.fn(1, 3*time.Millisecond, "backup", nil))
		if got != "backup" || err != nil {
			t.Fatalf("Hedge = %q, %v, want backup", got, err)
		}
		if at := r.startedAt(1); at != 2*time.Millisecond {
			t.Errorf("backup started at %v, want 2ms, when the primary failed", at)
		}
		// A failure while another fn still runs does not start the next:
		// it waits for its delay.
		r = &replicas{start: time.Now()}
		got, err = group.Hedge(context.Background(), 10*time.Millisecond,
			r.fn(0, time.Hour, "slow", nil),
			r.fn(1, time.Millisecond, "", down),
			r.fn(2, time.Millisecond, "third", nil))
		if got != "third" || err != nil {
			t.Fatalf("Hedge = %q, %v, want third", got, err)
		}
		if at := r.startedAt(2); at != 20*time.Millisecond {
			t.Errorf("third started at %v, want 20ms: fns[1] failed at 11ms while fns[0] still ran", at)
		}
	})
}

func TestHedgeAllFail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &replicas{start: time.Now()}
		a, b := errors.New("a"), errors.New("b")
		_, err := group.Hedge(context.Background(), time.Second,
			r.fn(0, 3*time.Millisecond, "", a),
			r.fn(1, time.Millisecond, "", b))
		if err == nil || err.Error() != "a\nb" || !errors.Is(err, a) || !errors.Is(err, b) {
			t.Errorf("Hedge = %v, want errors.Join(a, b)", err)
		}
		if d := time.Since(r.start); d != 4*time.Millisecond {
			t.Errorf("Hedge returned after %v, want 4ms", d)
		}
	})
}

func TestHedgeContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &replicas{start: time.Now()}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Millisecond)
		defer cancel()
		_, err := group.Hedge(ctx, 10*time.Millisecond,
			r.fn(0, time.Hour, "a", nil),
			r.fn(1, time.Hour, "b", nil),
			r.fn(2, time.Hour, "c", nil))
		if err != context.DeadlineExceeded || time.Since(r.start) != 15*time.Millisecond {
			t.Errorf("Hedge = %v after %v, want DeadlineExceeded after 15ms", err, time.Since(r.start))
		}
		time.Sleep(time.Hour)
		if at := r.startedAt(2); at != -1 {
			t.Errorf("fns[2] started at %v, after ctx ended", at)
		}

		// An ended ctx starts nothing.
		r = &replicas{start: time.Now()}
		_, err = group.Hedge(ctx, 0, r.fn(0, 0, "a", nil))
		if err != context.DeadlineExceeded || r.startedAt(0) != -1 {
			t.Errorf("Hedge(ended ctx) = %v, started %v", err, r.startedAt(0))
		}
	})
}

// TestHedgeZeroDelay starts every fn at once, as First does.
func TestHedgeZeroDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &replicas{start: time.Now()}
		got, err := group.Hedge(context.Background(), 0,
			r.fn(0, 3*time.Millisecond, "a", nil),
			r.fn(1, 2*time.Millisecond, "b", nil),
			r.fn(2, time.Millisecond, "c", nil))
		if got != "c" || err != nil || time.Since(r.start) != time.Millisecond {
			t.Errorf("Hedge = %q, %v after %v, want c after 1ms", got, err, time.Since(r.start))
		}
		synctest.Wait()
		for i := range 3 {
			if r.startedAt(i) != 0 {
				t.Errorf("fns[%d] started at %v, want 0", i, r.startedAt(i))
			}
		}
	})
}

func TestHedgePanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &replicas{start: time.Now()}
		boom := func(context.Context) (string, error) { panic(errSentinel) }
		v := testenv.PanicValue(func() {
			group.Hedge(context.Background(), time.Millisecond, r.fn(0, time.Hour, "a", nil), boom)
		})
		if v != errSentinel {
			t.Errorf("Hedge re-raised %v, want the original value", v)
		}
	})
}

func TestHedgeBadArguments(t *testing.T) {
	ctx := context.Background()
	ok := func(context.Context) (int, error) { return 1, nil }
	for want, f := range map[string]func(){
		"group: Hedge: negative delay -1ns": func() { group.Hedge(ctx, -1, ok) },
		"group: Hedge: nil Context":         func() { group.Hedge(nil, time.Second, ok) }, //lint:ignore SA1012 the nil Context is the test
		"group: Hedge: fns[1] is nil":       func() { group.Hedge(ctx, time.Second, ok, nil) },
	} {
		if got := testenv.PanicValue(f); got != want {
			t.Errorf("panic = %v, want %q", got, want)
		}
	}
	if _, err := group.Hedge[int](ctx, time.Second); err != group.ErrNoFuncs {
		t.Errorf("Hedge() = %v, want ErrNoFuncs", err)
	}
	// The largest delay is a delay like any other.
	if v, err := group.Hedge(ctx, time.Duration(1<<63-1), ok, ok); v != 1 || err != nil {
		t.Errorf("Hedge(MaxInt64 delay) = %v, %v", v, err)
	}
}
