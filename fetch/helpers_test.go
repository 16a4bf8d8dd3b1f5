package fetch_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakproof/leakproof/fetch"
)

// Every test talks to real httptest servers on 127.0.0.1. Cleanups run last
// in, first out, so a test that creates its server, then its client, closes
// the client first (cancelling what it has in flight and closing its idle
// connections), then releases any handler still waiting, then closes the
// server: goleak then finds nothing, with no ignore list.

// bound is how long any single call in these tests may take before the test
// fails rather than hangs.
const bound = 10 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	t.Cleanup(cancel)
	return ctx
}

func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, opts ...fetch.Option) *fetch.Client {
	c := fetch.New(opts...)
	t.Cleanup(c.Close)
	return c
}

// hangingServer never answers: each handler waits until its client goes
// away or the test ends. hits counts the requests that reached it.
func hangingServer(t *testing.T) (srv *httptest.Server, hits *atomic.Int64) {
	hits = new(atomic.Int64)
	release := make(chan struct{})
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // before srv.Close, which waits for handlers
	return srv, hits
}

// trickleServer sends its headers at once and then a byte of body every
// 20ms until the client goes away, so that only a timeout covering the body
// can cut it off.
func trickleServer(t *testing.T) *httptest.Server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, err := io.WriteString(w, "x"); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	})
}

// scriptedServer answers the n-th request (from 0) with script(n, w, r) and
// counts requests in hits.
func scriptedServer(t *testing.T, script func(n int64, w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int64) {
	hits := new(atomic.Int64)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		script(hits.Add(1)-1, w, r)
	})
	return srv, hits
}

func within[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s: nothing after %v", what, d)
		panic("unreachable")
	}
}

// fetchGoroutines counts the goroutines that fetch itself started.
func fetchGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Count(buf[:n], []byte("created by github.com/leakproof/leakproof/fetch."))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitForStack waits until some goroutine's stack contains frame. There is
// no channel to say "this goroutine now waits inside fetch", so it polls,
// within bound.
func waitForStack(t *testing.T, frame string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	buf := make([]byte, 1<<20)
	for time.Now().Before(deadline) {
		if n := runtime.Stack(buf, true); bytes.Contains(buf[:n], []byte(frame)) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no goroutine reached %s within %v", frame, bound)
}
