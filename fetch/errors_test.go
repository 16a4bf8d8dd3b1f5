package fetch_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
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
	if got, want := se.Error(), "fetch: "+wantURL+": 404 Not Found"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if hits.Load() != 1 {
		t.Errorf("a 404 was tried %d times, want once: it is not retryable", hits.Load())
	}
}
