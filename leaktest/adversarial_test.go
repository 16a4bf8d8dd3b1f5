package leaktest_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/leakproof/leakproof/group"
	"github.com/leakproof/leakproof/internal/leakprofile"
	"github.com/leakproof/leakproof/leaktest"
	"github.com/leakproof/leakproof/lockx"
)

// recorder is a testing.TB whose cleanups run when end is called and whose
// errors are kept: a test sees what Check would report, without failing.
// Check calls only Helper, Cleanup and Error.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	errors   []string
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *recorder) Error(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprint(args...))
}

// end runs the cleanups, last first, as testing does, and returns what
// they reported.
func (r *recorder) end() string {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	return strings.Join(r.errors, "\n")
}

// waitOn is a generic function, and receiver's wait a method value, for
// reports that must name them.
func waitOn[T any](ch chan T) {
	<-ch // leak: adv: generic
}

type receiver struct{ ch chan int }

func (r receiver) wait() {
	<-r.ch // leak: adv: method value
}

// dialed is the client end of adv: kinds's connection.
var dialed net.Conn

//leakvet:ignore nilchan the children leak on purpose, for leaktest to find
func init() {
	// adv: kinds leaks one goroutine of each kind below in one test, so
	// that one child process covers them all.
	children["adv: kinds"] = func(t *testing.T) {
		leaktest.Check(t)
		go func() {
			select {} // leak: adv: empty select
		}()
		go func() {
			time.Sleep(time.Hour) // leak: adv: sleep
		}()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			conn, err := ln.Accept()
			if err == nil {
				conn.Read(make([]byte, 1)) // leak: adv: conn read
			}
		}()
		// The client end stays open: its finalizer would close it.
		if dialed, err = net.Dial("tcp", ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
		go waitOn(make(chan string))
		go receiver{make(chan int)}.wait()
		time.AfterFunc(0, func() {
			var never chan int
			<-never // leak: adv: after func
		})
		// User code blocked inside a leakproof callback: the pitfall is
		// the user's wait, not the leakproof call around it.
		var g group.Group
		g.Go(func() {
			var never chan int
			<-never // leak: adv: group task
		})
		var mu lockx.Mutex
		go mu.Do(func() {
			var never chan int
			never <- 1 // leak: adv: lockx holder
		})
		// And inside an HTTP handler: the handler's receive, not the
		// server, is what never ends.
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			<-make(chan int) // leak: adv: handler
		}))
		go http.Get(srv.URL)
	}
}

// TestCheckKinds: each kind of blocked goroutine is reported by Check, at
// the user's line, with the pitfall its wait is.
func TestCheckKinds(t *testing.T) {
	out, err := runChild(t, "adv: kinds")
	for _, c := range []struct{ mark, state, pitfall string }{
		{"empty select", "[select (no cases)]", "an empty select{}"},
		{"sleep", "[sleep]", "a sleep that outlived its caller"},
		{"conn read", "[IO wait]", "a wait on a connection nobody closes"},
		{"generic", "[chan receive]", "a receive nobody sends on"},
		{"method value", "[chan receive]", "a receive nobody sends on"},
		{"after func", "[chan receive (nil chan)]", "a receive on a nil channel"},
		{"group task", "[chan receive (nil chan)]", "a receive on a nil channel"},
		{"lockx holder", "[chan send (nil chan)]", "a send on a nil channel"},
		{"handler", "[chan receive]", "a receive nobody sends on"},
	} {
		if c.mark == "after func" && !leaktest.Available() {
			continue // untraceable and not proven: left to VerifyTestMain
		}
		r := failed(t, out, err, "adv: "+c.mark, "started by this test outlived it:")
		r.says(t, c.state, "pitfall: "+c.pitfall)
		// A timer's callback cannot be traced to the test; the others can.
		if untraced := strings.Contains(r.block(), untracedNote); untraced != (c.mark == "after func") {
			t.Errorf("the report on the leak at %s says it cannot be traced: %v; output:\n%s", r.where, untraced, out)
		}
	}
}

// untracedNote starts the line of a report on a goroutine that Check
// counts as its test's only because it cannot trace it.
const untracedNote = "started by: a goroutine that has exited, or a timer"

// TestCheckIdleHTTPConnection: a keep-alive connection left idle after a
// call is not an HTTP call without a timeout. Its goroutines cannot be
// traced to the test (net/http dials in a goroutine of its own), and are
// not proven leaked, so Check leaves them to VerifyTestMain, whose report
// must say what they are and what closes them, and name the goroutine,
// not the poller it waits in.
func TestCheckIdleHTTPConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close() // also closes the default transport's idle connections
	r := &recorder{TB: t}
	leaktest.Check(r)
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if report := r.end(); report != "" {
		t.Errorf("Check reported goroutines it cannot trace to the test and the runtime cannot prove leaked:\n%s", report)
	}
	report := leaktest.VerifyAll(nil)
	if !strings.Contains(report, "net/http.(*persistConn).readLoop at ") {
		t.Errorf("the report does not name the connection's read loop:\n%s", report)
	}
	for _, bad := range []string{"HTTP call without a timeout", "in internal/poll."} {
		if strings.Contains(report, bad) {
			t.Errorf("the report on an idle connection says %q:\n%s", bad, report)
		}
	}
	if !strings.Contains(report, "CloseIdleConnections") {
		t.Errorf("the report does not say how to close idle connections:\n%s", report)
	}
}

// TestCheckParallelUntraceable: goroutines that a test running in parallel
// with t starts through a goroutine that has since exited (net/http's
// client connections, started by a dialing goroutine) or from a timer
// (time.AfterFunc) are not t's, and must not fail t.
func TestCheckParallelUntraceable(t *testing.T) {
	checked := make(chan struct{}) // B has called Check
	started := make(chan struct{}) // A's goroutines are running
	t.Run("group", func(t *testing.T) {
		t.Run("A", func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				io.WriteString(w, "ok")
			}))
			defer srv.Close()
			release := make(chan struct{})
			defer close(release)
			<-checked
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			timer := make(chan struct{})
			time.AfterFunc(0, func() {
				close(timer)
				<-release
			})
			<-timer
			close(started)
			time.Sleep(2 * time.Second) // more of A's work, while B's Check looks
		})
		t.Run("B", func(t *testing.T) {
			t.Parallel()
			r := &recorder{TB: t}
			leaktest.Check(r)
			close(checked)
			<-started
			if report := r.end(); report != "" {
				t.Errorf("B's Check reported A's goroutines:\n%s", report)
			}
		})
	})
}

//leakvet:ignore nilchan the children leak on purpose, for leaktest to find
func init() {
	children["adv: verify options"] = func(*testing.T) {
		go waitFor(nil)    // proven leaked, where the profile exists
		go waitFor(parked) // reachable: goleak's alone, and its options ignore it
		opts := []goleak.Option{goleak.IgnoreTopFunction(waitForName), goleak.IgnoreCurrent(),
			goleak.Cleanup(func(int) { panic("the Cleanup ran") })}
		// No channel can say the two have blocked: look until they have, for
		// up to five seconds.
		for i := 0; i < 5000 && blockedIn(waitForName) < 2; i++ {
			time.Sleep(time.Millisecond)
		}
		fmt.Print(leaktest.VerifyAll(opts))
		os.Exit(0)
	}
}

// TestVerifyTestMainOptions: goleak's options, IgnoreTopFunction and
// IgnoreCurrent together, silence goleak's half of VerifyTestMain, but not
// a goroutine the runtime proves leaked; a Cleanup among them does not run
// in the check.
func TestVerifyTestMainOptions(t *testing.T) {
	out, err := runChild(t, "adv: verify options")
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	if !leaktest.Available() {
		if out != "" {
			t.Errorf("without the profile, the options should silence the check; it said:\n%s", out)
		}
		return
	}
	if !strings.HasPrefix(out, "leaktest: 1 goroutine outlived the tests:") ||
		!strings.Contains(out, "[chan receive (nil chan)]") || strings.Contains(out, "[chan receive]") {
		t.Errorf("want a report on the proven leak alone; got:\n%s", out)
	}
}

// blockedIn returns how many goroutines wait with fn on top of their stack.
func blockedIn(fn string) int {
	n := 0
	for _, g := range leakprofile.Stacks() {
		if strings.HasPrefix(g.Stack, fn+"(") && strings.HasPrefix(g.State, "chan ") {
			n++
		}
	}
	return n
}
