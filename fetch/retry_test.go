package fetch_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakproof/leakproof/fetch"
)

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
	if !strings.Contains(err.Error(), ": attempt 3 of 3: 503 Service Unavailable") {
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
	if !strings.Contains(err.Error(), ": attempt 3 of 3: ") {
		t.Errorf("error %q: a refused connection should be retried", err)
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
		{"+3", 0, false},
		{"3.5", 0, false},
		{"0x10", 0, false},
		{"-99999999999999999999", 0, false},
		{"007", 7 * time.Second, true},
		{"9223372036", 9223372036 * time.Second, true}, // the most seconds a Duration holds
		{"9223372037", math.MaxInt64, true},
		{"99999999999999999999", math.MaxInt64, true},
		{" 99999999999999999999 ", math.MaxInt64, true},
		{strings.Repeat("9", 100000), math.MaxInt64, true},
		{"Fri, 31 Dec 9999 23:59:59 GMT", math.MaxInt64, true},
		{"Mon, 01 Jan 0001 00:00:00 GMT", 0, true},
		{"Sunday, 06-Nov-94 08:49:37 GMT", 0, true}, // RFC 850, in the past
		{" " + now.Add(time.Minute).Format(http.TimeFormat) + "\t", time.Minute, true},
		{"Fri, 32 Dec 9999 23:59:59 GMT", 0, false},
	} {
		d, ok := fetch.ParseRetryAfter(tc.v, now)
		if d != tc.d || ok != tc.ok {
			t.Errorf("parseRetryAfter(%.40q) = %v, %v, want %v, %v", tc.v, d, ok, tc.d, tc.ok)
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
