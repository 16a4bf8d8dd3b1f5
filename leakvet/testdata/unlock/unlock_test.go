package unlock

import (
	"testing"

	"github.com/leakproof/leakproof/leaktest"
	"leakvet.test/harness"
)

// Each test takes the early return, then the lock again: before the fix
// the second Lock blocks forever.

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestAdder(t *testing.T) {
	add := adder()
	harness.Run(t, func() {
		if err := add(-1); err != errNegative {
			t.Errorf("add(-1) = %v, want %v", err, errNegative)
		}
		add(1)
	})
}

func TestPut(t *testing.T) {
	c := &cache{max: 1, items: map[string][]byte{}}
	harness.Run(t, func() {
		c.Put("k", []byte("too big"))
		c.Put("k", []byte("v"))
	})
}

func TestLookup(t *testing.T) {
	r := &registry{services: map[string]*service{}}
	harness.Run(t, func() {
		r.Lookup("missing")
		r.mu.Lock()
		r.services["found"] = &service{}
		r.mu.Unlock()
	})
}

func TestCounter(t *testing.T) {
	var c counter
	harness.Run(t, func() {
		c.Add(-1)
		c.Add(1)
	})
}
