package leaktest

import (
	"runtime"
	"slices"
	"testing"

	"github.com/leakproof/leakproof/internal/leakprofile"
)

// TestStdTrimpathModuleWithoutDot: under -trimpath, the code of a module
// whose path has no dot ("module myapp") is the user's, not the standard
// library's, and is the frame a report names.
func TestStdTrimpathModuleWithoutDot(t *testing.T) {
	defer func(g string, m func() []string) { goroot, modules = g, m }(goroot, modules)
	goroot, modules = "", func() []string { return []string{"myapp"} }
	for fn, want := range map[string]bool{
		"myapp.serve":                 false,
		"myapp/internal/cache.(*C).f": false,
		"myapp_test.TestServe":        false,
		"myapplication.f":             true, // a package myapplication would be std's
		"sync.(*Mutex).Lock":          true,
	} {
		if got := (frame{fn: fn, pos: "x.go:1"}).std(); got != want {
			t.Errorf("std(%s) under -trimpath in module myapp = %v, want %v", fn, got, want)
		}
	}
	stack := "sync.(*WaitGroup).Wait(0xc0)\n\tsync/waitgroup.go:118 +0x48\n" +
		"myapp/internal/cache.(*C).fill(0xc0)\n\tmyapp/internal/cache/cache.go:30 +0x10\n" +
		"created by myapp.main in goroutine 1\n\tmyapp/main.go:9 +0x20\n"
	if f := userFrame(frames(stack)); f.pos != "myapp/internal/cache/cache.go:30" {
		t.Errorf("userFrame = %s at %s, want the cache's fill", f.fn, f.pos)
	}
}

// FuzzReport: whatever a stack says, reading it, classifying it and
// describing it return, and the frame a report names is one of its own.
func FuzzReport(f *testing.F) {
	buf := make([]byte, 1<<16)
	for _, seed := range []string{
		string(buf[:runtime.Stack(buf, false)]),
		"net/http.(*persistConn).readLoop(0xc0)\n\t" + goroot + "net/http/transport.go:2300 +0x45\ncreated by net/http.(*Transport).dialConn in goroutine 9\n\t" + goroot + "net/http/transport.go:1900 +0x45\n",
		"github.com/leakproof/leakproof/chanx.Recv[...](...)\n\t/src/chanx/recv.go:20\n...additional frames elided...\ncreated by x in goroutine 1\n\t/src/x.go:1 +0x1\n",
		"(\n\t\n(\n", "created by \n\t +0x",
	} {
		f.Add("chan receive", seed)
	}
	f.Fuzz(func(t *testing.T, state, stack string) {
		fs := frames(stack)
		if pitfall, fix := classify(state, fs); pitfall == "" || fix == "" {
			t.Errorf("classify(%q) = %q, %q", state, pitfall, fix)
		}
		if u := userFrame(fs); u.fn != "?" && !slices.Contains(fs, u) {
			t.Errorf("userFrame = %+v, not a frame of %+v", u, fs)
		}
		_ = newLeak(leakprofile.Goroutine{ID: 1, State: state, Stack: stack}).String()
	})
}
