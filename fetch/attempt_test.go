package fetch_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leakproof/leakproof/fetch"
)

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

// TestTrickle: a server that trickles its body sends headers at once, so
// only a timeout that covers the body can cut it off.
func TestTrickle(t *testing.T) {
	const timeout = 300 * time.Millisecond
	srv := trickleServer(t)
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
