//go:build race || lockxcheck

package group_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/testenv"
)

// TestWaitFromOwnTaskPanics: in checked mode a task that waits for its own
// group, which could never return, panics at once, naming the Go line that
// started it. The panic is the task's, so the caller's Wait re-raises it.
// selfwait_test.go shows the same code in a normal build.
func TestWaitFromOwnTaskPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, file, _, _ := runtime.Caller(0)
		for _, method := range []string{"Wait", "Stop"} {
			g, ctx := group.WithContext(context.Background())
			var goLine int
			if method == "Wait" {
				g.Go(func() { g.Wait() })
				goLine = line() - 1
			} else {
				g.Go(func() { g.Stop() })
				goLine = line() - 1
			}
			p, ok := testenv.PanicValue(g.Wait).(*group.PanicError)
			if !ok {
				t.Fatalf("%s from a task: Wait re-raised %v, want the task's *PanicError", method, p)
			}
			want := fmt.Sprintf("group: Group.%s: called from one of the group's own tasks (started by Go at %s:%d): it can never return", method, file, goLine)
			if msg, _ := p.Value.(string); !strings.HasPrefix(msg, want) {
				t.Errorf("panic = %q\nwant it to start %q", msg, want)
			}
			if ctx.Err() == nil {
				t.Error("the panic did not end the group's context")
			}
		}
	})
}

// TestWaitFromElsewhereDoesNotPanic: a Wait from a goroutine that is not
// one of the group's tasks is fine, even from another group's task, and a
// task's own group may be waited on once the task has returned.
func TestWaitFromElsewhereDoesNotPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var inner, outer group.Group
		release := make(chan struct{})
		inner.Go(func() { <-release })
		outer.Go(func() { inner.Wait() }) // a task of outer, not of inner
		go func() { inner.Wait() }()      // a plain goroutine
		synctest.Wait()
		close(release)
		outer.Wait()
		inner.Wait()
		var g group.Group
		for range 3 {
			g.Go(func() {})
			g.Wait()
		}
	})
}
