package leaktest

import (
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

// classify names the pitfall a goroutine blocked in state with these frames
// fell into, and its leakproof replacement. The wait state says most of it;
// the frames say when the wait is inside net/http or one of leakproof's own
// packages, where the state alone would point at the wrong fix. Only the
// frames down to the first one outside the standard library count: below
// it is the code that called the waiting code, and a task of a group.Group,
// a lockx critical section or an HTTP handler that waits on a channel has
// the channel's pitfall, not the group's, the lock's or the server's.
func classify(state string, fs []frame) (pitfall, fix string) {
	fs = waiting(fs)
	switch leakproofPackage(fs) {
	case "chanx":
		return "a chanx wait whose context never ends",
			"give it a ctx that ends: context.WithTimeout, or one cancelled when the caller is done"
	case "lockx":
		return "a lockx wait for a lock whose holder never returns",
			"lockx's DoContext gives up when ctx ends; do not block inside f"
	case "group", "errgroup":
		return "a group wait for tasks that never end",
			"WaitContext (GoContext for a slot) gives up when ctx ends; its *group.DriftError names the Add and Go lines still pending"
	case "fetch":
		return "a fetch.Client call or callback still in flight",
			"give calls a ctx that ends, and Close the client when done: Close cancels what is in flight and waits for it"
	}
	switch {
	case has(fs, "net/http.(*persistConn).readLoop", "net/http.(*persistConn).writeLoop"):
		// Every client connection has these two, idle or not; a call in
		// flight on it is reported on its caller's goroutine.
		return "an HTTP client connection left open: kept alive for another call, or a response body never closed",
			"close every response body, and the client's idle connections when done: Transport.CloseIdleConnections (httptest.Server.Close closes http.DefaultTransport's)"
	case has(fs, "net/http.(*persistConn)", "net/http.(*Transport)", "net/http.(*Client)"):
		return "an HTTP call without a timeout",
			"fetch.Client: every attempt has a timeout that covers the body (fetch.WithTimeout), and Close ends what is in flight"
	case has(fs, "net/http.(*conn)", "net/http.(*Server)"):
		return "an HTTP server never shut down",
			"Close or Shutdown the server when done (httptest.Server.Close in tests), and end handlers with their request's context"
	}
	switch strings.TrimSuffix(state, " (durable)") { // synctest's durable waits are the same waits
	case "chan send (nil chan)":
		return "a send on a nil channel",
			"chanx.Send(ctx, ch, v): a nil channel is chanx.ErrNilChannel, at once"
	case "chan receive (nil chan)":
		return "a receive on a nil channel",
			"chanx.Recv(ctx, ch): a nil channel is chanx.ErrNilChannel, at once"
	case "chan send":
		return "a send nobody receives",
			"group.First where the first of several results wins; otherwise chanx.Send(ctx, ch, v), which gives up when ctx ends"
	case "chan receive":
		return "a receive nobody sends on",
			"chanx.Recv(ctx, ch), which gives up when ctx ends; and close a channel after its last send"
	case "select":
		return "a select with no ready case",
			"add a case <-ctx.Done(), or use chanx.Send and chanx.Recv, which give up when ctx ends"
	case "select (no cases)":
		return "an empty select{}, which blocks forever",
			"wait for <-ctx.Done() instead"
	case "sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock":
		return "a lock never released",
			"lockx.Mutex.Do(f) (lockx.RWMutex Do and RDo): the unlock cannot be forgotten, and DoContext lets a waiter give up"
	case "sync.WaitGroup.Wait":
		return "a WaitGroup never done (more Add than Done)",
			"group.Group: g.Go(f) counts the task itself, and WaitContext gives up and names the unmatched Adds"
	case "sync.Cond.Wait":
		return "a sync.Cond wait nobody signals",
			"lockx.Mutex.DoWhen(ctx, cond, f): no Signal to forget, and it gives up when ctx ends"
	case "sleep":
		return "a sleep that outlived its caller",
			"wait in a select on a timer and <-ctx.Done(), so the caller's cancel ends it"
	case "IO wait":
		return "a wait on a connection nobody closes",
			"close the connection or listener when done, or set a deadline on it"
	}
	return "a goroutine still running",
		"make it return when its caller is done: pass a ctx and stop when it ends, and wait for it (group.Group)"
}

// waiting returns the frames of the code a goroutine waits in: from the top
// down to the first frame outside the standard library, or all of them but
// "created by" if there is none.
func waiting(fs []frame) []frame {
	for i, f := range fs {
		if f.created {
			return fs[:i]
		}
		if !f.std() {
			return fs[:i+1]
		}
	}
	return fs
}

// module is the import path prefix of leakproof's packages.
const module = "github.com/leakproof/leakproof/"

// leakproofPackage returns the name of the first leakproof library package
// among fs, the frames [waiting] returns ("lockx"), or "". leaktest and the
// test packages of the library are not library code.
func leakproofPackage(fs []frame) string {
	for _, f := range fs {
		if name, ok := strings.CutPrefix(f.pkg(), module); ok && !strings.Contains(name, "/") &&
			!strings.HasSuffix(name, "_test") && name != "leaktest" {
			return name
		}
	}
	return ""
}

// has reports whether one of fs, the frames [waiting] returns, runs a
// function whose name starts with one of prefixes.
func has(fs []frame, prefixes ...string) bool {
	for _, f := range fs {
		for _, p := range prefixes {
			if strings.HasPrefix(f.fn, p) {
				return true
			}
		}
	}
	return false
}

// frame is one function of a goroutine's stack, as the runtime prints it.
type frame struct {
	fn      string // "sync.(*Mutex).Lock"
	pos     string // "/usr/local/go/src/sync/mutex.go:46"
	created bool   // the "created by" line: where the goroutine was started
}

// pkg returns the import path of the frame's function.
func (f frame) pkg() string {
	slash := strings.LastIndexByte(f.fn, '/') + 1
	dot := strings.IndexByte(f.fn[slash:], '.')
	if dot < 0 {
		return f.fn
	}
	return f.fn[:slash+dot]
}

// frames reads a stack as runtime.Stack prints it: a function line, then a
// tab and its file:line, for each frame, the last one "created by".
func frames(stack string) []frame {
	var fs []frame
	lines := strings.Split(stack, "\n")
	for i := 0; i+1 < len(lines); i++ {
		fn, pos := lines[i], lines[i+1]
		if fn == "" || fn[0] == '\t' || !strings.HasPrefix(pos, "\t") {
			continue // "...additional frames elided...", a blank line
		}
		i++
		pos = strings.TrimPrefix(pos, "\t")
		if j := strings.LastIndex(pos, " +0x"); j >= 0 {
			pos = pos[:j]
		}
		f := frame{pos: pos}
		if name, ok := strings.CutPrefix(fn, "created by "); ok {
			f.fn, _, _ = strings.Cut(name, " in goroutine ")
			f.created = true
		} else if j := strings.LastIndexByte(fn, '('); j > 0 {
			f.fn = fn[:j]
		} else {
			f.fn = fn
		}
		fs = append(fs, f)
		if f.created {
			break // what may follow, with GODEBUG=tracebackancestors, is other goroutines
		}
	}
	return fs
}

// userFrame returns the frame of the stack that a reader wants first: the
// top frame outside the standard library, goleak and leakproof's library
// packages; failing that, where the goroutine was started, if that is
// outside them; failing that, the top frame outside the standard library;
// failing that, the function the goroutine runs, which names it better than
// the runtime's poller or scheduler it waits in
// ("net/http.(*persistConn).readLoop").
func userFrame(fs []frame) frame {
	for _, f := range fs {
		if !f.std() && !f.library() {
			return f
		}
	}
	for _, f := range fs {
		if !f.std() {
			return f
		}
	}
	if w := waiting(fs); len(w) > 0 {
		return w[len(w)-1]
	}
	if len(fs) > 0 {
		return fs[0]
	}
	return frame{fn: "?", pos: "?"}
}

// library reports whether f is in goleak or a leakproof library package,
// leaktest included.
func (f frame) library() bool {
	p := f.pkg()
	return strings.HasPrefix(p, "go.uber.org/goleak") ||
		strings.HasPrefix(p, module) && !strings.HasSuffix(p, "_test") && !strings.HasPrefix(p, module+"cmd/")
}

// std reports whether f is in the standard library: its file is under
// GOROOT, or, in a binary built with -trimpath where files carry no GOROOT,
// its import path is in none of the binary's modules and starts with an
// element without a dot, other than main. A module path need not have a
// dot ("module myapp"), so the modules are asked first.
func (f frame) std() bool {
	if goroot != "" {
		return strings.HasPrefix(f.pos, goroot)
	}
	p := f.pkg()
	for _, m := range modules() {
		if p == m || p == m+"_test" || strings.HasPrefix(p, m+"/") {
			return false
		}
	}
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".") && p != "main"
}

// modules returns the paths of the modules this binary was built from: its
// main module's and its dependencies'.
var modules = sync.OnceValue(func() []string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	var paths []string
	for _, m := range append([]*debug.Module{&bi.Main}, bi.Deps...) {
		if m.Path != "" {
			paths = append(paths, m.Path)
		}
	}
	return paths
})

// goroot is the directory this binary's standard library was built from,
// with a trailing slash ("/usr/local/go/src/"), read from where the runtime
// says its own code is; "" under -trimpath.
var goroot = func() string {
	pc := make([]uintptr, 1)
	runtime.Callers(0, pc) // the frame of runtime.Callers itself
	f, _ := runtime.CallersFrames(pc).Next()
	if i := strings.LastIndex(f.File, "/runtime/"); i > 0 {
		return f.File[:i+1]
	}
	return ""
}()
