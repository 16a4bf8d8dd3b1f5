package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leakproof/leakproof/fetch"
	"github.com/leakproof/leakproof/internal/testenv"
)

// TestDoFuncStreams: a 50 MB body streams through DoFunc in the memory of
// a few buffers. Get would hold all 50 MB; the bound is 2 MB of allocation
// in total, client and in-process server together.
func TestDoFuncStreams(t *testing.T) {
	const size = 50 << 20
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	// The default cap is 10 MiB: the stream is not buffered, so not capped.
	c := newClient(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	var got int64
	runtime.GC()
	before := totalAlloc()
	err := c.DoFunc(testContext(t), req, func(resp *http.Response) error {
		var err error
		got, err = io.Copy(io.Discard, resp.Body)
		return err
	})
	allocated := totalAlloc() - before
	if err != nil || got != size {
		t.Fatalf("DoFunc = %v after %d bytes, want %d bytes", err, got, size)
	}
	t.Logf("streamed %d MiB with %d KiB allocated", size>>20, allocated>>10)
	if allocated > 2<<20 {
		t.Errorf("streaming %d MiB allocated %d KiB, want under 2 MiB", size>>20, allocated>>10)
	}
}

// TestDoFunc: f is called once, for a 2xx response, in the slot; its error
// comes back as it is and is never retried; the body is closed after f
// however f returns.
func TestDoFunc(t *testing.T) {
	srv, hits := scriptedServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/missing":
			w.WriteHeader(http.StatusNotFound)
		case r.URL.Path == "/flaky" && n%2 == 0:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			io.WriteString(w, "body")
		}
	})
	c := newClient(t, fetch.WithRetries(2), fast)
	ctx := testContext(t)
	get := func(path string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		return req
	}

	t.Run("2xx", func(t *testing.T) {
		var body string
		var inFlight int
		err := c.DoFunc(ctx, get("/ok"), func(resp *http.Response) error {
			inFlight = c.InFlight()
			b, err := io.ReadAll(resp.Body)
			body = string(b)
			return err
		})
		if err != nil || body != "body" || inFlight != 1 {
			t.Errorf("DoFunc = %v, body %q, InFlight in f %d; want nil, body, 1", err, body, inFlight)
		}
	})
	t.Run("not 2xx", func(t *testing.T) {
		hits.Store(0)
		err := c.DoFunc(ctx, get("/missing"), func(*http.Response) error {
			t.Error("f called for a 404")
			return nil
		})
		var se *fetch.StatusError
		if !errors.As(err, &se) || se.StatusCode != 404 || hits.Load() != 1 {
			t.Errorf("DoFunc = %v after %d requests, want a 404 StatusError after 1", err, hits.Load())
		}
	})
	t.Run("retried before f", func(t *testing.T) {
		hits.Store(0)
		calls := 0
		err := c.DoFunc(ctx, get("/flaky"), func(resp *http.Response) error {
			calls++
			if resp.StatusCode != 200 {
				t.Errorf("f got status %d", resp.StatusCode)
			}
			return nil
		})
		if err != nil || calls != 1 || hits.Load() != 2 {
			t.Errorf("DoFunc = %v, f called %d times, %d requests; want nil, 1, 2", err, calls, hits.Load())
		}
	})
	t.Run("f's error as is, not retried", func(t *testing.T) {
		hits.Store(0)
		fErr := errors.New("f failed")
		var kept io.ReadCloser
		err := c.DoFunc(ctx, get("/ok"), func(resp *http.Response) error {
			kept = resp.Body // not read, not closed
			return fErr
		})
		if err != fErr || hits.Load() != 1 {
			t.Errorf("DoFunc = %v after %d requests, want f's error itself after 1", err, hits.Load())
		}
		if _, err := kept.Read(make([]byte, 1)); err == nil {
			t.Error("the body can still be read after DoFunc returned")
		}
	})
	t.Run("panic", func(t *testing.T) {
		var kept io.ReadCloser
		p := testenv.PanicValue(func() {
			c.DoFunc(ctx, get("/ok"), func(resp *http.Response) error {
				kept = resp.Body
				panic("f panicked")
			})
		})
		if p != "f panicked" {
			t.Errorf("DoFunc panicked with %v, want f's panic", p)
		}
		if _, err := kept.Read(make([]byte, 1)); err == nil {
			t.Error("the body can still be read after f panicked")
		}
		if n := c.InFlight(); n != 0 {
			t.Errorf("InFlight after f panicked = %d, want 0", n)
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodHead, srv.URL, nil)
		err := c.DoFunc(ctx, req, func(resp *http.Response) error {
			b, err := io.ReadAll(resp.Body)
			if len(b) != 0 {
				t.Errorf("HEAD body %q", b)
			}
			return err
		})
		if err != nil {
			t.Error(err)
		}
	})
}

// TestDoFuncTrickle: f runs within the attempt's timeout, so a body that
// trickles is cut off and f's read says it timed out.
func TestDoFuncTrickle(t *testing.T) {
	const timeout = 300 * time.Millisecond
	srv := trickleServer(t)
	c := newClient(t, fetch.WithTimeout(timeout), fetch.WithRetries(3), fast)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	calls := 0
	start := time.Now()
	err := c.DoFunc(testContext(t), req, func(resp *http.Response) error {
		calls++
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	})
	elapsed := time.Since(start)
	var netErr net.Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("DoFunc = %v, want f's read to have timed out", err)
	}
	if calls != 1 {
		t.Errorf("f called %d times, want once: no retry after f", calls)
	}
	if elapsed < timeout || elapsed > timeout+2*time.Second {
		t.Errorf("DoFunc returned after %v, want about %v", elapsed, timeout)
	}
}

// TestDoFuncClose: Close cancels a call whose f is reading; f's read fails
// with ErrClosed, and Close waits for f to return.
func TestDoFuncClose(t *testing.T) {
	srv := hangingServerWithHeaders(t)
	c := newClient(t)
	req, _ := http.NewRequest(http.MethodGet, srv, nil)
	inF := make(chan struct{})
	returned := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- c.DoFunc(context.Background(), req, func(resp *http.Response) error {
			close(inF)
			_, err := io.Copy(io.Discard, resp.Body)
			close(returned)
			return err
		})
	}()
	within(t, inF, bound, "f")
	c.Close()
	select {
	case <-returned:
	default:
		t.Error("Close returned before f did")
	}
	if err := within(t, errc, bound, "DoFunc"); !errors.Is(err, fetch.ErrClosed) {
		t.Errorf("DoFunc = %v, want f's read to fail with ErrClosed", err)
	}
	if err := c.DoFunc(context.Background(), req, func(*http.Response) error { return nil }); err != fetch.ErrClosed {
		t.Errorf("DoFunc after Close = %v, want ErrClosed", err)
	}
}

// hangingServerWithHeaders sends its headers and then nothing, until the
// client goes away. It returns the server's URL.
func hangingServerWithHeaders(t *testing.T) string {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	return srv.URL
}

// TestResponseURL: Response.URL is where the response came from, after
// redirects.
func TestResponseURL(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/from" {
			http.Redirect(w, r, "/to?x=1", http.StatusFound)
			return
		}
		io.WriteString(w, r.URL.Path)
	})
	c := newClient(t)
	for path, want := range map[string]string{"/from": srv.URL + "/to?x=1", "/here": srv.URL + "/here"} {
		resp, err := c.Get(testContext(t), srv.URL+path)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.URL.String(); got != want {
			t.Errorf("Get(%s): URL = %s, want %s", path, got, want)
		}
	}
	for _, r := range c.GetAll(testContext(t), []string{srv.URL + "/from"}) {
		if r.Err != nil || !strings.HasSuffix(r.Response.URL.String(), "/to?x=1") {
			t.Errorf("GetAll: %v, %v, want the redirect's target", r.Response, r.Err)
		}
	}
}
