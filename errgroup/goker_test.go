package errgroup_test

// A port of a GoKer kernel, a real leak bug Go ships as runtime test data
// ($GOROOT/src/runtime/testdata/testgoroutineleakprofile/goker/), onto
// errgroup, with the leakproof call dropped in where the leak was.

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/errgroup"
	"github.com/leakproof/leakproof/group"
)

// finishRequest is kubernetes5316.go's, ported. The kernel runs fn in a
// goroutine that sends its outcome on one of two unbuffered channels, and
// selects on them and on time.After(timeout): when the timeout wins,
// nobody receives, and the goroutine blocks forever. A Group keeps fn's
// error itself, so nothing blocks, and WaitContext is the bounded wait.
func finishRequest(timeout time.Duration, fn func() error) error {
	var g errgroup.Group
	g.Go(fn)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return g.WaitContext(ctx) // fn's error, or a *group.DriftError on timeout
}

func TestGoKerKubernetes5316(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		failed := errors.New("Error")
		for i := range 20 {
			fn := func() error {
				time.Sleep(2 * time.Millisecond)
				if i%2 == 0 {
					return failed
				}
				return nil
			}
			// As in the kernel, the timeout is shorter than fn.
			var d *group.DriftError
			if err := finishRequest(time.Microsecond, fn); !errors.As(err, &d) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("finishRequest timing out = %v, want a *group.DriftError", err)
			}
			// With time to finish, fn's own outcome.
			want := error(nil)
			if i%2 == 0 {
				want = failed
			}
			if err := finishRequest(time.Second, fn); err != want {
				t.Errorf("finishRequest = %v, want %v", err, want)
			}
		}
		// The timed-out fns return on their own: nothing is left blocked,
		// or synctest.Test would fail.
	})
}
