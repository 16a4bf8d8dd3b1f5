package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// The benchmarks here start goroutines too; goleak checks that conc's and
// group's are all gone. This is the whole of what a package needs to get
// the same check.
//
// README: goleak
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// README: end
