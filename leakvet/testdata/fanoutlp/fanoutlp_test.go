package fanoutlp

import (
	"context"
	"testing"

	"github.com/leakproof/leakproof/leaktest"
	"leakvet.test/harness"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestQuery(t *testing.T) {
	harness.Run(t, func() {
		if got := query(context.Background()); got == "" {
			t.Error("query returned no answer")
		}
	})
}

func TestBest(t *testing.T) {
	harness.Run(t, func() { best(context.Background(), replicas) })
}

func TestLengths(t *testing.T) {
	harness.Run(t, func() { lengths([]string{"a", "bb", "ccc"}) })
}
