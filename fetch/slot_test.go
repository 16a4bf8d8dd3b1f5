package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakproof/leakproof/fetch"
)

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
