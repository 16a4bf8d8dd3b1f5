package fetch_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/leakproof/leakproof/fetch"
)

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
