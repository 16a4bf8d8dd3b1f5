package leaktest_test

import (
	"strings"
	"testing"

	"github.com/leakproof/leakproof/internal/testenv"
	"github.com/leakproof/leakproof/leaktest"
)

func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

// TestChild is the deliberately leaky test the tests below run in a child
// process. In a normal run it does nothing.
func TestChild(t *testing.T) {
	switch testenv.ChildMode() {
	case "":
		t.Skip("runs only as a child of the tests below")
	case "unreachable":
		var never chan int // nil: a receive blocks forever, and nothing can reach it
		go func() { <-never }()
	case "reachable":
		go func() { <-parked }() // parked is a package variable: reachable, so only goleak sees it
	case "clean":
		done := make(chan struct{})
		go func() { close(done) }()
		<-done
	}
}

// runChild runs TestChild in mode and returns all it printed.
func runChild(t *testing.T, mode string) (string, error) {
	stdout, stderr, err := testenv.RunChild(t, "TestChild", mode)
	return stdout + stderr, err
}

var parked = make(chan int)

const (
	goleakSays  = "goleak: Errors on successful test run: found unexpected goroutines"
	runtimeSays = "leaktest: the runtime found 1 leaked goroutine(s):\ngoroutineleak profile: total 1"
)

// TestGoleakFails proves goleak's half of the check can fail: a goroutine
// parked on a reachable channel is alive, not garbage, so only goleak can
// see it, and it must fail the child binary and name the function.
func TestGoleakFails(t *testing.T) {
	out, err := runChild(t, "reachable")
	if err == nil {
		t.Fatalf("leaky child exited 0; output:\n%s", out)
	}
	if !strings.Contains(out, goleakSays) || !strings.Contains(out, "TestChild.func") {
		t.Errorf("goleak did not report the leak; output:\n%s", out)
	}
	if strings.Contains(out, runtimeSays) {
		t.Errorf("the runtime profile reported a goroutine that is still reachable; output:\n%s", out)
	}
}

// TestRuntimeProfileFails proves the runtime's half can fail: a goroutine
// blocked on a nil channel is a leak the runtime can prove. The runtime check
// runs first and fails the binary; goleak, which only looks after a passing
// run, reports it when the experiment is off.
func TestRuntimeProfileFails(t *testing.T) {
	out, err := runChild(t, "unreachable")
	if err == nil {
		t.Fatalf("leaky child exited 0; output:\n%s", out)
	}
	want := goleakSays
	if leaktest.Available() {
		want = runtimeSays
	} else {
		t.Log("built without GOEXPERIMENT=goroutineleakprofile: only goleak can see this leak")
	}
	if !strings.Contains(out, want) || !strings.Contains(out, "TestChild.func") {
		t.Errorf("output lacks %q and the leaking function:\n%s", want, out)
	}
}

// TestCheckPasses shows the failure above is the leak's doing: the same
// child without the leak exits 0.
func TestCheckPasses(t *testing.T) {
	if out, err := runChild(t, "clean"); err != nil {
		t.Fatalf("clean child failed: %v; output:\n%s", err, out)
	}
}
