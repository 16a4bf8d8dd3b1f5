package fanout

import (
	"context"
	"testing"
	"time"

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

func TestFirstErrors(t *testing.T) {
	harness.Run(t, func() { firstErrors([][]string{{"", "", ""}, {"c"}}) })
}

func TestResolveCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	harness.Run(t, func() { resolve(ctx, "example.com") })
}

func TestTryCheck(t *testing.T) {
	harness.Run(t, func() { tryCheck("a") })
}

// The usual guard against a hang in a test leaks only once the test has
// failed: not reported.
func TestGuarded(t *testing.T) {
	done := make(chan bool)
	go func() {
		check("a")
		done <- true
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("check hangs")
	}
}
