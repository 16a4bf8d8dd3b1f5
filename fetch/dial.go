package fetch

import (
	"net/http"
	"time"
)

// newTransport clones http.DefaultTransport (proxy settings, dial and TLS
// timeouts, HTTP/2) and matches its connection pool to the slots: with the
// default of 2 idle connections per host, a Client running 16 requests to
// one host would dial and discard connections on every burst.
func newTransport(cfg config) *http.Transport {
	t, ok := http.DefaultTransport.(*http.Transport)
	if ok {
		t = t.Clone()
	} else { // a program replaced http.DefaultTransport
		t = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	perHost := cfg.maxInFlight
	if cfg.maxPerHost > 0 {
		perHost = cfg.maxPerHost
	}
	t.MaxConnsPerHost = perHost
	t.MaxIdleConnsPerHost = perHost
	if t.MaxIdleConns != 0 && t.MaxIdleConns < cfg.maxInFlight {
		t.MaxIdleConns = cfg.maxInFlight
	}
	// Redundant with the attempt's context, which covers the headers too:
	// a second guard at the transport's level. Its clock starts only once
	// the request is written, so it never cuts an attempt shorter; when it
	// fires first, timedOut still reports the attempt's timeout.
	t.ResponseHeaderTimeout = cfg.timeout
	return t
}
