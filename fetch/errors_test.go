package fetch_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakproof/leakproof/fetch"
)

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
	if got, want := se.Error(), "fetch: GET "+wantURL+": 404 Not Found"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if hits.Load() != 1 {
		t.Errorf("a 404 was tried %d times, want once: it is not retryable", hits.Load())
	}
}

// TestErrorText: every failure of a request has one shape,
// with one attempt or many, naming the request once and its cause once, and
// errors.Is and errors.As still reach what it wraps.
func TestErrorText(t *testing.T) {
	hanging, _ := hangingServer(t)
	trickle := trickleServer(t)
	status := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "3600")
		}
		w.WriteHeader(code)
		io.WriteString(w, "0123456789")
	})
	refused := "http://" + refusedAddr(t) + "/"
	ms := 100 * time.Millisecond
	secret := strings.Replace(status.URL, "http://", "http://user:secret@", 1)
	redacted := strings.Replace(status.URL, "http://", "http://user:xxxxx@", 1)

	var netErr net.Error
	var se *fetch.StatusError
	for _, tc := range []struct {
		name string
		opts []fetch.Option
		url  string
		want string
		is   []error
		as   []any
	}{
		{"timed out", []fetch.Option{fetch.WithTimeout(ms)}, hanging.URL,
			"fetch: GET " + hanging.URL + ": timed out after 100ms",
			[]error{context.DeadlineExceeded}, []any{&netErr}},
		{"timed out, retried", []fetch.Option{fetch.WithTimeout(ms), fetch.WithRetries(2), fast}, hanging.URL,
			"fetch: GET " + hanging.URL + ": attempt 3 of 3: timed out after 100ms",
			[]error{context.DeadlineExceeded}, []any{&netErr}},
		{"body timed out", []fetch.Option{fetch.WithTimeout(ms)}, trickle.URL,
			"fetch: GET " + trickle.URL + ": reading the body: timed out after 100ms",
			[]error{context.DeadlineExceeded}, []any{&netErr}},
		{"status", nil, status.URL + "/404",
			"fetch: GET " + status.URL + "/404: 404 Not Found",
			nil, []any{&se}},
		{"status, retried", []fetch.Option{fetch.WithRetries(2), fast}, status.URL + "/503",
			"fetch: GET " + status.URL + "/503: attempt 3 of 3: 503 Service Unavailable",
			nil, []any{&se}},
		{"status not retried", []fetch.Option{fetch.WithRetries(2), fast}, status.URL + "/404",
			"fetch: GET " + status.URL + "/404: attempt 1 of 3: 404 Not Found",
			nil, []any{&se}},
		{"unknown status", nil, status.URL + "/599",
			"fetch: GET " + status.URL + "/599: 599",
			nil, []any{&se}},
		{"password redacted", nil, secret + "/404",
			"fetch: GET " + redacted + "/404: 404 Not Found",
			nil, []any{&se}},
		{"refused, retried", []fetch.Option{fetch.WithRetries(1), fast}, refused,
			"fetch: GET " + refused + ": attempt 2 of 2: dial tcp " + strings.TrimSuffix(strings.TrimPrefix(refused, "http://"), "/") + ": connect: connection refused",
			[]error{syscall.ECONNREFUSED}, nil},
		{"too large", []fetch.Option{fetch.WithMaxBodyBytes(4)}, status.URL + "/200",
			"fetch: GET " + status.URL + "/200: body too large: over the 4-byte cap",
			[]error{fetch.ErrBodyTooLarge}, nil},
		{"Retry-After beyond the cap", []fetch.Option{fetch.WithRetries(3), fetch.WithBackoff(time.Millisecond, time.Second)}, status.URL + "/429",
			"fetch: GET " + status.URL + "/429: attempt 1 of 4: 429 Too Many Requests; not retrying: Retry-After 1h0m0s is beyond the 1s cap",
			nil, []any{&se}},
		{"past the deadline", []fetch.Option{fetch.WithRetries(5), fetch.WithBackoff(time.Hour, time.Hour)}, status.URL + "/503",
			"fetch: GET " + status.URL + "/503: attempt 1 of 6: 503 Service Unavailable; not retrying: the next attempt, in 1h0m0s, would start past ctx's deadline",
			[]error{context.DeadlineExceeded}, []any{&se}},
	} {
		c := newClient(t, tc.opts...)
		fetch.SetJitter(c, func(ceil time.Duration) time.Duration { return ceil })
		_, err := c.Get(testContext(t), tc.url)
		checkErr(t, tc.name, err, tc.want, tc.is, tc.as)
	}

	t.Run("POST is not retried", func(t *testing.T) {
		c := newClient(t, fetch.WithRetries(2), fast)
		req, _ := http.NewRequest(http.MethodPost, status.URL+"/503", strings.NewReader("p"))
		_, err := c.Do(testContext(t), req)
		checkErr(t, "POST", err, "fetch: POST "+status.URL+"/503: 503 Service Unavailable", nil, []any{&se})
	})
	t.Run("closed while waiting to retry", func(t *testing.T) {
		c := newClient(t, fetch.WithRetries(3))
		waiting := make(chan struct{})
		fetch.SetJitter(c, func(time.Duration) time.Duration { close(waiting); return time.Hour })
		errc := make(chan error, 1)
		go func() {
			_, err := c.Get(t.Context(), status.URL+"/502") // no deadline: Close ends the wait
			errc <- err
		}()
		within(t, waiting, bound, "the first attempt")
		c.Close()
		checkErr(t, "closed while waiting", within(t, errc, bound, "Get"),
			"fetch: GET "+status.URL+"/502: attempt 1 of 4: 502 Bad Gateway; waiting to retry: client closed",
			[]error{fetch.ErrClosed}, []any{&se})
	})
	t.Run("closed in flight", func(t *testing.T) {
		c := newClient(t, fetch.WithMaxInFlight(1))
		errc := make(chan error, 1)
		if err := c.Go(testContext(t), hanging.URL, func(_ *fetch.Response, err error) { errc <- err }); err != nil {
			t.Fatal(err)
		}
		// A second caller waits for the only slot until its ctx ends.
		short, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Get(short, hanging.URL+"/second")
		checkErr(t, "waiting for a slot", err,
			"fetch: GET "+hanging.URL+"/second: waiting for a slot: context deadline exceeded",
			[]error{context.DeadlineExceeded}, nil)
		waitForStack(t, "net/http.(*persistConn).roundTrip")
		c.Close()
		checkErr(t, "closed in flight", within(t, errc, bound, "done"),
			"fetch: GET "+hanging.URL+": client closed", []error{fetch.ErrClosed}, nil)
	})
}

func checkErr(t *testing.T, name string, err error, want string, is []error, as []any) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %q", name, want)
		return
	}
	if err.Error() != want {
		t.Errorf("%s:\n got %q\nwant %q", name, err, want)
	}
	for _, target := range is {
		if !errors.Is(err, target) {
			t.Errorf("%s: %q is not %v", name, err, target)
		}
	}
	for _, target := range as {
		if !errors.As(err, target) {
			t.Errorf("%s: %q has no %T", name, err, target)
		}
	}
}
