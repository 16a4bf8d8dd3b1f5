package leaktest_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/leakproof/leakproof/internal/testenv"
	"github.com/leakproof/leakproof/leaktest"
)

// README: verify test main
func TestMain(m *testing.M) {
	leaktest.VerifyTestMain(m)
}

// README: end

// children are the deliberately leaky tests that the tests of this package
// run in a child process, by mode; TestChild runs the one its mode names.
// Each marks the line a report must point at with a "// leak: mode"
// comment.
var children = map[string]func(t *testing.T){}

// TestChild runs children[mode] in a child process. In a normal run it
// does nothing.
func TestChild(t *testing.T) {
	mode := testenv.ChildMode()
	if mode == "" {
		t.Skip("runs only as a child of the tests of this package")
	}
	child, ok := children[mode]
	if !ok {
		t.Fatalf("no child %q", mode)
	}
	child(t)
}

// runChild runs children[mode] and returns all it printed.
func runChild(t *testing.T, mode string) (string, error) {
	t.Helper()
	stdout, stderr, err := testenv.RunChild(t, "TestChild", mode)
	return stdout + stderr, err
}

// leakyChild runs children[mode], which must fail with header in its
// output, and returns the report on the leak marked mode.
func leakyChild(t *testing.T, mode, header string) report {
	t.Helper()
	out, err := runChild(t, mode)
	return failed(t, out, err, mode, header)
}

// failed checks that a leaky run failed with header in its output, and
// returns the report on the leak marked mark.
func failed(t *testing.T, out string, err error, mark, header string) report {
	t.Helper()
	if err == nil {
		t.Fatalf("the leaky run exited 0; output:\n%s", out)
	}
	if !strings.Contains(out, header) {
		t.Errorf("the output lacks %q:\n%s", header, out)
	}
	return reportOf(t, out, mark)
}

// parked is reachable from a package variable: a goroutine blocked on it
// is alive, not garbage, so only goleak can see it.
var parked = make(chan int)

//leakvet:ignore nilchan the children leak on purpose, for leaktest to find
func init() {
	children["verify: reachable"] = func(*testing.T) {
		go func() { <-parked }() // leak: verify: reachable
	}
	children["verify: unreachable"] = func(*testing.T) {
		var never chan int
		go func() { <-never }() // leak: verify: unreachable
	}
	children["verify: clean"] = func(*testing.T) {
		done := make(chan struct{})
		go func() { close(done) }()
		<-done
	}
}

// TestVerifyTestMainGoleak: a goroutine parked on a reachable channel is
// alive, not garbage, so only goleak can see it; it must fail the child
// binary, with a report that names it.
func TestVerifyTestMainGoleak(t *testing.T) {
	r := leakyChild(t, "verify: reachable", "leaktest: 1 goroutine outlived the tests:")
	r.says(t, "[chan receive]", "pitfall: a receive nobody sends on", "chanx.Recv", "seen by: goleak: still alive")
}

// TestVerifyTestMainRuntime: a goroutine blocked on a nil channel is a leak
// the runtime can prove, and says so where it can; goleak sees it either way.
func TestVerifyTestMainRuntime(t *testing.T) {
	r := leakyChild(t, "verify: unreachable", "leaktest: 1 goroutine outlived the tests:")
	r.says(t, "[chan receive (nil chan)]", "pitfall: a receive on a nil channel", "chanx.ErrNilChannel")
	r.provenIf(t, leaktest.Available())
}

// TestVerifyTestMainPasses shows the failures above are the leaks' doing:
// a child without a leak exits 0.
func TestVerifyTestMainPasses(t *testing.T) {
	if out, err := runChild(t, "verify: clean"); err != nil {
		t.Fatalf("clean child failed: %v; output:\n%s", err, out)
	}
}

// report is a child's output, and the line of the leak it should name.
type report struct {
	out   string
	where string // "leaktest_test.go:52"
}

// reportOf finds the "// leak: mode" line in this package's test files and
// the user module's code.
func reportOf(t *testing.T, out, mode string) report {
	t.Helper()
	tests, _ := filepath.Glob("*_test.go")
	user, _ := filepath.Glob("testdata/usermod/*.go")
	for _, name := range append(tests, user...) {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if strings.HasSuffix(line, "// leak: "+mode) {
				return report{out, filepath.Base(name) + ":" + strconv.Itoa(i+1)}
			}
		}
	}
	t.Fatalf("no line ends in // leak: %s", mode)
	return report{}
}

// says checks that the report names the leak's file:line on a
// goroutine's first line, and that the goroutine's part of the report has
// each of want.
func (r report) says(t *testing.T, want ...string) {
	t.Helper()
	block := r.block()
	if block == "" {
		t.Errorf("the report does not name the leak at %s; output:\n%s", r.where, r.out)
		return
	}
	for _, w := range want {
		if !strings.Contains(block, w) {
			t.Errorf("the report on the leak at %s lacks %q; output:\n%s", r.where, w, r.out)
		}
	}
}

// provenIf checks that the report says the runtime proved the leak exactly
// when it can.
func (r report) provenIf(t *testing.T, can bool) {
	t.Helper()
	const proven = "seen by: the runtime's goroutineleak profile"
	if got := strings.Contains(r.block(), proven); got != can {
		t.Errorf("the report says the runtime proved the leak at %s: %v, want %v; output:\n%s", r.where, got, can, r.out)
	}
}

// block returns the part of the report about the goroutine whose top user
// frame is r.where: from its first line to the next goroutine's. A report
// through t.Error is indented.
func (r report) block() string {
	re := regexp.MustCompile(`(?m)^\s*goroutine \d+ \[[^\]]+\], in \S+ at \S*/` + regexp.QuoteMeta(r.where) + `$`)
	loc := re.FindStringIndex(r.out)
	if loc == nil {
		return ""
	}
	rest := r.out[loc[1]:]
	if next := nextGoroutine.FindStringIndex(rest); next != nil {
		rest = rest[:next[0]]
	}
	return r.out[loc[0]:loc[1]] + rest
}

var nextGoroutine = regexp.MustCompile(`(?m)^\s*goroutine \d+ \[`)
