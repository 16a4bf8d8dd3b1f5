package leaktest_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/leakproof/leakproof/leaktest"
)

//leakvet:ignore nilchan the children leak on purpose, for leaktest to find
func init() {
	children["find"] = func(t *testing.T) {
		var never chan int
		go func() { <-never }() // leak: find
		go func() { <-parked }()
		// Find whatever it can once the leak has blocked, or give up: the
		// parent says what should have been found.
		deadline := time.Now().Add(10 * time.Second)
		leaks, err := leaktest.Find()
		for err == nil && len(leaks) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
			leaks, err = leaktest.Find()
		}
		if err != nil {
			fmt.Println("error:", err)
		}
		for _, l := range leaks {
			fmt.Printf("%s\n\n", l)
		}
		os.Exit(0) // before VerifyTestMain sees the leaks
	}
}

// TestFind: in a running process, Find lists the goroutine the runtime
// proves leaked, and not the one still reachable; without the profile it
// says it cannot.
func TestFind(t *testing.T) {
	out, err := runChild(t, "find")
	if err != nil {
		t.Fatalf("child failed: %v; output:\n%s", err, out)
	}
	if !leaktest.Available() {
		if want := "error: leaktest: Find: the runtime has no goroutineleak profile"; !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
		return
	}
	r := reportOf(t, out, "find")
	r.says(t, "[chan receive (nil chan)]", "pitfall: a receive on a nil channel", "fix: chanx.Recv(ctx, ch)")
	if n := strings.Count(out, "goroutine "); n != 1 {
		t.Errorf("Find listed %d goroutines, want only the unreachable one:\n%s", n, out)
	}
}
