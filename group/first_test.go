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
	"github.com/leakproof/leakproof/internal/testenv"
)

// query is a replica that answers after d and ignores its context, the
// worst case for a fan-out: nothing can make it stop early.
func query(d time.Duration, answer string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		time.Sleep(d)
		return answer, nil
	}
}

// TestFirstPitfall is the second pitfall: four rounds of a three-way
// fan-out over queries that ignore their context. With an unbuffered
// channel and one receive, two senders per round would block forever; with
// First every goroutine is gone once the slowest query has answered.
func TestFirstPitfall(t *testing.T) {
	before := runtime.NumGoroutine()
	synctest.Test(t, func(t *testing.T) {
		for round := range 4 {
			got, err := group.First(context.Background(),
				query(30*time.Millisecond, "slow"),
				query(10*time.Millisecond, "fast"),
				query(20*time.Millisecond, "medium"),
			)
			if got != "fast" || err != nil {
				t.Fatalf("round %d: First = %q, %v, want fast", round, got, err)
			}
		}
		time.Sleep(30 * time.Millisecond) // the slowest query of the last round answers
	})
	testenv.CheckGoroutines(t, before)
}

// TestFirstDoesNotWaitForLosers on fake time, where the answer is exact.
func TestFirstDoesNotWaitForLosers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		got, err := group.First(context.Background(),
			query(200*time.Millisecond, "b"),
			query(5*time.Millisecond, "a"),
			query(300*time.Millisecond, "c"),
		)
		if got != "a" || err != nil {
			t.Fatalf("First = %q, %v, want a", got, err)
		}
		if d := time.Since(start); d != 5*time.Millisecond {
			t.Errorf("First returned after %v, want 5ms", d)
		}
		time.Sleep(300 * time.Millisecond)
	})
}

// TestFirstDoesNotWaitForLosersRealClock: the same on the real clock, with
// the margin the issue asks for.
func TestFirstDoesNotWaitForLosersRealClock(t *testing.T) {
	var losers sync.WaitGroup
	slow := func(d time.Duration) func(context.Context) (string, error) {
		losers.Add(1)
		return func(context.Context) (string, error) {
			defer losers.Done()
			time.Sleep(d)
			return "slow", nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // the bound on a hang
	defer cancel()
	start := time.Now()
	got, err := group.First(ctx, slow(200*time.Millisecond), query(5*time.Millisecond, "fast"), slow(300*time.Millisecond))
	if d := time.Since(start); d >= 150*time.Millisecond {
		t.Errorf("First returned after %v, want well under 150ms", d)
	}
	if got != "fast" || err != nil {
		t.Errorf("First = %q, %v, want fast", got, err)
	}
	losers.Wait()
}

func TestFirstCancelsLosers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		saw := make(chan error, 2)
		loser := func(ctx context.Context) (int, error) {
			<-ctx.Done()
			saw <- ctx.Err()
			return 0, ctx.Err()
		}
		winner := func(context.Context) (int, error) { return 7, nil }
		if v, err := group.First(context.Background(), loser, winner, loser); v != 7 || err != nil {
			t.Fatalf("First = %v, %v, want 7", v, err)
		}
		for range 2 {
			if err := <-saw; err != context.Canceled {
				t.Errorf("loser saw %v, want context.Canceled", err)
			}
		}
	})
}

// TestFirstFailureDoesNotWin: First waits past failures for a success.
func TestFirstFailureDoesNotWin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fail := func(context.Context) (string, error) { return "", errors.New("down") }
		got, err := group.First(context.Background(), fail, query(time.Second, "late but fine"), fail)
		if got != "late but fine" || err != nil {
			t.Errorf("First = %q, %v", got, err)
		}
	})
}

func TestFirstAllFail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errs := []error{errors.New("a"), errors.New("b"), errors.New("c")}
		fail := func(i int, d time.Duration) func(context.Context) (int, error) {
			return func(context.Context) (int, error) {
				time.Sleep(d) // they fail in the order c, a, b
				return 0, errs[i]
			}
		}
		_, err := group.First(context.Background(), fail(0, 2*time.Second), fail(1, 3*time.Second), fail(2, time.Second))
		for _, e := range errs {
			if !errors.Is(err, e) {
				t.Errorf("error %v does not wrap %v", err, e)
			}
		}
		if err.Error() != "a\nb\nc" {
			t.Errorf("error = %q, want the errors in the order of fns", err)
		}
	})
}

func TestFirstContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := group.First(ctx, query(time.Hour, "never"), query(2*time.Hour, "never"))
		if err != context.DeadlineExceeded {
			t.Errorf("First = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Errorf("First gave up after %v, want 1s", d)
		}
		time.Sleep(2 * time.Hour)

		// fns that respect ctx fail when it ends; First still says why.
		ctx, cancel = context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		obey := func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() }
		if _, err := group.First(ctx, obey, obey, obey); err != context.DeadlineExceeded {
			t.Errorf("First over fns that obey ctx = %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestFirstEndedContextStartsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		started := false
		_, err := group.First(ctx, func(context.Context) (int, error) { started = true; return 1, nil })
		if err != context.Canceled || started {
			t.Errorf("First(ended ctx) = %v, started %v; want context.Canceled, nothing started", err, started)
		}
	})
}

func TestFirstNoFuncs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v, err := group.First[int](context.Background())
		if err != group.ErrNoFuncs || v != 0 {
			t.Errorf("First() = %v, %v, want ErrNoFuncs", v, err)
		}
	})
}

// TestFirstPanic: a panic before First returns reaches First's caller with
// the original value, and the others are cancelled first.
func TestFirstPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		saw := make(chan error, 1)
		loser := func(ctx context.Context) (int, error) {
			<-ctx.Done()
			saw <- ctx.Err()
			return 0, ctx.Err()
		}
		boom := func(context.Context) (int, error) { panic(errSentinel) }
		v := testenv.PanicValue(func() { group.First(context.Background(), loser, boom) })
		if v != errSentinel {
			t.Errorf("First re-raised %v, want the original value", v)
		}
		if err := <-saw; err != context.Canceled {
			t.Errorf("loser saw %v, want context.Canceled", err)
		}
	})
}

func TestFirstGoexitFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, err := group.First(context.Background(), func(context.Context) (int, error) {
			runtime.Goexit()
			return 1, nil
		})
		if err == nil || !strings.Contains(err.Error(), "fns[0] called runtime.Goexit") {
			t.Errorf("First = %v, want an error naming the Goexit", err)
		}
	})
}

// TestFirstConcurrent: 200 concurrent First calls, for the race detector.
func TestFirstConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		var wins [3]atomic.Int64
		for i := range 200 {
			wg.Go(func() {
				fn := func(k int) func(context.Context) (int, error) {
					return func(ctx context.Context) (int, error) {
						if (i+k)%3 == 0 {
							return k, nil
						}
						<-ctx.Done()
						return 0, ctx.Err()
					}
				}
				v, err := group.First(context.Background(), fn(0), fn(1), fn(2))
				if err != nil || (i+v)%3 != 0 {
					t.Errorf("First = %v, %v", v, err)
					return
				}
				wins[v].Add(1)
			})
		}
		wg.Wait()
		for k := range wins {
			if wins[k].Load() == 0 {
				t.Errorf("fn %d never won", k)
			}
		}
	})
}

// TestChild does what must crash a process, in a child process. In a normal
// run it does nothing.
func TestChild(t *testing.T) {
	if testenv.ChildMode() != "late-loser-panic" {
		t.Skip("runs only as a child of TestFirstLateLoserPanicCrashes")
	}
	release := make(chan struct{})
	v, err := group.First(context.Background(),
		func(context.Context) (int, error) { return 1, nil },
		func(context.Context) (int, error) {
			<-release
			panic("late loser")
		},
	)
	fmt.Println("First returned", v, err)
	close(release)
	time.Sleep(10 * time.Second) // the loser's panic ends the process first
	t.Error("the late loser's panic did not crash the process")
}

// TestFirstLateLoserPanicCrashes: a fn that panics after First returned is
// not swallowed: it crashes the program with its own value and stack, as a
// panic in any goroutine does.
func TestFirstLateLoserPanicCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	stdout, stderr, err := testenv.RunChild(t, "TestChild", "late-loser-panic")
	out := stdout + stderr
	if err == nil {
		t.Fatalf("child exited 0:\n%s", out)
	}
	for _, want := range []string{"First returned 1 <nil>", "panic: late loser", "TestChild.func2"} {
		if !strings.Contains(out, want) {
			t.Errorf("child output does not contain %q:\n%s", want, out)
		}
	}
}
