package leaktest_test

import (
	"os"
	"testing"

	"github.com/leakproof/leakproof/internal/testenv"
	"github.com/leakproof/leakproof/leaktest"
)

// TestUserModule runs the tests of testdata/usermod, a module of its own
// that imports only leaktest, as a user's would be: clean, they pass; with
// a leak, they fail with a report that names the line, the pitfall and the
// fix, proven by the runtime where this Go release and build have the
// profile (GOTOOLCHAIN and GOEXPERIMENT pass through to the go command).
func TestUserModule(t *testing.T) {
	const dir = "testdata/usermod"
	run := func(leak string) (string, error) {
		cmd := testenv.GoCommand(t, dir, "test", "-count=1", ".")
		cmd.Env = append(os.Environ(), "USERMOD_LEAK="+leak)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(""); err != nil {
		t.Fatalf("the clean user module's tests failed: %v\n%s", err, out)
	}
	out, err := run("1")
	r := failed(t, out, err, "usermod", "leaktest: 2 goroutines started by this test outlived it:")
	r.says(t, "[chan send]", "pitfall: a send nobody receives", "fix: group.First")
	r.provenIf(t, leaktest.Available())
}
