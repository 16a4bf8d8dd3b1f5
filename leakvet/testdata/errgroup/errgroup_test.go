package errgroup

import (
	"context"
	"testing"

	"github.com/leakproof/leakproof/leaktest"
	"leakvet.test/harness"
)

// Once the fix has moved these onto leakproof's errgroup, they must
// behave as before and leave nothing behind.

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestDropIn(t *testing.T) {
	harness.Run(t, func() {
		if err := crawl(context.Background(), []string{"https://example.com", "::"}); err == nil {
			t.Error("crawl accepted a bad URL")
		}
		if got := squareAll([]int{1, 2, 3}); got[2] != 9 {
			t.Errorf("squareAll = %v", got)
		}
		if _, err := parseAll([]string{"1", "x"}); err == nil {
			t.Error("parseAll accepted x")
		}
		if err := statAll([]string{"."}); err != nil {
			t.Error(err)
		}
	})
}
