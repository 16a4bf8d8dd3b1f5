package fetch

import (
	"fmt"
	"net/http"
	"time"
)

const (
	defaultMaxInFlight  = 16
	defaultTimeout      = 30 * time.Second
	defaultMaxBodyBytes = 10 << 20
	defaultBackoffBase  = 100 * time.Millisecond
	defaultBackoffMax   = 10 * time.Second
)

type config struct {
	maxInFlight int
	maxPerHost  int // 0: no limit beyond maxInFlight
	timeout     time.Duration
	maxBody     int64
	retries     int
	backoffBase time.Duration
	backoffMax  time.Duration
	hc          *http.Client
}

func defaultConfig() config {
	return config{
		maxInFlight: defaultMaxInFlight,
		timeout:     defaultTimeout,
		maxBody:     defaultMaxBodyBytes,
		backoffBase: defaultBackoffBase,
		backoffMax:  defaultBackoffMax,
	}
}

// An Option configures a [Client] in [New]. An option given a value its
// documentation refuses panics when it is called, naming itself; every value
// it accepts, up to the largest the type holds, is safe to use.
type Option func(*config)

// WithMaxInFlight sets how many requests may be in flight at once; the
// default is 16. It panics if n is not positive.
func WithMaxInFlight(n int) Option {
	if n <= 0 {
		panic(fmt.Sprintf("fetch: WithMaxInFlight: n must be positive, got %d", n))
	}
	return func(c *config) { c.maxInFlight = n }
}

// WithMaxPerHost sets how many requests may be in flight to one host
// (host:port) at once; by default only MaxInFlight limits them, and a value
// at or above MaxInFlight has no further effect. It panics if n is not
// positive.
func WithMaxPerHost(n int) Option {
	if n <= 0 {
		panic(fmt.Sprintf("fetch: WithMaxPerHost: n must be positive, got %d", n))
	}
	return func(c *config) { c.maxPerHost = n }
}

// WithTimeout sets the time limit of each attempt, covering the connection,
// the response headers and the whole body, streamed or not; the default is
// 30s. It panics if d is not positive: there is no way to turn the timeout
// off.
func WithTimeout(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("fetch: WithTimeout: d must be positive, got %v", d))
	}
	return func(c *config) { c.timeout = d }
}

// WithMaxBodyBytes sets the longest response body the Client reads into
// memory; a longer one is an error wrapping [ErrBodyTooLarge]. The default is
// 10 MiB. It caps the bodies of [Response] and of a [StatusError], not the
// stream that [Client.DoFunc] hands its func. Memory grows with the bytes
// that arrive, up to the cap, whatever length the server announces. It
// panics if n is not positive.
func WithMaxBodyBytes(n int64) Option {
	if n <= 0 {
		panic(fmt.Sprintf("fetch: WithMaxBodyBytes: n must be positive, got %d", n))
	}
	return func(c *config) { c.maxBody = n }
}

// WithRetries sets how many times a failed request that is safe to repeat is
// tried again; the default is 0. See the package documentation for which
// requests and failures qualify. It panics if n is negative.
func WithRetries(n int) Option {
	if n < 0 {
		panic(fmt.Sprintf("fetch: WithRetries: n must not be negative, got %d", n))
	}
	return func(c *config) { c.retries = n }
}

// WithBackoff sets the waits between retries: before retry k the Client
// waits a random duration between zero and min(max, base·2^(k-1)). max also
// caps the Retry-After the Client honours. The defaults are 100ms and 10s.
// It panics unless 0 < base <= max.
func WithBackoff(base, max time.Duration) Option {
	if base <= 0 || max < base {
		panic(fmt.Sprintf("fetch: WithBackoff: want 0 < base <= max, got base %v, max %v", base, max))
	}
	return func(c *config) { c.backoffBase, c.backoffMax = base, max }
}

// WithHTTPClient makes the Client send its requests through hc instead of a
// transport of its own. The slots, the per-attempt timeout (carried by each
// request's context), the body cap and the retries still apply; hc's
// transport settings, redirect policy, cookie jar and its own Timeout are
// used as they are, and the Client does not change hc. The connections are
// hc's: [Client.Close] calls hc.CloseIdleConnections, but does not wait for
// them to close. It panics if hc is nil.
func WithHTTPClient(hc *http.Client) Option {
	if hc == nil {
		panic("fetch: WithHTTPClient: nil *http.Client")
	}
	return func(c *config) { c.hc = hc }
}
