package checkmode_test

import (
	"testing"

	"github.com/leakproof/leakproof/internal/checkmode"
	"github.com/leakproof/leakproof/leaktest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestGoID(t *testing.T) {
	id := checkmode.GoID()
	if id == 0 || checkmode.GoID() != id {
		t.Fatalf("GoID = %d, then %d: want one non-zero id per goroutine", id, checkmode.GoID())
	}
	other := make(chan uint64)
	go func() { other <- checkmode.GoID() }()
	if o := <-other; o == id || o == 0 {
		t.Errorf("another goroutine's GoID = %d, this one's %d", o, id)
	}
}

func BenchmarkGoID(b *testing.B) {
	for b.Loop() {
		checkmode.GoID()
	}
}

func TestGoIDDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { checkmode.GoID() }); n != 0 {
		t.Errorf("GoID allocates %v times per call, want 0", n)
	}
}
