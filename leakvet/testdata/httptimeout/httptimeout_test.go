package httptimeout

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/leakproof/leakproof/leaktest"
	"leakvet.test/harness"
)

// The server never answers. Before the fix every request's goroutine is
// still waiting when the function returns; after it, the fetch.Client's
// Close has cancelled them.

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

func TestPoll(t *testing.T) {
	url := harness.Hanging(t)
	harness.Run(t, func() {
		ctx, cancel := context.WithCancel(context.Background())
		tick := make(chan time.Time)
		done := make(chan struct{})
		go func() {
			defer close(done)
			poll(ctx, url, tick)
		}()
		for range 3 {
			tick <- time.Now()
		}
		cancel()
		<-done
	})
}

func TestPing(t *testing.T) {
	url := harness.Hanging(t)
	harness.Run(t, func() { ping(url, 3, time.Millisecond) })
}

// hammer requests the test's own server from many goroutines, as tests
// do: test files are not reported.
func hammer(url string, n int) {
	for range n {
		go func() {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
}
