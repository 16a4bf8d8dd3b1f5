package fetch_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakproof/leakproof/fetch"
	"github.com/leakproof/leakproof/internal/testenv"
)

// These tests play the servers a hostile reviewer would: ones that lie about
// their length, answer HEAD with a length they never send, ask for waits
// longer than any clock, trickle, or never answer at all.

// rawServer is a TCP listener on 127.0.0.1 that hands each connection to
// serve, so a test can write bytes no well-behaved server would.
type rawServer struct {
	addr  string
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

// newRawServer starts a rawServer, closed when the test ends.
func newRawServer(t *testing.T, serve func(conn net.Conn)) *rawServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{addr: ln.Addr().String(), ln: ln}
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, conn)
			s.mu.Unlock()
			s.wg.Go(func() { serve(conn) })
		}
	})
	t.Cleanup(s.close)
	return s
}

// accepted returns the connections accepted so far.
func (s *rawServer) accepted() []net.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]net.Conn(nil), s.conns...)
}

// close closes the listener and every connection, then waits for serve to
// return. It may be called more than once.
func (s *rawServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// answer reads each request on conn and writes respond(req) back verbatim,
// until the client goes away or a response ends with the connection closed
// (respond returns close).
func answer(respond func(req *http.Request) (raw string, close bool)) func(net.Conn) {
	return func(conn net.Conn) {
		br := bufio.NewReader(conn)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			raw, closeConn := respond(req)
			if _, err := io.WriteString(conn, raw); err != nil || closeConn {
				conn.Close()
				return
			}
		}
	}
}

// totalAlloc is how many bytes the process has allocated on the heap so far.
func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// noPanic calls f and fails t if it panicked.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	if p := testenv.PanicValue(f); p != nil {
		t.Fatalf("%s panicked: %v", what, p)
	}
}

// TestHostileContentLength: a server that announces the
// largest length there is and sends three bytes must cost three bytes, and
// end in an error, never a panic, on every path (Get, and GetAll, whose
// requests run on the Client's own goroutines).
func TestHostileContentLength(t *testing.T) {
	srv := newRawServer(t, answer(func(*http.Request) (string, bool) {
		return "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\nabc", true
	}))
	url := "http://" + srv.addr + "/"
	for _, tc := range []struct {
		max  int64
		want error
	}{
		{math.MaxInt64, io.ErrUnexpectedEOF}, // three bytes, then the server hangs up
		{1 << 50, fetch.ErrBodyTooLarge},     // announced past the cap
	} {
		max := tc.max
		c := newClient(t, fetch.WithMaxBodyBytes(max))
		var (
			resp *fetch.Response
			err  error
		)
		noPanic(t, "Get", func() { resp, err = c.Get(testContext(t), url) })
		if resp != nil || !errors.Is(err, tc.want) {
			t.Errorf("cap %d: Get = %v, %v, want %v", max, resp, err, tc.want)
		}
		for i, r := range c.GetAll(testContext(t), []string{url, url}) {
			if (r.Response == nil) == (r.Err == nil) {
				t.Errorf("cap %d: GetAll result %d = %+v, want exactly one of Response and Err", max, i, r)
			}
		}
	}
}

// TestAnnouncedLengthNotAllocated: a server announces 256 MiB, sends three
// bytes and then nothing. The Client must not allocate what was promised,
// only what arrived.
func TestAnnouncedLengthNotAllocated(t *testing.T) {
	const announced = 256 << 20
	srv := newRawServer(t, answer(func(*http.Request) (string, bool) {
		return "HTTP/1.1 200 OK\r\nContent-Length: 268435456\r\n\r\nabc", false
	}))
	c := newClient(t, fetch.WithMaxBodyBytes(1<<40), fetch.WithTimeout(200*time.Millisecond))
	before := totalAlloc()
	_, err := c.Get(testContext(t), "http://"+srv.addr+"/")
	allocated := totalAlloc() - before
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get = %v, want a timeout: the rest of the body never comes", err)
	}
	if allocated > 8<<20 {
		t.Errorf("Get allocated %d MiB for a 3-byte body announced as %d MiB", allocated>>20, announced>>20)
	}
}

// TestBodylessResponses: HEAD, 204 and 304 responses carry a
// Content-Length but no body, and cost nothing to read whatever it says.
func TestBodylessResponses(t *testing.T) {
	srv := newRawServer(t, answer(func(req *http.Request) (string, bool) {
		switch req.URL.Path {
		case "/204":
			return "HTTP/1.1 204 No Content\r\nContent-Length: 268435456\r\n\r\n", false
		case "/304":
			return "HTTP/1.1 304 Not Modified\r\nContent-Length: 268435456\r\n\r\n", false
		}
		// A HEAD of a large resource: its length, and no body.
		return "HTTP/1.1 200 OK\r\nContent-Length: 268435456\r\n\r\n", false
	}))
	base := "http://" + srv.addr
	for _, max := range []int64{10 << 20, 1 << 40} {
		c := newClient(t, fetch.WithMaxBodyBytes(max))
		for _, tc := range []struct {
			method, path string
			status       int
		}{
			{http.MethodHead, "/large", 200},
			{http.MethodGet, "/204", 204},
			{http.MethodHead, "/204", 204},
		} {
			req, _ := http.NewRequest(tc.method, base+tc.path, nil)
			before := totalAlloc()
			resp, err := c.Do(testContext(t), req)
			allocated := totalAlloc() - before
			if err != nil || resp.StatusCode != tc.status || len(resp.Body) != 0 {
				t.Errorf("cap %d: %s %s = %v, %v; want %d with no body", max, tc.method, tc.path, resp, err, tc.status)
			}
			if allocated > 8<<20 {
				t.Errorf("cap %d: %s %s allocated %d MiB", max, tc.method, tc.path, allocated>>20)
			}
		}
		// 304 is not 2xx: a StatusError, with no body read.
		_, err := c.Get(testContext(t), base+"/304")
		var se *fetch.StatusError
		if !errors.As(err, &se) || se.StatusCode != 304 || len(se.Body) != 0 {
			t.Errorf("cap %d: GET /304 = %v, want a 304 StatusError with no body", max, err)
		}
	}
}

// TestOptionExtremes: every option at the ends of the range
// its doc accepts, making real calls. Nothing may panic, and every call
// returns within its ctx. Calls that would retry for ever run until a
// short deadline; the others have the usual bound, so that a loaded machine
// does not fail them.
func TestOptionExtremes(t *testing.T) {
	ok := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	unavailable := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	const maxDur = time.Duration(math.MaxInt64)
	for _, tc := range []struct {
		name string
		opts []fetch.Option
		url  string
		want func(*fetch.Response, error) bool
		// untilDeadline: only ctx's deadline ends the call.
		untilDeadline bool
	}{
		{"MaxInFlight 1", []fetch.Option{fetch.WithMaxInFlight(1)}, ok.URL, succeeded, false},
		{"MaxInFlight MaxInt", []fetch.Option{fetch.WithMaxInFlight(math.MaxInt)}, ok.URL, succeeded, false},
		{"MaxPerHost 1", []fetch.Option{fetch.WithMaxPerHost(1)}, ok.URL, succeeded, false},
		{"MaxPerHost MaxInt", []fetch.Option{fetch.WithMaxPerHost(math.MaxInt)}, ok.URL, succeeded, false},
		{"MaxInFlight and MaxPerHost MaxInt", []fetch.Option{fetch.WithMaxInFlight(math.MaxInt), fetch.WithMaxPerHost(math.MaxInt - 1)}, ok.URL, succeeded, false},
		{"Timeout 1ns", []fetch.Option{fetch.WithTimeout(1)}, ok.URL, timedOut, false},
		{"Timeout 1ns, retried", []fetch.Option{fetch.WithTimeout(1), fetch.WithRetries(3), fetch.WithBackoff(1, 1)}, ok.URL, timedOut, false},
		{"Timeout MaxInt64", []fetch.Option{fetch.WithTimeout(maxDur)}, ok.URL, succeeded, false},
		{"MaxBodyBytes 1", []fetch.Option{fetch.WithMaxBodyBytes(1)}, ok.URL, tooLarge, false},
		{"MaxBodyBytes MaxInt64", []fetch.Option{fetch.WithMaxBodyBytes(math.MaxInt64)}, ok.URL, succeeded, false},
		{"Retries MaxInt", []fetch.Option{fetch.WithRetries(math.MaxInt), fetch.WithBackoff(time.Millisecond, time.Millisecond)}, unavailable.URL, timedOut, true},
		{"Backoff 1ns", []fetch.Option{fetch.WithRetries(5), fetch.WithBackoff(1, 1)}, unavailable.URL, status503, false},
		{"Backoff 1ns to MaxInt64", []fetch.Option{fetch.WithRetries(100), fetch.WithBackoff(1, maxDur)}, unavailable.URL, timedOut, true},
		{"Backoff MaxInt64", []fetch.Option{fetch.WithRetries(3), fetch.WithBackoff(maxDur, maxDur)}, unavailable.URL, gaveUpAt503, false},
		{"Backoff near MaxInt64", []fetch.Option{fetch.WithRetries(3), fetch.WithBackoff(maxDur/2+1, maxDur)}, unavailable.URL, gaveUpAt503, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.opts...)
			d := bound
			if tc.untilDeadline {
				d = 500 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(t.Context(), d)
			defer cancel()
			var (
				resp *fetch.Response
				err  error
			)
			noPanic(t, "Get", func() { resp, err = c.Get(ctx, tc.url) })
			if !tc.want(resp, err) {
				t.Errorf("Get = %v, %v", resp, err)
			}
			done := make(chan error, 1)
			noPanic(t, "Go", func() {
				if err := c.Go(ctx, tc.url, func(_ *fetch.Response, err error) { done <- err }); err != nil {
					done <- err
				}
			})
			within(t, done, bound, "Go's done")
		})
	}
}

func succeeded(resp *fetch.Response, err error) bool {
	return err == nil && string(resp.Body) == "ok"
}

// timedOut: an attempt, or the call, ran out of time.
func timedOut(resp *fetch.Response, err error) bool {
	return resp == nil && errors.Is(err, context.DeadlineExceeded)
}

func tooLarge(resp *fetch.Response, err error) bool {
	return resp == nil && errors.Is(err, fetch.ErrBodyTooLarge)
}

func status503(resp *fetch.Response, err error) bool {
	var se *fetch.StatusError
	return resp == nil && errors.As(err, &se) && se.StatusCode == 503
}

// gaveUpAt503: the retries ran into ctx's deadline, and the error says so
// along with the last failure.
func gaveUpAt503(resp *fetch.Response, err error) bool {
	return status503(resp, err) && errors.Is(err, context.DeadlineExceeded)
}

// TestRetryAfterTooLarge: a Retry-After too large to represent
// is the longest wait there is, beyond any cap, so the call returns the
// StatusError at once instead of retrying.
func TestRetryAfterTooLarge(t *testing.T) {
	for _, v := range []string{
		"99999999999999999999",
		" 99999999999999999999 ",
		"9223372037", // one second more than a Duration holds
		strings.Repeat("9", 10000),
		"Fri, 31 Dec 9999 23:59:59 GMT",
	} {
		for _, backoffMax := range []time.Duration{10 * time.Millisecond, math.MaxInt64} {
			srv, hits := scriptedServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", v)
				w.WriteHeader(http.StatusTooManyRequests)
			})
			c := newClient(t, fetch.WithRetries(3), fetch.WithBackoff(time.Millisecond, backoffMax))
			// No deadline, so that only the Retry-After decides; the
			// timer only stops a hang from hanging the test.
			ctx, cancel := context.WithCancel(t.Context())
			defer time.AfterFunc(bound, cancel).Stop()
			start := time.Now()
			_, err := c.Get(ctx, srv.URL)
			cancel()
			var se *fetch.StatusError
			if !errors.As(err, &se) || se.StatusCode != 429 || se.RetryAfter != math.MaxInt64 {
				t.Errorf("Retry-After %.30q, cap %v: Get = %v, want a 429 with the longest RetryAfter", v, backoffMax, err)
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Retry-After %.30q, cap %v: Get = %v, want it returned before ctx ended", v, backoffMax, err)
			}
			if n := hits.Load(); n != 1 {
				t.Errorf("Retry-After %.30q, cap %v: server saw %d requests, want 1", v, backoffMax, n)
			}
			if d := time.Since(start); d > bound/2 {
				t.Errorf("Retry-After %.30q, cap %v: returned after %v", v, backoffMax, d)
			}
		}
	}
}

// TestTimeoutIsNetError: a timed-out attempt, whether it was
// waiting for headers or reading the body, and whether or not it was
// retried, is a net.Error whose Timeout is true and a
// context.DeadlineExceeded.
func TestTimeoutIsNetError(t *testing.T) {
	hanging, _ := hangingServer(t)
	trickle := trickleServer(t)
	for _, tc := range []struct {
		name, url string
		retries   int
	}{
		{"headers", hanging.URL, 0},
		{"headers, retried", hanging.URL, 1},
		{"body", trickle.URL, 0},
		{"body, retried", trickle.URL, 1},
	} {
		c := newClient(t, fetch.WithTimeout(100*time.Millisecond), fetch.WithRetries(tc.retries), fast)
		_, err := c.Get(testContext(t), tc.url)
		var netErr net.Error
		if !errors.As(err, &netErr) || !netErr.Timeout() {
			t.Errorf("%s: Get = %v, want a net.Error whose Timeout is true", tc.name, err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: Get = %v, want a context.DeadlineExceeded", tc.name, err)
		}
	}
}
