package fanout

import (
	"context"
	"testing"

	"github.com/leakproof/leakproof/leaktest"
	"leakvet.test/harness"
)

// These tests run the reported cases once leakvet -fix has rewritten them:
// each must return and leave no goroutine behind.

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestFastest(t *testing.T) {
	harness.Run(t, func() { fastest(context.Background(), []string{"a", "b", "c"}) })
}

func TestCheckAll(t *testing.T) {
	harness.Run(t, func() {
		if err := checkAll([]string{"a", "", "b", ""}); err != errEmpty {
			t.Errorf("checkAll = %v, want %v", err, errEmpty)
		}
	})
}

func TestSizesCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	harness.Run(t, func() { sizes(ctx, []string{"a", "bb", "ccc", "dddd"}) })
}

func TestFirstTwo(t *testing.T) {
	harness.Run(t, func() { firstTwo() })
}
