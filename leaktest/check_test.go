package leaktest_test

import (
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/leakproof/leakproof/leaktest"
)

// README: check
func TestCheck(t *testing.T) {
	leaktest.Check(t) // fails t if a goroutine it starts is left behind

	results := make(chan string, 3) // room for every sender: none can block
	for _, replica := range []string{"a", "b", "c"} {
		go func() { results <- replica }()
	}
	if first := <-results; first == "" {
		t.Fatal("no result")
	}
}

// README: end

// TestCheckWaitsForExits: a goroutine of t's that is on its way out when t
// ends is not a leak.
func TestCheckWaitsForExits(t *testing.T) {
	leaktest.Check(t)
	release := make(chan struct{})
	go func() { <-release }()
	t.Cleanup(func() { close(release) }) // runs before Check's cleanup
}

// TestCheckParallel: goroutines that a test running in parallel starts
// while t runs are not t's, and do not fail t.
func TestCheckParallel(t *testing.T) {
	checking := make(chan struct{})    // t has called Check
	sibling := make(chan struct{})     // the sibling's goroutine is running
	checked := make(chan struct{})     // t's Check has looked, and passed
	siblingDone := make(chan struct{}) // the sibling's goroutine has returned
	t.Run("group", func(t *testing.T) {
		t.Run("sibling", func(t *testing.T) {
			t.Parallel()
			<-checking
			go func() {
				close(sibling)
				<-checked // alive while t's Check looks
				close(siblingDone)
			}()
			<-siblingDone
		})
		t.Run("checked", func(t *testing.T) {
			t.Parallel()
			t.Cleanup(func() { close(checked) }) // runs after Check's cleanup
			leaktest.Check(t)
			close(checking)
			<-sibling
		})
	})
}

// waitFor is a named function, for goleak.IgnoreTopFunction.
func waitFor(ch chan int) {
	<-ch // leak: check: ignored but proven
}

const waitForName = "github.com/leakproof/leakproof/leaktest_test.waitFor"

// TestCheckOptions: goleak's options pass through to goleak's half.
func TestCheckOptions(t *testing.T) {
	release := make(chan int)
	t.Cleanup(func() { close(release) }) // runs after Check's cleanup
	leaktest.Check(t, goleak.IgnoreTopFunction(waitForName))
	go waitFor(release)
}

//leakvet:ignore nilchan the children leak on purpose, for leaktest to find
func init() {
	children["check: ignored but proven"] = func(t *testing.T) {
		leaktest.Check(t, goleak.IgnoreTopFunction(waitForName))
		go waitFor(nil)
	}
	children["check: nested"] = func(t *testing.T) {
		leaktest.Check(t)
		done := make(chan struct{})
		go func() {
			var never chan int
			go func() { <-never }() // leak: check: nested
			close(done)
		}()
		<-done
	}
}

// TestCheckProvenIgnoresOptions: a goroutine the runtime proves leaked
// fails t even when goleak's options ignore it. Without the profile only
// VerifyTestMain, which has no such option, catches it.
func TestCheckProvenIgnoresOptions(t *testing.T) {
	r := leakyChild(t, "check: ignored but proven", "")
	out := r.out
	r.says(t, "[chan receive (nil chan)]", "pitfall: a receive on a nil channel")
	if failedTest := strings.Contains(out, "started by this test outlived it"); failedTest != leaktest.Available() {
		t.Errorf("Check failed the test: %v, want %v (the runtime proves the leak); output:\n%s", failedTest, leaktest.Available(), out)
	}
	if !leaktest.Available() && !strings.Contains(out, "outlived the tests") {
		t.Errorf("VerifyTestMain did not catch what Check's options ignored; output:\n%s", out)
	}
}

// TestCheckNested: a goroutine started by a goroutine t started, which has
// since returned, cannot be traced to t: it may be a parallel test's. It
// fails t when the runtime proves it leaked; without the profile,
// VerifyTestMain catches it when the tests end.
func TestCheckNested(t *testing.T) {
	if !leaktest.Available() {
		r := leakyChild(t, "check: nested", "outlived the tests")
		r.says(t, "[chan receive (nil chan)]", "pitfall: a receive on a nil channel")
		return
	}
	r := leakyChild(t, "check: nested", "started by this test outlived it")
	r.says(t, "[chan receive (nil chan)]", untracedNote)
	r.provenIf(t, true)
}
