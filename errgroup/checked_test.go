//go:build race || lockxcheck

package errgroup_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/leakproof/leakproof/errgroup"
	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/testenv"
)

// TestWaitFromOwnTaskPanics: in checked mode, Wait or Stop from one of the
// group's own tasks panics at once, where x/sync's would hang forever.
func TestWaitFromOwnTaskPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, file, _, _ := runtime.Caller(0)
		for _, method := range []string{"Wait", "Stop"} {
			g, ctx := errgroup.WithContext(context.Background())
			var goLine int
			if method == "Wait" {
				g.Go(func() error { return g.Wait() })
				goLine = line() - 1
			} else {
				g.Go(func() error { return g.Stop() })
				goLine = line() - 1
			}
			p, ok := testenv.PanicValue(func() { g.Wait() }).(*group.PanicError)
			if !ok {
				t.Fatalf("%s from a task: Wait re-raised %v, want the task's *group.PanicError", method, p)
			}
			want := fmt.Sprintf("errgroup: Group.%s: called from one of the group's own tasks (started by Go at %s:%d): it can never return", method, file, goLine)
			if msg, _ := p.Value.(string); !strings.HasPrefix(msg, want) {
				t.Errorf("panic = %q\nwant it to start %q", msg, want)
			}
			if ctx.Err() == nil {
				t.Error("the panic did not end the group's context")
			}
		}
	})
}
