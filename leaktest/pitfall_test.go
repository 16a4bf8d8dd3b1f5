package leaktest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/leakproof/leakproof/chanx"
	"github.com/leakproof/leakproof/leaktest"
)

// pitfalls are the leaks a report must name, each made in a test that
// calls Check, in a child process. leak's "// leak: check: name" line is
// where the report must point.
var pitfalls = []struct {
	name     string
	leak     func(t *testing.T)
	state    string
	pitfall  string
	fix      string // a part of the fix that names the replacement
	provable bool   // the runtime can prove this leak
}{
	{"send", func(*testing.T) {
		results := make(chan int)
		go func() { results <- 1 }() // leak: check: send
	}, "[chan send]", "a send nobody receives", "group.First", true},
	{"receive", func(*testing.T) {
		results := make(chan int)
		go func() { <-results }() // leak: check: receive
	}, "[chan receive]", "a receive nobody sends on", "chanx.Recv(ctx, ch)", true},
	{"nil send", func(*testing.T) {
		var results chan int
		//leakvet:ignore nilchan the nil channel is the pitfall under test
		go func() { results <- 1 }() // leak: check: nil send
	}, "[chan send (nil chan)]", "a send on a nil channel", "chanx.Send(ctx, ch, v)", true},
	{"nil receive", func(*testing.T) {
		var results chan int
		//leakvet:ignore nilchan the nil channel is the pitfall under test
		go func() { <-results }() // leak: check: nil receive
	}, "[chan receive (nil chan)]", "a receive on a nil channel", "chanx.Recv(ctx, ch)", true},
	{"select", func(*testing.T) {
		in, out := make(chan int), make(chan int)
		go func() {
			select { // leak: check: select
			case v := <-in:
				out <- v
			case out <- 0:
			}
		}()
	}, "[select]", "a select with no ready case", "<-ctx.Done()", true},
	{"mutex", func(*testing.T) {
		var mu sync.Mutex
		mu.Lock() // and returns without Unlock

		go func() { mu.Lock() }() // leak: check: mutex
	}, "[sync.Mutex.Lock]", "a lock never released", "lockx.Mutex.Do(f)", true},
	{"rwmutex", func(*testing.T) {
		var mu sync.RWMutex
		mu.Lock()
		go func() { mu.RLock() }() // leak: check: rwmutex
	}, "[sync.RWMutex.RLock]", "a lock never released", "lockx.Mutex.Do(f)", true},
	{"waitgroup", func(*testing.T) {
		var wg sync.WaitGroup
		wg.Add(2)
		go wg.Done()
		go func() { wg.Wait() }() // leak: check: waitgroup
	}, "[sync.WaitGroup.Wait]", "a WaitGroup never done", "group.Group", true},
	{"cond", func(*testing.T) {
		ready := sync.NewCond(new(sync.Mutex))
		go func() {
			ready.L.Lock()
			ready.Wait() // leak: check: cond
			ready.L.Unlock()
		}()
	}, "[sync.Cond.Wait]", "a sync.Cond wait nobody signals", "lockx.Mutex.DoWhen", true},
	{"http", func(t *testing.T) {
		// A server that never answers, and a client without a timeout:
		// a network wait, which the runtime cannot prove stuck.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		go func() {
			resp, err := http.Get(srv.URL) // leak: check: http
			if err == nil {
				resp.Body.Close()
			}
		}()
	}, "[select]", "an HTTP call without a timeout", "fetch.Client", false},
	{"chanx", func(*testing.T) {
		results := make(chan int)
		go chanx.Recv(context.Background(), results) // leak: check: chanx
	}, "[select]", "a chanx wait whose context never ends", "context.WithTimeout", true},
}

func init() {
	for _, p := range pitfalls {
		children["check: "+p.name] = func(t *testing.T) {
			leaktest.Check(t)
			p.leak(t)
		}
	}
}

// TestCheckPitfalls makes each pitfall leak in a child whose test calls
// Check, and checks the report names the goroutine's wait state, the line
// that leaked, the pitfall and its fix, and that the runtime proved the leak
// where it can.
func TestCheckPitfalls(t *testing.T) {
	for _, p := range pitfalls {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			r := leakyChild(t, "check: "+p.name, "started by this test outlived it:")
			r.says(t, p.state, "pitfall: "+p.pitfall, p.fix)
			if p.provable {
				r.provenIf(t, leaktest.Available())
			}
		})
	}
}
