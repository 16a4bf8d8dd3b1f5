//go:build !race && !lockxcheck

package lockx_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/leakproof/leakproof/lockx"
)

// TestReentrantDoContext: calling DoContext on a mutex from inside its own f
// deadlocks, as sync.Mutex does, but the context bounds it.
func TestReentrantDoContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu lockx.Mutex
		mu.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := mu.DoContext(ctx, func() {}); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("nested DoContext = %v, want DeadlineExceeded", err)
			}
		})
		if err := lockx.Idle(&mu); err != nil {
			t.Error(err)
		}
	})
}
