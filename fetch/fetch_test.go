package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/leakproof/leakproof/fetch"
	"github.com/leakproof/leakproof/internal/testenv"
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

func TestGet(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Answer", "42")
		io.WriteString(w, "hello")
	})
	c := newClient(t)
	resp, err := c.Get(testContext(t), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || string(resp.Body) != "hello" || resp.Header.Get("X-Answer") != "42" {
		t.Errorf("got %d %q %v, want 200 hello with X-Answer: 42", resp.StatusCode, resp.Body, resp.Header)
	}
	if n := c.InFlight(); n != 0 {
		t.Errorf("InFlight after Get = %d, want 0", n)
	}
}

func TestHeadAndDo(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Method", r.Method)
		io.WriteString(w, "body")
	})
	c := newClient(t)
	req, err := http.NewRequest(http.MethodHead, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(testContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("X-Method") != "HEAD" || len(resp.Body) != 0 {
		t.Errorf("HEAD: got %v with body %q", resp.Header, resp.Body)
	}
}

// TestZeroClient: a Client that was never configured works with the
// defaults.
func TestZeroClient(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	var c fetch.Client
	defer c.Close()
	resp, err := c.Get(testContext(t), srv.URL)
	if err != nil || string(resp.Body) != "ok" {
		t.Fatalf("Get = %v, %v", resp, err)
	}
}

func TestServerNeverAnswers(t *testing.T) {
	const timeout = 100 * time.Millisecond
	srv, hits := hangingServer(t)
	c := newClient(t, fetch.WithTimeout(timeout))
	start := time.Now()
	_, err := c.Get(testContext(t), srv.URL)
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "timed out after 100ms") {
		t.Errorf("error %q does not say the attempt timed out", err)
	}
	if elapsed < timeout || elapsed > timeout+2*time.Second {
		t.Errorf("Get returned after %v, want about %v", elapsed, timeout)
	}
	if hits.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", hits.Load())
	}
	if n := c.InFlight(); n != 0 {
		t.Errorf("InFlight = %d, want 0", n)
	}
}

// TestTrickle: a server that sends a byte every 50ms sends headers at once,
// so only a timeout that covers the body can cut it off.
func TestTrickle(t *testing.T) {
	const timeout = 300 * time.Millisecond
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for range 200 { // 10s: far past the timeout
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	})
	c := newClient(t, fetch.WithTimeout(timeout))
	start := time.Now()
	resp, err := c.Get(testContext(t), srv.URL)
	elapsed := time.Since(start)
	if resp != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get = %v, %v, want no response and an error wrapping context.DeadlineExceeded", resp, err)
	}
	if !strings.Contains(err.Error(), "reading the body") {
		t.Errorf("error %q does not say the body was being read", err)
	}
	if elapsed < timeout || elapsed > timeout+2*time.Second {
		t.Errorf("Get returned after %v, want about %v", elapsed, timeout)
	}
}

func TestBodyCap(t *testing.T) {
	const cap = 1 << 20
	big := bytes.Repeat([]byte("a"), 2<<20)
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big-length":
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			w.Write(big)
		case "/big-chunked": // no Content-Length: the client must count
			for i := 0; i < len(big); i += 32 << 10 {
				if _, err := w.Write(big[i : i+32<<10]); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		case "/exact":
			w.Write(big[:cap])
		default:
			io.WriteString(w, "small")
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newClient(t, fetch.WithMaxBodyBytes(cap))
	ctx := testContext(t)

	get := func(path string) (*fetch.Response, error) { return c.Get(ctx, srv.URL+path) }
	for range 2 {
		if _, err := get("/small"); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("two small requests used %d connections, want 1 (kept alive)", n)
	}
	for _, path := range []string{"/big-length", "/big-chunked"} {
		before := conns.Load()
		resp, err := get(path)
		if resp != nil || !errors.Is(err, fetch.ErrBodyTooLarge) {
			t.Fatalf("%s: Get = %v, %v, want ErrBodyTooLarge", path, resp, err)
		}
		if _, err := get("/small"); err != nil {
			t.Fatal(err)
		}
		// The oversized response used the idle connection; had it gone
		// back to the pool, the small request would have reused it.
		if n := conns.Load() - before; n != 1 {
			t.Errorf("%s: the next request opened %d connections, want 1: the half-read one must not be reused", path, n)
		}
	}
	resp, err := get("/exact")
	if err != nil || len(resp.Body) != cap {
		t.Fatalf("a body of exactly the cap: %d bytes, %v; want %d, nil", len(resp.Body), err, cap)
	}
}

func TestReadBody(t *testing.T) {
	for _, tc := range []struct {
		body   string
		length int64
		max    int64
		want   string
		err    error
	}{
		{"", 0, 4, "", nil},
		{"abcd", 4, 4, "abcd", nil},
		{"abcd", -1, 4, "abcd", nil},
		{"abcde", -1, 4, "abcd", fetch.ErrBodyTooLarge},
		{"abcde", 5, 4, "", fetch.ErrBodyTooLarge},
		{strings.Repeat("x", 5000), -1, 1 << 20, strings.Repeat("x", 5000), nil},
	} {
		got, err := fetch.ReadBody(strings.NewReader(tc.body), tc.length, tc.max)
		if string(got) != tc.want || err != tc.err {
			t.Errorf("readBody(%d bytes, length %d, max %d) = %d bytes, %v; want %d bytes, %v",
				len(tc.body), tc.length, tc.max, len(got), err, len(tc.want), tc.err)
		}
	}
}

func TestStatusError(t *testing.T) {
	body := strings.Repeat("e", 4096)
	srv, hits := scriptedServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, body)
	})
	c := newClient(t, fetch.WithRetries(3))
	u := strings.Replace(srv.URL, "http://", "http://user:secret@", 1) + "/missing"
	resp, err := c.Get(testContext(t), u)
	var se *fetch.StatusError
	if resp != nil || !errors.As(err, &se) {
		t.Fatalf("Get = %v, %v, want a *StatusError", resp, err)
	}
	if se.StatusCode != 404 || string(se.Body) != body[:1024] || se.RetryAfter != 7*time.Second {
		t.Errorf("StatusError = %d, %d body bytes, RetryAfter %v; want 404, 1024, 7s", se.StatusCode, len(se.Body), se.RetryAfter)
	}
	wantURL := strings.Replace(u, "secret", "xxxxx", 1)
	if se.URL != wantURL {
		t.Errorf("URL = %q, want %q (password redacted)", se.URL, wantURL)
	}
	if got, want := se.Error(), "fetch: "+wantURL+": 404 Not Found"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if hits.Load() != 1 {
		t.Errorf("a 404 was tried %d times, want once: it is not retryable", hits.Load())
	}
}

// fast makes retries quick without making them instant.
var fast = fetch.WithBackoff(time.Millisecond, 10*time.Millisecond)

func TestRetryThenSuccess(t *testing.T) {
	for _, code := range []int{429, 502, 503, 504} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv, hits := scriptedServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
				if n == 0 {
					w.WriteHeader(code)
					io.WriteString(w, "try later")
					return
				}
				io.WriteString(w, "ok")
			})
			c := newClient(t, fetch.WithRetries(2), fast)
			resp, err := c.Get(testContext(t), srv.URL)
			if err != nil || string(resp.Body) != "ok" {
				t.Fatalf("Get = %v, %v, want ok", resp, err)
			}
			if hits.Load() != 2 {
				t.Errorf("server saw %d requests, want 2", hits.Load())
			}
		})
	}
}

func TestRetriesExhausted(t *testing.T) {
	srv, hits := scriptedServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := newClient(t, fetch.WithRetries(2), fast)
	_, err := c.Get(testContext(t), srv.URL)
	var se *fetch.StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 {
		t.Fatalf("Get = %v, want a 503 StatusError", err)
	}
	if !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("error %q does not say how many attempts were made", err)
	}
	if hits.Load() != 3 {
		t.Errorf("server saw %d requests, want 3", hits.Load())
	}
}

// TestRetryAfter: the server's Retry-After replaces the backoff, which the
// jitter hook makes zero, so the second request comes no sooner than asked.
func TestRetryAfter(t *testing.T) {
	var first, second time.Time
	srv, hits := scriptedServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		second = time.Now()
		io.WriteString(w, "ok")
	})
	c := newClient(t, fetch.WithRetries(1), fetch.WithBackoff(time.Millisecond, 5*time.Second))
	fetch.SetJitter(c, func(time.Duration) time.Duration { return 0 })
	if _, err := c.Get(testContext(t), srv.URL); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 2 {
		t.Fatalf("server saw %d requests, want 2", hits.Load())
	}
	if gap := second.Sub(first); gap < time.Second {
		t.Errorf("retried %v after a Retry-After of 1s", gap)
	}
}

// TestRetryAfterBeyondCap: a server asking for an hour is not waited for;
// the caller gets the 429 at once, with the hour in RetryAfter.
func TestRetryAfterBeyondCap(t *testing.T) {
	srv, hits := scriptedServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c := newClient(t, fetch.WithRetries(3), fetch.WithBackoff(time.Millisecond, time.Second))
	start := time.Now()
	_, err := c.Get(testContext(t), srv.URL)
	var se *fetch.StatusError
	if !errors.As(err, &se) || se.RetryAfter != time.Hour {
		t.Fatalf("Get = %v, want a StatusError with RetryAfter 1h", err)
	}
	if !strings.Contains(err.Error(), "beyond the 1s cap") {
		t.Errorf("error %q does not say why it stopped", err)
	}
	if d := time.Since(start); d > time.Second || hits.Load() != 1 {
		t.Errorf("returned after %v and %d requests, want at once after 1", d, hits.Load())
	}
}

// TestDeadlineShorterThanBackoff is hashicorp/go-retryablehttp#272: when the
// next wait would end past ctx's deadline, Get returns at once, before the
// deadline, with an error that says both why it stopped and what failed.
func TestDeadlineShorterThanBackoff(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter string
	}{
		{"backoff", ""},      // the jitter hook makes the first wait 1s
		{"retry-after", "2"}, // the server asks for 2s
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, hits := scriptedServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(http.StatusServiceUnavailable)
			})
			c := newClient(t, fetch.WithRetries(5), fetch.WithBackoff(time.Second, 10*time.Second))
			fetch.SetJitter(c, func(ceil time.Duration) time.Duration { return ceil })
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			_, err := c.Get(ctx, srv.URL)
			if ctx.Err() != nil {
				t.Errorf("Get returned only after the deadline had passed")
			}
			var se *fetch.StatusError
			if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &se) || se.StatusCode != 503 {
				t.Errorf("Get = %v, want an error wrapping both DeadlineExceeded and the 503", err)
			}
			if hits.Load() != 1 {
				t.Errorf("server saw %d requests, want 1", hits.Load())
			}
		})
	}
	t.Run("fits", func(t *testing.T) { // a wait that ends before the deadline is made
		srv, hits := scriptedServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
			if n == 0 {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		c := newClient(t, fetch.WithRetries(1), fetch.WithBackoff(10*time.Millisecond, time.Second))
		fetch.SetJitter(c, func(ceil time.Duration) time.Duration { return ceil })
		if _, err := c.Get(testContext(t), srv.URL); err != nil || hits.Load() != 2 {
			t.Errorf("Get = %v after %d requests, want success after 2", err, hits.Load())
		}
	})
}

// TestCancelDuringBackoff: a caller who gives up while Get waits to retry
// gets its error at once, with the last failure.
func TestCancelDuringBackoff(t *testing.T) {
	srv, _ := scriptedServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	c := newClient(t, fetch.WithRetries(3))
	waiting := make(chan struct{})
	fetch.SetJitter(c, func(time.Duration) time.Duration { close(waiting); return time.Hour })
	ctx, cancel := context.WithCancel(t.Context()) // no deadline: only cancel ends the wait
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Get(ctx, srv.URL)
		errc <- err
	}()
	within(t, waiting, bound, "the first attempt")
	cancel()
	err := within(t, errc, bound, "Get after cancel")
	var se *fetch.StatusError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &se) || se.StatusCode != 502 {
		t.Errorf("Get = %v, want an error wrapping context.Canceled and the 502", err)
	}
}

// TestDroppedConnection: a server that hijacks the connection and closes it
// without a word.
func TestDroppedConnection(t *testing.T) {
	drop := func(w http.ResponseWriter) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	}
	t.Run("always", func(t *testing.T) {
		srv, hits := scriptedServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) { drop(w) })
		c := newClient(t, fetch.WithRetries(2), fast)
		_, err := c.Get(testContext(t), srv.URL)
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("Get = %v, want a dropped-connection error", err)
		}
		if hits.Load() != 3 {
			t.Errorf("server saw %d requests, want 3", hits.Load())
		}
	})
	t.Run("once", func(t *testing.T) {
		srv, hits := scriptedServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
			if n == 0 {
				drop(w)
				return
			}
			io.WriteString(w, "ok")
		})
		c := newClient(t, fetch.WithRetries(1), fast)
		resp, err := c.Get(testContext(t), srv.URL)
		if err != nil || string(resp.Body) != "ok" || hits.Load() != 2 {
			t.Errorf("Get = %v, %v after %d requests, want ok after 2", resp, err, hits.Load())
		}
	})
}

// TestOnlyIdempotentRetried: GET, and PUT or DELETE with a replayable body,
// are repeated; POST is not, unless it says it may be and its body can be
// replayed.
func TestOnlyIdempotentRetried(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv, hits := scriptedServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := newClient(t, fetch.WithRetries(2), fast)
	for _, tc := range []struct {
		name  string
		req   func() *http.Request
		tries int64
	}{
		{"GET", func() *http.Request { r, _ := http.NewRequest("GET", srv.URL, nil); return r }, 3},
		{"PUT", func() *http.Request { r, _ := http.NewRequest("PUT", srv.URL, strings.NewReader("p")); return r }, 3},
		{"PUT, body not replayable", func() *http.Request {
			r, _ := http.NewRequest("PUT", srv.URL, io.NopCloser(strings.NewReader("p")))
			return r
		}, 1},
		{"DELETE", func() *http.Request { r, _ := http.NewRequest("DELETE", srv.URL, nil); return r }, 3},
		{"POST", func() *http.Request { r, _ := http.NewRequest("POST", srv.URL, strings.NewReader("p")); return r }, 1},
		{"POST with Idempotency-Key", func() *http.Request {
			r, _ := http.NewRequest("POST", srv.URL, strings.NewReader("p"))
			r.Header.Set("Idempotency-Key", "k1")
			return r
		}, 3},
		{"POST with Idempotency-Key, body not replayable", func() *http.Request {
			r, _ := http.NewRequest("POST", srv.URL, io.NopCloser(strings.NewReader("p")))
			r.Header.Set("Idempotency-Key", "k2")
			return r
		}, 1},
	} {
		hits.Store(0)
		mu.Lock()
		bodies = nil
		mu.Unlock()
		_, err := c.Do(testContext(t), tc.req())
		var se *fetch.StatusError
		if !errors.As(err, &se) {
			t.Errorf("%s: Do = %v, want a StatusError", tc.name, err)
		}
		if hits.Load() != tc.tries {
			t.Errorf("%s: sent %d times, want %d", tc.name, hits.Load(), tc.tries)
		}
		mu.Lock()
		for _, b := range bodies {
			if tc.name != "GET" && tc.name != "DELETE" && b != "p" {
				t.Errorf("%s: server got body %q, want the body replayed in full", tc.name, b)
			}
		}
		mu.Unlock()
	}
}

func TestBadURLs(t *testing.T) {
	c := newClient(t, fetch.WithMaxInFlight(1))
	ctx := testContext(t)
	for _, u := range []string{
		"",
		"://no-scheme",
		"http://[::1",
		"127.0.0.1:8080",
		"ftp://example.com/file",
		"file:///etc/passwd",
		"mailto:someone@example.com",
		"http:///no-host",
		"http://%zz/",
		"http://exa mple.com/",
	} {
		if _, err := c.Get(ctx, u); err == nil {
			t.Errorf("Get(%q) succeeded", u)
		}
		if _, err := c.TryGet(ctx, u); err == nil {
			t.Errorf("TryGet(%q) succeeded", u)
		}
		called := false
		for _, goFunc := range []func(context.Context, string, func(*fetch.Response, error)) error{c.Go, c.TryGo} {
			if err := goFunc(ctx, u, func(*fetch.Response, error) { called = true }); err == nil {
				t.Errorf("Go/TryGo(%q) started a request", u)
			}
		}
		if r := c.GetAll(ctx, []string{u}); r[0].Err == nil || r[0].URL != u {
			t.Errorf("GetAll(%q) = %+v, want an error", u, r[0])
		}
		if called {
			t.Errorf("done was called for %q", u)
		}
		if n := c.InFlight(); n != 0 {
			t.Fatalf("%q left %d slots taken", u, n)
		}
	}
	_, err := c.Get(ctx, "ftp://example.com/file")
	if err == nil || !strings.Contains(err.Error(), `unsupported URL scheme "ftp"`) {
		t.Errorf("ftp: error %v does not name the scheme", err)
	}
}

func refusedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestConnectionRefused(t *testing.T) {
	u := "http://" + refusedAddr(t) + "/"
	c := newClient(t, fetch.WithRetries(2), fast)
	_, err := c.Get(testContext(t), u)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Get = %v, want ECONNREFUSED", err)
	}
	if !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("error %q: a refused connection should be retried", err)
	}
}

// peakServer serves /N with "N" and records the highest number of requests
// it ever had at once. The first `fill` requests wait until `fill` are in, so
// a peak below the expected bound cannot pass for it.
type peakServer struct {
	*httptest.Server
	cur, peak atomic.Int64
}

func newPeakServer(t *testing.T, fill int64) *peakServer {
	s := new(peakServer)
	var arrived atomic.Int64
	full := make(chan struct{})
	s.Server = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := s.cur.Add(1)
		for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
		}
		// Decremented before the handler returns, and so before the client
		// sees the response and can free its slot.
		defer s.cur.Add(-1)
		if arrived.Add(1) == fill {
			close(full)
		}
		select {
		case <-full:
		case <-r.Context().Done():
			return
		case <-time.After(bound):
			t.Errorf("the client never had %d requests in flight at once", fill)
			return
		}
		io.WriteString(w, strings.TrimPrefix(r.URL.Path, "/"))
	})
	return s
}

func TestGetAllOrderAndBound(t *testing.T) {
	const limit, n = 4, 40
	srv := newPeakServer(t, limit)
	c := newClient(t, fetch.WithMaxInFlight(limit))
	var urls []string
	for i := range n {
		urls = append(urls, fmt.Sprintf("%s/%d", srv.URL, i))
	}
	urls[7] = "gopher://bad"
	results := c.GetAll(testContext(t), urls)
	if len(results) != n {
		t.Fatalf("%d results for %d URLs", len(results), n)
	}
	for i, r := range results {
		if r.URL != urls[i] {
			t.Errorf("result %d is for %q, want %q", i, r.URL, urls[i])
		}
		if i == 7 {
			if r.Err == nil || r.Response != nil {
				t.Errorf("result 7 = %+v, want an error", r)
			}
			continue
		}
		if r.Err != nil || string(r.Response.Body) != strconv.Itoa(i) {
			t.Errorf("result %d = %v, %v", i, r.Response, r.Err)
		}
	}
	if p := srv.peak.Load(); p != limit {
		t.Errorf("server saw at most %d requests at once, want exactly %d", p, limit)
	}
	if n := c.InFlight(); n != 0 {
		t.Errorf("InFlight after GetAll = %d, want 0", n)
	}
}

func TestMaxPerHost(t *testing.T) {
	const limit, perHost = 4, 2
	a, b := newPeakServer(t, perHost), newPeakServer(t, perHost)
	c := newClient(t, fetch.WithMaxInFlight(limit), fetch.WithMaxPerHost(perHost))
	var urls []string
	for i := range 20 {
		urls = append(urls, fmt.Sprintf("%s/%d", a.URL, i), fmt.Sprintf("%s/%d", b.URL, i))
	}
	for i, r := range c.GetAll(testContext(t), urls) {
		if r.Err != nil {
			t.Fatalf("result %d: %v", i, r.Err)
		}
	}
	if pa, pb := a.peak.Load(), b.peak.Load(); pa != perHost || pb != perHost {
		t.Errorf("peaks per host = %d, %d, want %d each", pa, pb, perHost)
	}

	// A host at its limit saturates TryGet; another host does not.
	slow, _ := hangingServer(t)
	other := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	ctx := testContext(t)
	for range perHost {
		if err := c.Go(ctx, slow.URL, func(*fetch.Response, error) {}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.TryGet(ctx, slow.URL); err != fetch.ErrSaturated {
		t.Errorf("TryGet to a full host = %v, want ErrSaturated", err)
	}
	if _, err := c.TryGet(ctx, other.URL); err != nil {
		t.Errorf("TryGet to another host = %v", err)
	}
	if n := fetch.Hosts(c); n != 1 {
		t.Errorf("%d hosts have slot entries, want 1: the busy one", n)
	}
	c.Close()
	if n := fetch.Hosts(c); n != 0 {
		t.Errorf("%d hosts have slot entries after Close, want 0", n)
	}
}

// TestSaturated: with every slot taken, TryGet and TryGo refuse at once, Get
// and Go wait only as long as their ctx, and no refused request reaches the
// server.
func TestSaturated(t *testing.T) {
	srv, hits := hangingServer(t)
	c := newClient(t, fetch.WithMaxInFlight(1))
	ctx := testContext(t)
	finished := make(chan error, 1)
	if err := c.Go(ctx, srv.URL, func(_ *fetch.Response, err error) { finished <- err }); err != nil {
		t.Fatal(err)
	}
	if n := c.InFlight(); n != 1 {
		t.Errorf("InFlight = %d, want 1", n)
	}
	if _, err := c.TryGet(ctx, srv.URL); err != fetch.ErrSaturated {
		t.Errorf("TryGet = %v, want ErrSaturated", err)
	}
	if err := c.TryGo(ctx, srv.URL, func(*fetch.Response, error) { t.Error("TryGo called done") }); err != fetch.ErrSaturated {
		t.Errorf("TryGo = %v, want ErrSaturated", err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.Get(short, srv.URL); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "waiting for a slot") {
		t.Errorf("Get = %v, want DeadlineExceeded while waiting for a slot", err)
	}
	if err := c.Go(short, srv.URL, func(*fetch.Response, error) { t.Error("Go called done") }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Go = %v, want DeadlineExceeded", err)
	}
	if n := fetchGoroutines(); n != 1 {
		t.Errorf("fetch runs %d goroutines, want 1: a Go that got no slot must start none", n)
	}
	c.Close()
	if err := within(t, finished, bound, "done"); !errors.Is(err, fetch.ErrClosed) {
		t.Errorf("the request in flight ended with %v, want ErrClosed", err)
	}
	if hits.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", hits.Load())
	}
}

// TestEndedContext: a call whose ctx has already ended starts nothing, even
// with a slot free.
func TestEndedContext(t *testing.T) {
	srv, hits := scriptedServer(t, func(int64, http.ResponseWriter, *http.Request) {})
	c := newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, srv.URL); !errors.Is(err, context.Canceled) {
		t.Errorf("Get = %v, want context.Canceled", err)
	}
	if err := c.TryGo(ctx, srv.URL, func(*fetch.Response, error) {}); !errors.Is(err, context.Canceled) {
		t.Errorf("TryGo = %v, want context.Canceled", err)
	}
	for _, r := range c.GetAll(ctx, []string{srv.URL, srv.URL}) {
		if !errors.Is(r.Err, context.Canceled) {
			t.Errorf("GetAll: %v, want context.Canceled", r.Err)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("server saw %d requests, want 0", hits.Load())
	}
}

// TestInFlight: a Go request holds its slot until done returns.
func TestInFlight(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c := newClient(t, fetch.WithMaxInFlight(4))
	inDone := make(chan int, 3)
	for range 3 {
		if err := c.Go(testContext(t), srv.URL, func(*fetch.Response, error) { inDone <- c.InFlight() }); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if n := within(t, inDone, bound, "done"); n < 1 {
			t.Errorf("InFlight inside done = %d, want at least 1", n)
		}
	}
	c.Close()
	if n := c.InFlight(); n != 0 {
		t.Errorf("InFlight after Close = %d, want 0", n)
	}
}

// TestFlood is the pitfall itself: a loop fires 1000 TryGo calls at a
// server that never answers. Only `limit` start; the rest are refused at
// once; every started request ends by the timeout; and the goroutine count
// never grows with the number of calls.
//
// The bound: fetch runs at most `limit` goroutines of its own. For each
// connection (at most `limit`, since MaxConnsPerHost matches it) net/http's
// client runs a read loop and a write loop, plus a dialling goroutine while
// it connects, and the in-process test server runs two (the connection and
// its background read). So the process never has more than
// before + 6·limit + slack goroutines, slack covering the runtime's and
// the test's own.
func TestFlood(t *testing.T) {
	const (
		limit   = 8
		calls   = 1000
		timeout = 200 * time.Millisecond
		slack   = 4
	)
	srv, hits := hangingServer(t)
	c := newClient(t, fetch.WithMaxInFlight(limit), fetch.WithTimeout(timeout))
	ctx := testContext(t)
	before := runtime.NumGoroutine()
	peak := before
	sample := func() { peak = max(peak, runtime.NumGoroutine()) }

	results := make(chan error, calls)
	accepted, saturated := 0, 0
	start := time.Now()
	for range calls {
		switch err := c.TryGo(ctx, srv.URL, func(_ *fetch.Response, err error) { results <- err }); err {
		case nil:
			accepted++
		case fetch.ErrSaturated:
			saturated++
		default:
			t.Fatalf("TryGo = %v", err)
		}
		sample()
	}
	loop := time.Since(start)
	if own := fetchGoroutines(); own > limit {
		t.Errorf("fetch runs %d goroutines, want at most %d", own, limit)
	}
	if loop < timeout && accepted != limit {
		t.Errorf("%d calls accepted within %v, want exactly %d", accepted, loop, limit)
	}
	if accepted+saturated != calls {
		t.Fatalf("%d accepted + %d saturated != %d calls", accepted, saturated, calls)
	}

	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(timeout + 2*time.Second)
	var last time.Duration
	for got := 0; got < accepted; {
		select {
		case err := <-results:
			got++
			last = time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("request ended with %v, want DeadlineExceeded", err)
			}
		case <-tick.C:
			sample()
		case <-giveUp:
			t.Fatalf("only %d of %d requests ended within %v", got, accepted, timeout+2*time.Second)
		}
	}
	if last < timeout {
		t.Errorf("a request ended after %v, before its %v timeout", last, timeout)
	}
	if most := before + 6*limit + slack; peak > most {
		t.Errorf("goroutines peaked at %d (%d before the flood), want at most %d", peak, before, most)
	}
	t.Logf("%d accepted, %d saturated in %v; all ended %v after the first call; goroutines: %d before, peak %d (+%d); server saw %d",
		accepted, saturated, loop, last, before, peak, peak-before, hits.Load())
	if n := c.InFlight(); n != 0 {
		// The last slot is freed just after its done returns; Close
		// waits for that.
		c.Close()
		if n := c.InFlight(); n != 0 {
			t.Errorf("InFlight after Close = %d", n)
		}
	}
}

func TestClose(t *testing.T) {
	srv, _ := hangingServer(t)
	c := newClient(t, fetch.WithMaxInFlight(1))
	ctx := testContext(t)
	finished := make(chan error, 1)
	if err := c.Go(ctx, srv.URL, func(_ *fetch.Response, err error) { finished <- err }); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := c.Get(context.Background(), srv.URL) // no deadline: only Close can end the wait
		waiting <- err
	}()
	waitForStack(t, "fetch.(*Client).take")

	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	within(t, closed, bound, "Close")
	select {
	case err := <-finished:
		if !errors.Is(err, fetch.ErrClosed) {
			t.Errorf("request in flight ended with %v, want ErrClosed", err)
		}
	default:
		t.Error("Close returned before the done callback ran")
	}
	if err := within(t, waiting, bound, "Get waiting for a slot"); err != fetch.ErrClosed {
		t.Errorf("Get waiting for a slot = %v, want ErrClosed", err)
	}

	// After Close, everything is refused; nothing panics or blocks.
	if _, err := c.Get(ctx, srv.URL); err != fetch.ErrClosed {
		t.Errorf("Get after Close = %v", err)
	}
	if _, err := c.TryGet(ctx, srv.URL); err != fetch.ErrClosed {
		t.Errorf("TryGet after Close = %v", err)
	}
	if err := c.Go(ctx, srv.URL, func(*fetch.Response, error) { t.Error("done called") }); err != fetch.ErrClosed {
		t.Errorf("Go after Close = %v", err)
	}
	if err := c.TryGo(ctx, srv.URL, func(*fetch.Response, error) { t.Error("done called") }); err != fetch.ErrClosed {
		t.Errorf("TryGo after Close = %v", err)
	}
	if r := c.GetAll(ctx, []string{srv.URL}); r[0].Err != fetch.ErrClosed {
		t.Errorf("GetAll after Close = %v", r[0].Err)
	}
	body := &closeRecorder{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest("PUT", srv.URL, body)
	if _, err := c.Do(ctx, req); err != fetch.ErrClosed || !body.closed {
		t.Errorf("Do after Close = %v, body closed %v; want ErrClosed and the body closed", err, body.closed)
	}
	if n := c.InFlight(); n != 0 {
		t.Errorf("InFlight after Close = %d", n)
	}
	c.Close() // again: returns
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (r *closeRecorder) Close() error { r.closed = true; return nil }

// countingTransport counts the requests it carries. It forwards
// CloseIdleConnections, as any wrapper must for http.Client's to reach the
// pool.
type countingTransport struct {
	base *http.Transport
	n    atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.base.RoundTrip(r)
}

func (t *countingTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

func TestWithHTTPClient(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	slow, _ := hangingServer(t)
	tr := &countingTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
	hc := &http.Client{Transport: tr}
	c := newClient(t, fetch.WithHTTPClient(hc), fetch.WithTimeout(100*time.Millisecond), fetch.WithMaxBodyBytes(1))
	ctx := testContext(t)
	if _, err := c.Get(ctx, srv.URL); !errors.Is(err, fetch.ErrBodyTooLarge) {
		t.Errorf("Get = %v, want ErrBodyTooLarge: the cap applies to an injected client", err)
	}
	if _, err := c.Get(ctx, slow.URL); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get = %v, want DeadlineExceeded: the timeout applies to an injected client", err)
	}
	if n := tr.n.Load(); n != 2 {
		t.Errorf("the injected client carried %d requests, want 2", n)
	}
}

func TestPanics(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	done := func(*fetch.Response, error) {}
	for want, f := range map[string]func(){
		"fetch: WithMaxInFlight: n must be positive, got 0":             func() { fetch.WithMaxInFlight(0) },
		"fetch: WithMaxPerHost: n must be positive, got -1":             func() { fetch.WithMaxPerHost(-1) },
		"fetch: WithTimeout: d must be positive, got 0s":                func() { fetch.WithTimeout(0) },
		"fetch: WithMaxBodyBytes: n must be positive, got 0":            func() { fetch.WithMaxBodyBytes(0) },
		"fetch: WithRetries: n must not be negative, got -1":            func() { fetch.WithRetries(-1) },
		"fetch: WithBackoff: want 0 < base <= max, got base 2s, max 1s": func() { fetch.WithBackoff(2*time.Second, time.Second) },
		"fetch: WithHTTPClient: nil *http.Client":                       func() { fetch.WithHTTPClient(nil) },
		"fetch: New: nil Option":                                        func() { fetch.New(nil) },
		"fetch: Get: nil Context":                                       func() { c.Get(nil, "http://x/") },    //lint:ignore SA1012 the nil Context is the test
		"fetch: TryGet: nil Context":                                    func() { c.TryGet(nil, "http://x/") }, //lint:ignore SA1012 the nil Context is the test
		"fetch: Do: nil Context":                                        func() { c.Do(nil, nil) },             //lint:ignore SA1012 the nil Context is the test
		"fetch: Do: nil *http.Request":                                  func() { c.Do(ctx, nil) },
		"fetch: Go: nil Context":                                        func() { c.Go(nil, "http://x/", done) },    //lint:ignore SA1012 the nil Context is the test
		"fetch: TryGo: nil Context":                                     func() { c.TryGo(nil, "http://x/", done) }, //lint:ignore SA1012 the nil Context is the test
		"fetch: GetAll: nil Context":                                    func() { c.GetAll(nil, nil) },              //lint:ignore SA1012 the nil Context is the test
		"fetch: Go: nil done func":                                      func() { c.Go(ctx, "http://x/", nil) },
		"fetch: TryGo: nil done func":                                   func() { c.TryGo(ctx, "http://x/", nil) },
	} {
		if got := testenv.PanicValue(f); got != want {
			t.Errorf("panic = %v, want %q", got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		v  string
		d  time.Duration
		ok bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{" 3 ", 3 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"99999999999999999999", 0, false},
		{"9999999999999", 1<<63 - 1, true},
	} {
		d, ok := fetch.ParseRetryAfter(tc.v, now)
		if d != tc.d || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v, want %v, %v", tc.v, d, ok, tc.d, tc.ok)
		}
	}
}

// TestBackoff: full jitter below an exponential ceiling that stops at max.
func TestBackoff(t *testing.T) {
	c := newClient(t, fetch.WithBackoff(100*time.Millisecond, time.Second))
	var ceilings []time.Duration
	fetch.SetJitter(c, func(ceil time.Duration) time.Duration { ceilings = append(ceilings, ceil); return ceil / 2 })
	for n := 1; n <= 6; n++ {
		fetch.Backoff(c, n)
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i := range want {
		if ceilings[i] != want[i]*time.Millisecond {
			t.Fatalf("ceilings = %v, want %v ms", ceilings, want)
		}
	}
	r := newClient(t, fetch.WithBackoff(time.Millisecond, 4*time.Millisecond))
	seen := map[bool]bool{}
	for range 1000 {
		d := fetch.Backoff(r, 3)
		if d < 0 || d > 4*time.Millisecond {
			t.Fatalf("backoff %v outside [0, 4ms]", d)
		}
		seen[d < 2*time.Millisecond] = true
	}
	if len(seen) != 2 {
		t.Errorf("1000 waits all fell in one half of [0, 4ms]: not jittered")
	}
}

// The benchmarks compare Get with the hand-written code it replaces: four
// callers share a limit of 8 requests in flight to a loopback server that
// answers 1 KiB.
const (
	benchCallers = 4
	benchLimit   = 8
	benchMaxBody = 10 << 20
)

var benchBody = bytes.Repeat([]byte("x"), 1<<10)

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(benchBody) }))
	b.Cleanup(srv.Close)
	return srv
}

// runCallers makes b.N calls of get, shared among benchCallers goroutines.
func runCallers(b *testing.B, get func() ([]byte, error)) {
	b.ReportAllocs()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu := cpuTime()
	for range benchCallers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				body, err := get()
				if err != nil || len(body) != len(benchBody) {
					b.Errorf("got %d bytes, %v", len(body), err)
					return
				}
			}
		})
	}
	wg.Wait()
	// The process's CPU time, the server's included (the same for both
	// benchmarks), per request: steadier than ns/op when the cores are
	// shared.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

func BenchmarkGet(b *testing.B) {
	srv := benchServer(b)
	c := fetch.New(fetch.WithMaxInFlight(benchLimit))
	defer c.Close()
	ctx := context.Background()
	runCallers(b, func() ([]byte, error) {
		resp, err := c.Get(ctx, srv.URL)
		if err != nil {
			return nil, err
		}
		return resp.Body, nil
	})
}

// BenchmarkGetHandWritten is what a careful programmer writes without
// fetch: an http.Client whose pool matches the limit, a semaphore.Weighted,
// a per-request timeout, a capped io.ReadAll and a deferred Body.Close.
func BenchmarkGetHandWritten(b *testing.B) {
	srv := benchServer(b)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxConnsPerHost = benchLimit
	tr.MaxIdleConnsPerHost = benchLimit
	hc := &http.Client{Transport: tr}
	defer hc.CloseIdleConnections()
	sem := semaphore.NewWeighted(benchLimit)
	get := func(ctx context.Context, url string) ([]byte, error) {
		if err := sem.Acquire(ctx, 1); err != nil {
			return nil, err
		}
		defer sem.Release(1)
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, benchMaxBody+1))
		if err != nil {
			return nil, err
		}
		if len(body) > benchMaxBody {
			return nil, errors.New("body too large")
		}
		if resp.StatusCode/100 != 2 {
			return nil, fmt.Errorf("status %d", resp.StatusCode)
		}
		return body, nil
	}
	ctx := context.Background()
	runCallers(b, func() ([]byte, error) { return get(ctx, srv.URL) })
}
