package fetch_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakproof/leakproof/fetch"
)

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

// bareTransport returns its responses without the Request field, as a
// RoundTripper a user writes may.
type bareTransport struct{ base *http.Transport }

func (t bareTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if resp != nil {
		resp.Request = nil
	}
	return resp, err
}

// TestBareRoundTripper: a response without its Request still works.
func TestBareRoundTripper(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	c := newClient(t, fetch.WithHTTPClient(&http.Client{Transport: bareTransport{tr}}))
	resp, err := c.Get(testContext(t), srv.URL+"/x")
	if err != nil || string(resp.Body) != "ok" || resp.URL.String() != srv.URL+"/x" {
		t.Fatalf("Get = %v, %v", resp, err)
	}
}

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
