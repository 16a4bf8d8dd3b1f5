package wgdriftlp

import (
	"testing"

	"github.com/leakproof/leakproof/leaktest"
	"leakvet.test/harness"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestStartFive(t *testing.T) {
	harness.Run(t, func() { <-startFive() })
}

func TestVisit(t *testing.T) {
	harness.Run(t, func() { visit([]int{1, -1, 2}) })
}
