// Package harness runs a fixed case under a leak check, bounded in time so
// that the unfixed case fails instead of hanging.
package harness

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Run calls f and fails t if f does not return within three seconds, or if
// a goroutine that was not running before f outlives it.
func Run(t *testing.T, f func()) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("still running after 3s")
	}
	if err := goleak.Find(before); err != nil {
		t.Fatal(err)
	}
}

// Hanging starts a server that answers no request until the client gives up
// or the test ends, and returns its URL.
func Hanging(t *testing.T) string {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() {
		close(stop)
		srv.Close()
	})
	return srv.URL
}
