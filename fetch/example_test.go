package fetch_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/leakproof/leakproof/fetch"
)

func ExampleClient_Get() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "hello")
	}))
	defer srv.Close()

	c := fetch.New(fetch.WithTimeout(5 * time.Second))
	defer c.Close()
	ctx := context.Background()

	resp, err := c.Get(ctx, srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, string(resp.Body))

	_, err = c.Get(ctx, srv.URL+"/missing")
	var se *fetch.StatusError
	if errors.As(err, &se) {
		fmt.Println(se.StatusCode, strings.TrimSpace(string(se.Body)))
	}
	// Output:
	// 200 hello
	// 404 404 page not found
}

// slowServer starts a server that never answers, until stop.
func slowServer() (url string, stop func()) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	return srv.URL, func() { close(release); srv.Close() }
}

// ExampleClient_TryGo is the goroutine-per-tick loop made safe. The server
// never answers; a loop of go http.Get would leave a goroutine behind on
// every tick. Here a tick that finds both slots taken is skipped, and Close
// ends the two stuck requests and waits for their callbacks.
func ExampleClient_TryGo() {
	url, stop := slowServer()
	defer stop()

	c := fetch.New(fetch.WithMaxInFlight(2), fetch.WithTimeout(10*time.Second))
	var failed atomic.Int64
	handle := func(resp *fetch.Response, err error) {
		if err != nil {
			failed.Add(1)
			return
		}
		_ = resp.Body // use the body
	}

	ctx := context.Background()
	ticker := time.NewTicker(time.Millisecond)
	defer ticker.Stop()
	started, skipped := 0, 0
	for range 6 {
		<-ticker.C
		switch err := c.TryGo(ctx, url, handle); {
		case err == nil:
			started++
		case errors.Is(err, fetch.ErrSaturated):
			skipped++ // every slot is busy: skip this tick
		default:
			fmt.Println(err)
		}
	}
	c.Close() // cancels the stuck requests, waits for handle, closes connections
	fmt.Printf("started %d, skipped %d, failed %d\n", started, skipped, failed.Load())
	// Output:
	// started 2, skipped 4, failed 2
}

// ExampleClient_DoFunc streams a body larger than the Client would hold in
// memory (the cap is 10 MiB by default) into a hash. The slot, the attempt's
// timeout and closing the body are still the Client's business.
func ExampleClient_DoFunc() {
	const size = 20 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), size))
	}))
	defer srv.Close()

	c := fetch.New(fetch.WithTimeout(10 * time.Second))
	defer c.Close()

	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := sha256.New()
	var n int64
	err = c.DoFunc(context.Background(), req, func(resp *http.Response) error {
		var err error
		n, err = io.Copy(h, resp.Body)
		return err
	})
	fmt.Printf("%d MiB, %v, sha256 %x...\n", n>>20, err, h.Sum(nil)[:4])
	// Output:
	// 20 MiB, <nil>, sha256 6adfa077...
}

func ExampleClient_GetAll() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/teapot" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		io.WriteString(w, strings.ToUpper(strings.TrimPrefix(r.URL.Path, "/")))
	}))
	defer srv.Close()

	c := fetch.New(fetch.WithMaxInFlight(2))
	defer c.Close()

	urls := []string{srv.URL + "/a", srv.URL + "/teapot", "gopher://example.com/", srv.URL + "/b"}
	for i, r := range c.GetAll(context.Background(), urls) {
		var se *fetch.StatusError
		switch {
		case r.Err == nil:
			fmt.Println(i, r.Response.StatusCode, string(r.Response.Body))
		case errors.As(r.Err, &se):
			fmt.Println(i, se.StatusCode)
		default:
			fmt.Println(i, r.Err)
		}
	}
	// Output:
	// 0 200 A
	// 1 418
	// 2 fetch: unsupported URL scheme "gopher" in "gopher://example.com/": want http or https
	// 3 200 B
}
