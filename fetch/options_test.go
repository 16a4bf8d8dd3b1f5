package fetch_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/leakproof/leakproof/fetch"
	"github.com/leakproof/leakproof/internal/testenv"
)

func TestPanics(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	done := func(*fetch.Response, error) {}
	f := func(*http.Response) error { return nil }
	req, _ := http.NewRequest("GET", "http://x/", nil)
	for want, f := range map[string]func(){
		"fetch: WithMaxInFlight: n must be positive, got 0":             func() { fetch.WithMaxInFlight(0) },
		"fetch: WithMaxPerHost: n must be positive, got -1":             func() { fetch.WithMaxPerHost(-1) },
		"fetch: WithTimeout: d must be positive, got 0s":                func() { fetch.WithTimeout(0) },
		"fetch: WithMaxBodyBytes: n must be positive, got 0":            func() { fetch.WithMaxBodyBytes(0) },
		"fetch: WithRetries: n must not be negative, got -1":            func() { fetch.WithRetries(-1) },
		"fetch: WithBackoff: want 0 < base <= max, got base 2s, max 1s": func() { fetch.WithBackoff(2*time.Second, time.Second) },
		"fetch: WithHTTPClient: nil *http.Client":                       func() { fetch.WithHTTPClient(nil) },
		"fetch: New: nil Option":                                        func() { fetch.New(nil) },
		"fetch: Client.Get: nil Context":                                func() { c.Get(nil, "http://x/") },    //lint:ignore SA1012 the nil Context is the test
		"fetch: Client.TryGet: nil Context":                             func() { c.TryGet(nil, "http://x/") }, //lint:ignore SA1012 the nil Context is the test
		"fetch: Client.Do: nil Context":                                 func() { c.Do(nil, nil) },             //lint:ignore SA1012 the nil Context is the test
		"fetch: Client.Do: nil *http.Request":                           func() { c.Do(ctx, nil) },
		"fetch: Client.Go: nil Context":                                 func() { c.Go(nil, "http://x/", done) },    //lint:ignore SA1012 the nil Context is the test
		"fetch: Client.TryGo: nil Context":                              func() { c.TryGo(nil, "http://x/", done) }, //lint:ignore SA1012 the nil Context is the test
		"fetch: Client.GetAll: nil Context":                             func() { c.GetAll(nil, nil) },              //lint:ignore SA1012 the nil Context is the test
		"fetch: Client.DoFunc: nil Context":                             func() { c.DoFunc(nil, req, f) },           //lint:ignore SA1012 the nil Context is the test
		"fetch: Client.DoFunc: nil *http.Request":                       func() { c.DoFunc(ctx, nil, f) },
		"fetch: Client.DoFunc: nil func":                                func() { c.DoFunc(ctx, req, nil) },
		"fetch: Client.Go: nil done func":                               func() { c.Go(ctx, "http://x/", nil) },
		"fetch: Client.TryGo: nil done func":                            func() { c.TryGo(ctx, "http://x/", nil) },
	} {
		if got := testenv.PanicValue(f); got != want {
			t.Errorf("panic = %v, want %q", got, want)
		}
	}
}
