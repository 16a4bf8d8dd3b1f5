package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/leakproof/leakproof/fetch"
)

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
