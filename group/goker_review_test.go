package group_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/leakproof/leakproof/group"
)

// TestGoKerCockroach10790 ports cockroach10790.go. beginCmds waits, in
// order, for every prerequisite command's channel, unless ctx ends; when it
// does, it hands the rest of the waits to a new goroutine, so that the
// senders never block. But the sender (sendChans) gives up on ctx too, and
// the goroutine waits forever for a send that never comes.
//
// With ForEach at limit 1 the waits run in order, each gives up with ctx,
// and nothing outlives the call: no hand-off goroutine, nothing to leak.
// The synctest bubble fails the test if any goroutine is left blocked.
func TestGoKerCockroach10790(t *testing.T) {
	for range 200 {
		synctest.Test(t, func(t *testing.T) {
			chans := []chan bool{make(chan bool), make(chan bool)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sendChans := func() {
				for _, ch := range chans {
					select {
					case ch <- true:
					case <-ctx.Done():
						return
					}
				}
			}
			beginCmds := func() error {
				return group.ForEach(ctx, chans, 1, func(ctx context.Context, ch chan bool) error {
					select {
					case <-ch:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				})
			}
			go sendChans()
			errc := make(chan error, 1)
			go func() { errc <- beginCmds() }()
			go cancel()
			if err := <-errc; err != nil && err != context.Canceled {
				t.Errorf("beginCmds = %v, want nil or context.Canceled", err)
			}
		})
	}
}
