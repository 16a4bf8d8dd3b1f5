package leaktest

import (
	"strings"
	"testing"
)

// TestClassifyByFrames covers what the child tests of leaks cannot make
// cheaply: waits inside leakproof's packages and net/http's server, and the
// states goleak alone sees.
func TestClassifyByFrames(t *testing.T) {
	for _, c := range []struct {
		state, stack, pitfall string
	}{
		{"chan receive", `github.com/leakproof/leakproof/lockx.(*Mutex).Do(0xc000010000, 0xc000020000)
	/src/leakproof/lockx/mutex.go:80 +0x45
example.com/app.(*cache).get(...)
	/src/app/cache.go:12
`, "a lockx wait for a lock whose holder never returns"},
		{"select", `github.com/leakproof/leakproof/group.(*Group).Wait(0xc000010000)
	/src/leakproof/group/group.go:200 +0x45
example.com/app.run()
	/src/app/run.go:30 +0x10
`, "a group wait for tasks that never end"},
		{"select", `github.com/leakproof/leakproof/fetch.(*Client).Get(0xc0, {0x0, 0x0})
	/src/leakproof/fetch/client.go:100 +0x45
example.com/app.poll()
	/src/app/poll.go:30 +0x10
`, "a fetch.Client call or callback still in flight"},
		{"IO wait", `internal/poll.runtime_pollWait(0x7f, 0x72)
	` + goroot + `runtime/netpoll.go:351 +0x85
net/http.(*conn).serve(0xc0, {0x1, 0x2})
	` + goroot + `net/http/server.go:2100 +0x45
created by net/http.(*Server).Serve in goroutine 20
	` + goroot + `net/http/server.go:3400 +0x45
`, "an HTTP server never shut down"},
		{"chan send (durable)", "example.com/app.f()\n\t/src/app/f.go:1 +0x1\n", "a send nobody receives"},
		{"select (no cases)", "example.com/app.f()\n\t/src/app/f.go:1 +0x1\n", "an empty select{}, which blocks forever"},
		{"sleep", "time.Sleep(0x3b9aca00)\n\t" + goroot + "runtime/time.go:363 +0x165\nexample.com/app.f()\n\t/src/app/f.go:1 +0x1\n", "a sleep that outlived its caller"},
		{"IO wait", "example.com/app.f()\n\t/src/app/f.go:1 +0x1\n", "a wait on a connection nobody closes"},
		{"runnable", "example.com/app.f()\n\t/src/app/f.go:1 +0x1\n", "a goroutine still running"},
	} {
		if pitfall, fix := classify(c.state, frames(c.stack)); pitfall != c.pitfall || fix == "" {
			t.Errorf("classify(%q, %s) = %q, %q; want %q", c.state, strings.SplitN(c.stack, "(", 2)[0], pitfall, fix, c.pitfall)
		}
	}
}

// TestUserFrame: the frame a report names is the caller's code, not the
// standard library, goleak or leakproof, with fallbacks when there is none.
func TestUserFrame(t *testing.T) {
	for _, c := range []struct{ stack, want string }{
		{`sync.runtime_SemacquireMutex(0x0?, 0x0?, 0x0?)
	` + goroot + `runtime/sema.go:95 +0x25
github.com/leakproof/leakproof/lockx.(*Mutex).Do(0xc0, 0xc0)
	/src/leakproof/lockx/mutex.go:80 +0x45
example.com/app.(*cache).get(...)
	/src/app/cache.go:12
created by example.com/app.serve in goroutine 1
	/src/app/serve.go:40 +0x20
`, "example.com/app.(*cache).get /src/app/cache.go:12"},
		{`net/http.(*persistConn).readLoop(0xc0)
	` + goroot + `net/http/transport.go:2300 +0x45
created by net/http.(*Transport).dialConn in goroutine 9
	` + goroot + `net/http/transport.go:1900 +0x45
`, "net/http.(*persistConn).readLoop " + goroot + "net/http/transport.go:2300"},
		{`go.uber.org/goleak.Find()
	/mod/go.uber.org/goleak@v1.3.0/leaks.go:60 +0x45
created by example.com/app.check in goroutine 9
	/src/app/check.go:9 +0x45
`, "example.com/app.check /src/app/check.go:9"},
		{`github.com/leakproof/leakproof/chanx.Recv[...](...)
	/src/leakproof/chanx/recv.go:20
created by github.com/leakproof/leakproof/chanx_test.TestRecv in goroutine 9
	/src/leakproof/chanx/recv_test.go:9 +0x45
`, "github.com/leakproof/leakproof/chanx_test.TestRecv /src/leakproof/chanx/recv_test.go:9"},
		{"", "? ?"},
	} {
		if f := userFrame(frames(c.stack)); f.fn+" "+f.pos != c.want {
			t.Errorf("userFrame = %s %s, want %s; stack:\n%s", f.fn, f.pos, c.want, c.stack)
		}
	}
}

// TestStdTrimpath: in a binary built with -trimpath, files carry no GOROOT,
// and the standard library is told by its import paths.
func TestStdTrimpath(t *testing.T) {
	defer func(g string) { goroot = g }(goroot)
	goroot = ""
	for fn, want := range map[string]bool{
		"sync.(*Mutex).Lock":                   true,
		"net/http.(*persistConn).roundTrip":    true,
		"main.main.func1":                      false,
		"example.com/app.f":                    false,
		"github.com/leakproof/leakproof/lockx": false,
	} {
		if got := (frame{fn: fn, pos: "x.go:1"}).std(); got != want {
			t.Errorf("std(%s) under -trimpath = %v, want %v", fn, got, want)
		}
	}
}

func TestGoroot(t *testing.T) {
	if goroot == "" {
		t.Skip("built with -trimpath")
	}
	if !strings.HasSuffix(goroot, "/src/") {
		t.Errorf("goroot = %q, want the standard library's directory", goroot)
	}
}
