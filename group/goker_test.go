package group_test

// Ports of GoKer kernels, the real leak bugs Go ships as runtime test data
// ($GOROOT/src/runtime/testdata/testgoroutineleakprofile/goker/), onto
// group: each kernel's leaky shape, rewritten as a user would, with the
// leakproof call dropped in where the leak was.

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/group"
)

type plugin struct{ ready bool }

// TestGoKerMoby25348 ports moby25384.go (registered as Moby25348). The
// plugin manager Adds len(plugins) to a WaitGroup, then starts each
// plugin's goroutine and Waits inside the loop: the first Wait waits for
// Dones that the loop has not started yet, forever.
func TestGoKerMoby25348(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plugins := []*plugin{{}, {}}

		// The kernel's code on a Group: WaitContext bounds what hangs a
		// WaitGroup, and names the Add that is not matched.
		var g group.Group
		g.Add(len(plugins))
		addLine := line() - 1
		go func() {
			defer g.Done()
			plugins[0].ready = true
		}()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var d *group.DriftError
		if err := g.WaitContext(ctx); !errors.As(err, &d) || d.Pending != 1 || d.Adds[0].Line != addLine {
			t.Fatalf("WaitContext = %v, want a report of 1 unmatched Add at line %d", err, addLine)
		}
		g.Done() // the kernel never gets here

		// The drop-in: Go counts each task itself, so there is no Add to
		// get ahead of the loop, and the Wait in the loop returns.
		for _, p := range plugins {
			g.Go(func() { p.ready = true })
			g.Wait()
		}
		if !plugins[0].ready || !plugins[1].ready {
			t.Error("a plugin did not start")
		}
	})
}

// TestGoKerMoby33781 ports moby33781.go. A health monitor probes every
// interval: a goroutine sends the probe's result on an unbuffered channel,
// and the monitor selects on the result, the probe's timeout and stop.
// When stop wins, nothing ever receives the result: the probe's goroutine
// blocks forever. With First the result goes into a channel with room for
// it, and stop, as a context, cancels the probe.
func TestGoKerMoby33781(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const probeInterval, probeTimeout = time.Millisecond, time.Millisecond
		probe := func(ctx context.Context) (bool, error) { return true, nil }
		monitor := func(ctx context.Context) (probes int) {
			for {
				select {
				case <-ctx.Done():
					return probes
				case <-time.After(probeInterval):
					pctx, cancel := context.WithTimeout(ctx, probeTimeout)
					if ok, err := group.First(pctx, probe); ok && err == nil {
						probes++
					}
					cancel()
				}
			}
		}
		// As the kernel does: 100 monitors, each stopped after i ms.
		done := make(chan int)
		for i := range 100 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i)*time.Millisecond)
			go func() {
				defer cancel()
				done <- monitor(ctx)
			}()
		}
		for range 100 {
			<-done
		}
		// synctest.Test fails if any probe goroutine is left blocked.
	})
}
