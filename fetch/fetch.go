// Package fetch makes HTTP requests with every bound a long-running program
// needs: a limit on requests in flight, a timeout on each attempt that
// covers the body, a cap on the body's size, and retries that stop at the
// caller's deadline.
//
// It replaces the goroutine-per-tick loop that calls http.Get: the default
// client has no timeout, so when the server is slow every goroutine waits
// forever and their number grows without end. Its cousins leak the same way:
// a resp.Body nobody closes keeps the transport's goroutines alive, and a
// pool that starts a goroutine per request before it takes a slot piles them
// up behind the slot. A Client reads and closes every body itself, and Go
// and TryGo take a slot before they start a goroutine, so the goroutines a
// Client starts never outnumber its MaxInFlight slots. net/http's own, two
// per open connection, are bounded too: the Client's transport allows no
// more connections per host than it has slots.
//
// # Slots
//
// Every request holds a slot from first attempt to last, including the waits
// between retries; a request started by Go or TryGo holds it until its done
// callback returns. A Client has MaxInFlight slots (WithMaxInFlight) and, with
// WithMaxPerHost, at most MaxPerHost of them go to one host (host:port, as
// the URL names it; a redirect to another host counts against the first).
// Get, Do, Go and GetAll wait for a slot until ctx ends; TryGet and TryGo
// return ErrSaturated at once instead. A request that never got a slot never
// reaches the server. The bound is on the client side: when an attempt times
// out its slot is free at once, and the server may notice the closed
// connection a moment later.
//
// # Timeouts
//
// WithTimeout bounds each attempt as a whole: dialling, the response headers
// and reading the body. A server that trickles its body a byte at a time is
// cut off when the timeout ends. ctx bounds the whole call: waiting for a
// slot, every attempt and every wait between them. There is no way to turn
// the timeout off, because no timeout is the bug this package exists for.
//
// # Bodies
//
// Every response body is read and closed by the Client, on every path. A
// body longer than MaxBodyBytes (WithMaxBodyBytes) is an error wrapping
// ErrBodyTooLarge, never a silent truncation, and its connection is closed
// rather than reused half-read.
//
// # Errors
//
// A status outside 2xx is a *StatusError. An invalid URL, a scheme other
// than http or https, a refused connection and a timeout are errors, never
// panics. Errors wrap their causes: use errors.Is with ErrBodyTooLarge,
// ErrClosed, context.DeadlineExceeded or syscall.ECONNREFUSED, and errors.As
// with *StatusError, also on an error that reports giving up on retries.
// Programming errors panic with a message naming the function: a nil
// Context, a nil done callback, a nil request, an option given an invalid
// value.
//
// # Retries
//
// WithRetries(n) makes up to n more attempts, only for requests that are
// safe to repeat and only after failures that may pass: connection errors,
// timed-out attempts, 429, 502, 503 and 504. A request is safe to repeat when
// it is idempotent, its method GET, HEAD, OPTIONS, TRACE, PUT or DELETE
// (RFC 9110), or it carries an Idempotency-Key or X-Idempotency-Key header;
// and its body, if any, can be replayed through GetBody (http.NewRequest sets
// GetBody for in-memory bodies). A POST is never repeated unless its caller
// says it may be: that a body can be replayed does not make sending it twice
// harmless.
//
// Waits grow exponentially with full jitter (WithBackoff). A Retry-After
// header replaces the computed wait; one longer than the backoff cap is not
// waited for: the call returns the *StatusError at once, its RetryAfter set,
// so the caller can reschedule. A wait that would end after ctx's deadline is
// not started: the call returns at once with an error that wraps both
// context.DeadlineExceeded and the last failure.
//
// # Close
//
// Close refuses new calls with ErrClosed, cancels the requests in flight and
// those waiting for a slot (their errors are or wrap ErrClosed), waits until every
// call has returned and every done callback has run, and closes the idle
// connections, so nothing the Client opened is left behind. To drain instead
// of cancelling, stop starting requests and wait for your own callbacks
// before calling Close.
package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	// ErrSaturated is returned by TryGet and TryGo when no slot is free.
	ErrSaturated = errors.New("fetch: saturated: no slot free")
	// ErrBodyTooLarge is wrapped by the error for a response body longer
	// than the Client's MaxBodyBytes.
	ErrBodyTooLarge = errors.New("fetch: body too large")
	// ErrClosed is returned by calls made after Close, and wrapped by the
	// errors of calls that Close cancelled.
	ErrClosed = errors.New("fetch: client closed")
)

const (
	defaultMaxInFlight  = 16
	defaultTimeout      = 30 * time.Second
	defaultMaxBodyBytes = 10 << 20
	defaultBackoffBase  = 100 * time.Millisecond
	defaultBackoffMax   = 10 * time.Second

	// statusBodyBytes is how much of a non-2xx body a StatusError keeps:
	// enough for an error message, not enough to pin a large body.
	statusBodyBytes = 1 << 10
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

// An Option configures a Client in New. Options that are given an invalid
// value panic when they are called, naming the option.
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
// the response headers and the whole body; the default is 30s. It panics if
// d is not positive: there is no way to turn the timeout off.
func WithTimeout(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("fetch: WithTimeout: d must be positive, got %v", d))
	}
	return func(c *config) { c.timeout = d }
}

// WithMaxBodyBytes sets the longest response body the Client reads; a longer
// one is an error wrapping ErrBodyTooLarge. The default is 10 MiB. It panics
// if n is not positive.
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
// used as they are, and the Client does not change hc. Close calls
// hc.CloseIdleConnections. It panics if hc is nil.
func WithHTTPClient(hc *http.Client) Option {
	if hc == nil {
		panic("fetch: WithHTTPClient: nil *http.Client")
	}
	return func(c *config) { c.hc = hc }
}

// A Client makes bounded HTTP requests. Create one with New and share it:
// its methods are safe for concurrent use, and each Client has its own
// connection pool. The zero Client is ready to use with the defaults.
type Client struct {
	once  sync.Once
	cfg   config
	hc    *http.Client
	slots chan struct{} // a slot is a buffered element; len is InFlight

	hostMu sync.Mutex
	hosts  map[string]*hostSlots

	// life ends when Close starts. Slot waits and backoff waits select on
	// it, and each attempt's context is cancelled by it (context.AfterFunc),
	// which is how Close wakes waiters and cancels what is in flight.
	// Joining it to every call's context instead would cost a context
	// and a child registration per call.
	life context.Context
	stop context.CancelFunc

	mu     sync.Mutex
	closed bool
	calls  sync.WaitGroup // calls in progress, including Go goroutines

	// timeoutErr is the cause of an attempt's context when its timeout
	// ends; it tells a timed-out attempt (worth retrying) from a caller
	// who gave up (not).
	timeoutErr *timeoutError

	// jitter, if set, replaces the random choice of a backoff wait in
	// [0, ceil]; tests set it to make backoff deterministic.
	jitter func(ceil time.Duration) time.Duration
}

// hostSlots are one host's slots. refs counts holders and waiters, so that
// the entry can be dropped when nobody uses it: a crawler that visits a
// million hosts must not keep a million entries.
type hostSlots struct {
	ch   chan struct{}
	refs int
}

// New returns a Client configured by opts. It panics if an option is nil.
func New(opts ...Option) *Client {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			panic("fetch: New: nil Option")
		}
		o(&cfg)
	}
	c := new(Client)
	c.once.Do(func() { c.setup(cfg) })
	return c
}

func (c *Client) init() { c.once.Do(func() { c.setup(defaultConfig()) }) }

func (c *Client) setup(cfg config) {
	if cfg.maxPerHost >= cfg.maxInFlight {
		cfg.maxPerHost = 0 // the global limit is the tighter one
	}
	c.cfg = cfg
	c.slots = make(chan struct{}, cfg.maxInFlight)
	c.hosts = make(map[string]*hostSlots)
	c.life, c.stop = context.WithCancel(context.Background())
	c.timeoutErr = &timeoutError{cfg.timeout}
	c.hc = cfg.hc
	if c.hc == nil {
		c.hc = &http.Client{Transport: newTransport(cfg)}
	}
}

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

// timeoutError reports an attempt that ran out of its time. It is a
// context.DeadlineExceeded for errors.Is, and a timeout for net.Error.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string        { return fmt.Sprintf("fetch: attempt timed out after %v", e.d) }
func (e *timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }
func (e *timeoutError) Timeout() bool        { return true }

// Response is a complete response: its body has been read in full and its
// connection released.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Result is the outcome for one URL of GetAll: URL is the URL as given, and
// exactly one of Response and Err is non-nil.
type Result struct {
	URL      string
	Response *Response
	Err      error
}

// StatusError reports a response whose status is not 2xx.
type StatusError struct {
	StatusCode int
	URL        string // the request's URL, password redacted
	Body       []byte // the body's first KiB
	// RetryAfter is the wait the Retry-After header asked for, zero if it
	// was absent, zero or invalid.
	RetryAfter time.Duration
}

// Error reports the status code and the URL.
func (e *StatusError) Error() string {
	return fmt.Sprintf("fetch: %s: %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// Get fetches url, waiting for a slot until ctx ends. It returns the response
// for a 2xx status and an error otherwise; see the package documentation.
// Get blocks until the response has been read or the call has failed; ctx
// bounds the whole call, including retries. It panics if ctx is nil.
func (c *Client) Get(ctx context.Context, url string) (*Response, error) {
	c.init()
	mustContext(ctx, "Get")
	req, err := newGet(url)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, req, true)
}

// TryGet is Get, except that it returns ErrSaturated at once, without a
// request, when no slot is free. It panics if ctx is nil.
func (c *Client) TryGet(ctx context.Context, url string) (*Response, error) {
	c.init()
	mustContext(ctx, "TryGet")
	req, err := newGet(url)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, req, false)
}

// Do sends req as Get sends a GET, waiting for a slot until ctx ends. ctx
// replaces req's own context. req's body is closed on every path, as
// http.Client.Do closes it. Do retries req only if it is safe to repeat; see
// the package documentation. It panics if ctx or req is nil.
func (c *Client) Do(ctx context.Context, req *http.Request) (*Response, error) {
	c.init()
	mustContext(ctx, "Do")
	if req == nil {
		panic("fetch: Do: nil *http.Request")
	}
	if err := checkURL(req.URL); err != nil {
		closeBody(req)
		return nil, err
	}
	return c.do(ctx, req, true)
}

// Go waits for a slot until ctx ends, then fetches url in a new goroutine
// that calls done with the outcome and releases the slot when done returns.
// Go returns nil if the request was started, in which case done is called
// exactly once; otherwise it returns why not (an invalid URL, ctx ended
// first, ErrClosed) and never calls done. ctx also governs the request, so
// it must outlive it.
//
// Because done runs in the slot, the goroutines a Client starts never
// outnumber MaxInFlight, however slow done is. For the same reason, a done
// that waits for another slot of the same Client (Get, Go, GetAll) may wait
// until its ctx ends; use TryGet or TryGo there. done must not call Close,
// which would wait for done to return. A panic in done is not recovered.
// Go panics if ctx or done is nil.
func (c *Client) Go(ctx context.Context, url string, done func(*Response, error)) error {
	c.init()
	mustContext(ctx, "Go")
	if done == nil {
		panic("fetch: Go: nil done func")
	}
	return c.goGet(ctx, url, done, true, nil)
}

// TryGo is Go, except that it returns ErrSaturated at once, starting nothing,
// when no slot is free. It is the refactor for a loop that starts a goroutine
// per tick: a tick that finds every slot taken is skipped rather than piled
// up. It panics if ctx or done is nil.
func (c *Client) TryGo(ctx context.Context, url string, done func(*Response, error)) error {
	c.init()
	mustContext(ctx, "TryGo")
	if done == nil {
		panic("fetch: TryGo: nil done func")
	}
	return c.goGet(ctx, url, done, false, nil)
}

// GetAll fetches every URL in urls and returns one Result per URL, in the
// same order. It starts the requests in order with Go, so at most MaxInFlight
// run at once and GetAll's goroutines never outnumber them; with
// WithMaxPerHost, a URL waiting for its host's slot holds back the URLs after
// it. GetAll blocks until every request has ended. When ctx ends, the
// requests in flight are cancelled and those not yet started fail at once,
// each with an error wrapping ctx's. It panics if ctx is nil.
func (c *Client) GetAll(ctx context.Context, urls []string) []Result {
	c.init()
	mustContext(ctx, "GetAll")
	results := make([]Result, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		results[i].URL = u
		wg.Add(1)
		err := c.goGet(ctx, u, func(resp *Response, err error) {
			results[i].Response, results[i].Err = resp, err
		}, true, wg.Done)
		if err != nil {
			results[i].Err = err
			wg.Done()
		}
	}
	wg.Wait()
	return results
}

// InFlight reports how many slots are taken now: requests being made or
// waiting between retries, and done callbacks of Go and TryGo still running.
// It is a snapshot for metrics and tests.
func (c *Client) InFlight() int {
	c.init()
	return len(c.slots)
}

// Close cancels every request in flight or waiting for a slot, waits until
// every call has returned and every done callback has run, and closes the
// Client's idle connections. Calls made after Close return ErrClosed. Close
// may be called more than once; every call waits. It must not be called from
// a done callback, which it would wait for.
func (c *Client) Close() {
	c.init()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.stop()
	c.calls.Wait()
	// Only now: a connection still in use when Close started becomes idle
	// as its call returns, and would otherwise stay open.
	c.hc.CloseIdleConnections()
}

func mustContext(ctx context.Context, fn string) {
	if ctx == nil {
		panic("fetch: " + fn + ": nil Context")
	}
}

func newGet(rawURL string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	if err := checkURL(req.URL); err != nil {
		return nil, err
	}
	return req, nil
}

// checkURL refuses what no attempt could fetch before it takes a slot.
func checkURL(u *url.URL) error {
	switch {
	case u == nil:
		return errors.New("fetch: request has no URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("fetch: unsupported URL scheme %q in %q: want http or https", u.Scheme, u.Redacted())
	case u.Host == "":
		return fmt.Errorf("fetch: no host in URL %q", u.Redacted())
	}
	return nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// enter registers a call, unless the Client is closed. Checking closed and
// adding under one lock means no call can start once Close is waiting.
func (c *Client) enter() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.calls.Add(1)
	return true
}

// stopped says why a call must stop: ErrClosed once Close has started,
// ctx.Err() once ctx has ended, or nil.
func (c *Client) stopped(ctx context.Context) error {
	if c.life.Err() != nil {
		return ErrClosed
	}
	return ctx.Err()
}

func (c *Client) do(ctx context.Context, req *http.Request, wait bool) (*Response, error) {
	if !c.enter() {
		closeBody(req)
		return nil, ErrClosed
	}
	defer c.calls.Done()
	s, err := c.acquire(ctx, req.URL, wait)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	defer c.release(s)
	return c.fetch(ctx, req)
}

// goGet is Go and TryGo. released, if not nil, is called once the slot is
// free again, so that GetAll returns with InFlight back where it was.
func (c *Client) goGet(ctx context.Context, rawURL string, done func(*Response, error), wait bool, released func()) error {
	req, err := newGet(rawURL)
	if err != nil {
		return err
	}
	if !c.enter() {
		return ErrClosed
	}
	s, err := c.acquire(ctx, req.URL, wait)
	if err != nil {
		c.calls.Done()
		return err
	}
	// The slot is taken before the goroutine starts, and given back only
	// after done returns: that is what bounds the goroutines.
	go func() {
		defer c.calls.Done()
		if released != nil {
			defer released()
		}
		defer c.release(s)
		resp, err := c.fetch(ctx, req)
		done(resp, err)
	}()
	return nil
}

// slot is what a call holds: a global slot and, with a per-host limit, one
// of its host's.
type slot struct {
	host *hostSlots
	key  string
}

// acquire takes the host's slot, then a global one. Host first: a call
// waiting for a busy host must not sit on a global slot that a request to
// another host could use. Always in this order, so two calls cannot each
// hold what the other waits for.
func (c *Client) acquire(ctx context.Context, u *url.URL, wait bool) (slot, error) {
	// A ready slot must not let a call whose ctx has already ended start.
	if err := c.stopped(ctx); err != nil {
		return slot{}, c.slotErr(err)
	}
	var s slot
	if c.cfg.maxPerHost > 0 {
		s.key = hostKey(u)
		s.host = c.hostRef(s.key)
		if err := c.take(ctx, s.host.ch, wait); err != nil {
			c.hostUnref(s.key, s.host)
			return slot{}, err
		}
	}
	if err := c.take(ctx, c.slots, wait); err != nil {
		if s.host != nil {
			<-s.host.ch
			c.hostUnref(s.key, s.host)
		}
		return slot{}, err
	}
	return s, nil
}

func (c *Client) take(ctx context.Context, ch chan struct{}, wait bool) error {
	select {
	case ch <- struct{}{}:
		return nil
	default:
	}
	if !wait {
		return ErrSaturated
	}
	select {
	case ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		return c.slotErr(c.stopped(ctx))
	case <-c.life.Done():
		return ErrClosed
	}
}

func (c *Client) slotErr(err error) error {
	if err == ErrClosed {
		return err
	}
	return fmt.Errorf("fetch: waiting for a slot: %w", err)
}

func (c *Client) release(s slot) {
	<-c.slots
	if s.host != nil {
		<-s.host.ch
		c.hostUnref(s.key, s.host)
	}
}

func (c *Client) hostRef(key string) *hostSlots {
	c.hostMu.Lock()
	defer c.hostMu.Unlock()
	h := c.hosts[key]
	if h == nil {
		h = &hostSlots{ch: make(chan struct{}, c.cfg.maxPerHost)}
		c.hosts[key] = h
	}
	h.refs++
	return h
}

func (c *Client) hostUnref(key string, h *hostSlots) {
	c.hostMu.Lock()
	defer c.hostMu.Unlock()
	if h.refs--; h.refs == 0 {
		delete(c.hosts, key)
	}
}

// hostKey names a host as the transport's connection pool does: lower-case
// host and explicit port, so that http://Example.com and
// http://example.com:80 share their slots.
func hostKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// fetch makes the attempts of one call, holding its slot throughout.
func (c *Client) fetch(ctx context.Context, req *http.Request) (*Response, error) {
	retries := 0
	if replayable(req) {
		retries = c.cfg.retries
	}
	for n := 1; ; n++ {
		resp, retryAfter, retry, err := c.attempt(ctx, req, n)
		if err == nil {
			return resp, nil
		}
		if !retry || n > retries {
			if n > 1 {
				return nil, fmt.Errorf("fetch: gave up after %s: %w", attempts(n), err)
			}
			return nil, err
		}
		wait := c.backoff(n)
		if retryAfter >= 0 {
			if retryAfter > c.cfg.backoffMax {
				return nil, fmt.Errorf("fetch: gave up after %s: Retry-After %v is beyond the %v cap: %w",
					attempts(n), retryAfter, c.cfg.backoffMax, err)
			}
			wait = retryAfter
		}
		// Sleeping into the deadline only to fail there would waste the
		// caller's remaining time (hashicorp/go-retryablehttp#272).
		if deadline, ok := ctx.Deadline(); ok && !time.Now().Add(wait).Before(deadline) {
			return nil, fmt.Errorf("fetch: gave up after %s: the next, in %v, would start past ctx's deadline: %w; last failure: %w",
				attempts(n), wait.Round(time.Millisecond), context.DeadlineExceeded, err)
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
			case <-c.life.Done():
			}
			t.Stop()
			return nil, fmt.Errorf("fetch: gave up after %s, waiting to retry: %w; last failure: %w",
				attempts(n), c.stopped(ctx), err)
		}
	}
}

func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}

// replayable is net/http's own rule for a request it may send twice.
func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	// The methods RFC 9110 defines as idempotent. net/http's own retry rule
	// leaves out PUT and DELETE; they are in because a caller who sets
	// WithRetries and sends a PUT with a replayable body asks for exactly
	// this. A POST has no such promise, so it needs the header.
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

// backoff is the wait before retry n (1-based): full jitter, a random
// duration in [0, min(max, base·2^(n-1))], so that clients that failed
// together do not retry together.
func (c *Client) backoff(n int) time.Duration {
	ceil := c.cfg.backoffBase
	for i := 1; i < n && ceil < c.cfg.backoffMax; i++ {
		if ceil > c.cfg.backoffMax/2 {
			ceil = c.cfg.backoffMax
		} else {
			ceil *= 2
		}
	}
	ceil = min(ceil, c.cfg.backoffMax)
	if c.jitter != nil {
		return c.jitter(ceil)
	}
	return rand.N(ceil + 1)
}

// attempt makes one attempt, bounded by the Client's timeout. retryAfter is
// negative when the response did not ask for a wait; retry reports whether
// the failure may pass.
func (c *Client) attempt(ctx context.Context, req *http.Request, n int) (resp *Response, retryAfter time.Duration, retry bool, err error) {
	limit := time.Now().Add(c.cfg.timeout)
	ctx2, cancel := context.WithTimeoutCause(ctx, c.cfg.timeout, c.timeoutErr)
	defer cancel()
	defer context.AfterFunc(c.life, cancel)() // Close cancels the attempt
	r := req.WithContext(ctx2)
	if n > 1 && req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, -1, false, fmt.Errorf("fetch: %s %s: replaying the body: %w", req.Method, req.URL.Redacted(), err)
		}
		r.Body = body
	}
	hr, err := c.hc.Do(r)
	if err != nil {
		timedOut := c.timedOut(ctx, ctx2, limit)
		return nil, -1, c.transient(ctx, timedOut, err), c.attemptErr(ctx, timedOut, err)
	}
	// Closing a body that was not read to EOF (over the cap, or cut off by
	// the timeout) makes net/http close its connection instead of putting
	// it back in the pool, where the next request would read the rest of
	// this body as its response.
	defer hr.Body.Close()
	body, err := readBody(hr.Body, hr.ContentLength, c.cfg.maxBody)
	ok := hr.StatusCode >= 200 && hr.StatusCode < 300
	switch {
	case err == ErrBodyTooLarge && ok:
		return nil, -1, false, fmt.Errorf("%w: %s %s is over the %d-byte cap", ErrBodyTooLarge, req.Method, req.URL.Redacted(), c.cfg.maxBody)
	case err == ErrBodyTooLarge:
		// A non-2xx body past the cap still makes a StatusError: its
		// first KiB is all the error keeps anyway.
	case err != nil:
		timedOut := c.timedOut(ctx, ctx2, limit)
		return nil, -1, c.transient(ctx, timedOut, err),
			fmt.Errorf("fetch: %s %s: reading the body: %w", req.Method, req.URL.Redacted(), c.attemptErr(ctx, timedOut, err))
	case ok:
		return &Response{StatusCode: hr.StatusCode, Header: hr.Header, Body: body}, -1, false, nil
	}
	se := &StatusError{
		StatusCode: hr.StatusCode,
		URL:        req.URL.Redacted(),
		// A copy, so the error does not pin a body of up to the cap.
		Body: append([]byte(nil), body[:min(len(body), statusBodyBytes)]...),
	}
	retryAfter = -1
	if d, ok := parseRetryAfter(hr.Header.Get("Retry-After"), time.Now()); ok {
		se.RetryAfter, retryAfter = d, d
	}
	switch hr.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		retry = true
	}
	return nil, retryAfter, retry, se
}

// timedOut reports whether a failed attempt ran out of its own time (not
// the caller's), whichever timer noticed first: the attempt's context, or
// the transport's ResponseHeaderTimeout, which has the same duration and
// may fire a moment earlier. limit is when the attempt's time ends.
func (c *Client) timedOut(ctx, attemptCtx context.Context, limit time.Time) bool {
	if c.stopped(ctx) != nil {
		return false
	}
	if context.Cause(attemptCtx) == c.timeoutErr {
		return true
	}
	if d, ok := ctx.Deadline(); ok && d.Before(limit) {
		return false // the caller's deadline came first
	}
	return !time.Now().Before(limit)
}

// attemptErr makes sure an attempt cut short by its own timeout or by Close
// says so, whichever error the transport chose to report.
func (c *Client) attemptErr(ctx context.Context, timedOut bool, err error) error {
	switch why := c.stopped(ctx); {
	case why != nil:
		if !errors.Is(err, why) {
			return fmt.Errorf("%w: %w", why, err)
		}
	case timedOut && !errors.Is(err, c.timeoutErr):
		return fmt.Errorf("%w: %w", c.timeoutErr, err)
	}
	return err
}

// transient reports whether a failed attempt may succeed if repeated: the
// attempt timed out, or the connection failed in a way that can pass. A
// caller who gave up, a certificate that does not verify, a host that does
// not exist or a malformed response is not worth repeating.
func (c *Client) transient(ctx context.Context, timedOut bool, err error) bool {
	if c.stopped(ctx) != nil {
		return false
	}
	if timedOut {
		return true
	}
	var cert *tls.CertificateVerificationError
	if errors.As(err, &cert) {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsTimeout || dns.IsTemporary
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE)
}

// readBody reads body to EOF, refusing more than max bytes: past the cap it
// returns the first max bytes and ErrBodyTooLarge. length is the declared
// Content-Length, or -1; a declared length past the cap fails at once.
func readBody(body io.Reader, length, max int64) ([]byte, error) {
	if length > max {
		return nil, ErrBodyTooLarge
	}
	// Reading one byte past the cap tells a body of exactly max bytes from
	// a longer one.
	lr := io.LimitedReader{R: body, N: max}
	if max < math.MaxInt64 {
		lr.N++
	}
	size := int64(512)
	if length >= 0 {
		size = length + 1 // room for the read that returns EOF
	}
	b := make([]byte, 0, size)
	for {
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
	if int64(len(b)) > max {
		return b[:max], ErrBodyTooLarge
	}
	return b, nil
}

// parseRetryAfter reads a Retry-After value, in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(math.MaxInt64/time.Second) {
			return math.MaxInt64, true
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
