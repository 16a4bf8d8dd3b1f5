package wgdrift

import (
	"errors"
	"testing"

	"github.com/leakproof/leakproof/leaktest"
	"leakvet.test/harness"
)

// Before the fix each of these Waits forever, or panics on a negative
// count.

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestStartFive(t *testing.T) { harness.Run(t, startFive) }

func TestPair(t *testing.T) { harness.Run(t, pair) }

func TestFetchAll(t *testing.T) {
	harness.Run(t, func() { fetchAll([]string{"a", "", "b"}) })
}

// failing accepts one connection, then fails.
type failing struct{ n int }

func (l *failing) Accept() (int, error) {
	l.n++
	if l.n > 1 {
		return 0, errors.New("listener closed")
	}
	return l.n, nil
}

func TestServe(t *testing.T) {
	var s server
	harness.Run(t, func() {
		s.Serve(&failing{})
		s.Close()
	})
}

func TestRunJobs(t *testing.T) {
	harness.Run(t, func() { runJobs(4) })
}

func TestPool(t *testing.T) {
	p := newPool(2)
	harness.Run(t, func() {
		p.jobs <- 1
		p.jobs <- -1
		p.jobs <- -1
		p.wg.Wait()
	})
}
