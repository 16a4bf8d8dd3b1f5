package leaktest

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/leakproof/leakproof/internal/checkmode"
)

// TestGoleakIDs reads the goroutines from the error of the goleak this
// module requires: a goleak that changed its format fails here, not in a
// user's report.
func TestGoleakIDs(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	release, started := make(chan struct{}), make(chan uint64)
	go func() {
		started <- checkmode.GoID()
		<-release
	}()
	id := <-started
	err := goleakFind(nil, ignore)
	close(release)
	if ids := goleakIDs(err); len(ids) != 1 || !ids[id] {
		t.Errorf("goleakIDs = %v, want goroutine %d; goleak said: %v", ids, id, err)
	}
}

// TestGoleakFindCleanup: VerifyTestMain's options may hold a goleak.Cleanup,
// which goleak.Find alone refuses.
func TestGoleakFindCleanup(t *testing.T) {
	called := false
	if err := goleakFind([]goleak.Option{goleak.Cleanup(func(int) { called = true })}); err != nil {
		t.Errorf("goleakFind with a Cleanup option: %v", err)
	}
	if called {
		t.Error("goleakFind ran the Cleanup, which is VerifyTestMain's exit")
	}
}
