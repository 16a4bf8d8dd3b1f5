package group_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/testenv"
)

// TestPanicReraised: a task's panic does not crash the process; the others
// finish, and Wait re-raises it with the value and the panicking stack.
func TestPanicReraised(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		var finished atomic.Int64
		release := make(chan struct{})
		for range 5 {
			g.Go(func() {
				<-release
				finished.Add(1)
			})
		}
		g.Go(panicsWithBoom)
		close(release)
		p, ok := testenv.PanicValue(g.Wait).(*group.PanicError)
		if !ok {
			t.Fatal("Wait did not re-raise a *PanicError")
		}
		if finished.Load() != 5 {
			t.Errorf("%d other tasks finished before the re-raise, want 5", finished.Load())
		}
		if p.Value != "boom" {
			t.Errorf("Value = %v, want boom", p.Value)
		}
		if strings.HasPrefix(string(p.Stack), "goroutine ") {
			t.Errorf("Stack starts with the goroutine header, whose goroutine is gone:\n%s", p.Stack)
		}
		if !strings.Contains(string(p.Stack), "group_test.panicsWithBoom") {
			t.Errorf("Stack does not show the panicking function:\n%s", p.Stack)
		}
		if msg := p.Error(); !strings.Contains(msg, "boom") || !strings.Contains(msg, "panicsWithBoom") {
			t.Errorf("Error() does not show both value and stack:\n%s", msg)
		}
		if p.Unwrap() != nil {
			t.Errorf("Unwrap of a non-error value = %v, want nil", p.Unwrap())
		}
		// Raised once: the group is clean again.
		g.Wait()
		g.Go(func() {})
		g.Wait()
	})
}

func panicsWithBoom() { panic("boom") }

var errSentinel = errors.New("sentinel")

func TestPanicErrorUnwraps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		g.Go(func() { panic(fmt.Errorf("wrapped: %w", errSentinel)) })
		err, _ := testenv.PanicValue(g.Wait).(error)
		if !errors.Is(err, errSentinel) {
			t.Errorf("re-raised %v, does not unwrap to the original error", err)
		}
		var p *group.PanicError
		if !errors.As(err, &p) {
			t.Fatalf("re-raised %T, want *group.PanicError", err)
		}

		// panic(nil) is a panic too.
		g.Go(func() { panic(nil) })
		err, _ = testenv.PanicValue(g.Wait).(error)
		var pn *runtime.PanicNilError
		if !errors.As(err, &pn) {
			t.Errorf("panic(nil) re-raised as %v, want a *runtime.PanicNilError inside", err)
		}
	})
}

// TestSeveralPanics: the first is re-raised, the rest are counted in its
// message rather than lost without a word.
func TestSeveralPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		first := make(chan struct{})
		g.Go(func() { panic("first") })
		synctest.Wait()
		close(first)
		for range 2 {
			g.Go(func() { <-first; panic("later") })
		}
		p := testenv.PanicValue(g.Wait).(*group.PanicError)
		if p.Value != "first" || !strings.Contains(p.Error(), "(and 2 more tasks panicked)") {
			t.Errorf("re-raised %v", p.Error())
		}

		// One more is one task.
		g.Go(func() { panic("first") })
		synctest.Wait()
		g.Go(func() { panic("later") })
		p = testenv.PanicValue(g.Wait).(*group.PanicError)
		if p.Value != "first" || !strings.Contains(p.Error(), "(and 1 more task panicked)") {
			t.Errorf("re-raised %v", p.Error())
		}
	})
}

// TestWaitContextReraises: a recorded panic is re-raised even when
// WaitContext gives up, since it likely caused the wait.
func TestWaitContextReraises(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g group.Group
		release := make(chan struct{})
		g.Go(func() { <-release }) // stuck, as if by the panic
		g.Go(panicsWithBoom)
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p, ok := testenv.PanicValue(func() { g.WaitContext(ctx) }).(*group.PanicError)
		if !ok || p.Value != "boom" {
			t.Errorf("WaitContext re-raised %v, want the task's panic", p)
		}
		close(release)
		if err := g.WaitContext(context.Background()); err != nil {
			t.Errorf("second WaitContext = %v", err)
		}
	})
}
