package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// A Client makes bounded HTTP requests. Create one with [New] and share it:
// its methods are safe for concurrent use, and each Client has its own
// connection pool. The zero Client is ready to use with the defaults. A
// Client must not be copied after first use.
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

	// conns are the connections of the Client's own transport; nil with
	// WithHTTPClient, whose connections are not the Client's.
	conns *conns

	// timeoutErr is the cause of an attempt's context when its timeout
	// ends; it tells a timed-out attempt (worth retrying) from a caller
	// who gave up (not).
	timeoutErr *timeoutError

	// jitter, if set, replaces the random choice of a backoff wait in
	// [0, ceil]; tests set it to make backoff deterministic.
	jitter func(ceil time.Duration) time.Duration
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
	c.timeoutErr = &timeoutError{d: cfg.timeout}
	c.hc = cfg.hc
	if c.hc == nil {
		c.conns = newConns(c.life)
		c.hc = &http.Client{Transport: newTransport(cfg, c.conns)}
	}
}

// Response is a complete response: its body has been read in full and its
// connection released.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte // empty for a response that has none, as to HEAD
	// URL is the URL the response came from: the request's own, or the
	// last one its redirects led to. It is the request's *url.URL, not a
	// copy, and is not redacted; use URL.Redacted to log it.
	URL *url.URL
}

// Result is the outcome for one URL of GetAll: URL is the URL as given, and
// exactly one of Response and Err is non-nil.
type Result struct {
	URL      string
	Response *Response
	Err      error
}

// Get fetches url, waiting for a slot until ctx ends. It returns the response
// for a 2xx status and an error otherwise; see the package documentation.
// Get blocks until the response has been read or the call has failed; ctx
// bounds the whole call, including retries. It panics if ctx is nil.
func (c *Client) Get(ctx context.Context, url string) (*Response, error) {
	c.init()
	mustContext(ctx, "Client.Get")
	req, err := newGet(url)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, req, true, nil)
}

// TryGet is [Client.Get], except that it returns [ErrSaturated] at once,
// without a request, when no slot is free. It panics if ctx is nil.
func (c *Client) TryGet(ctx context.Context, url string) (*Response, error) {
	c.init()
	mustContext(ctx, "Client.TryGet")
	req, err := newGet(url)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, req, false, nil)
}

// Do sends req as [Client.Get] sends a GET, waiting for a slot until ctx
// ends. ctx replaces req's own context. req's body is closed on every path,
// as [http.Client.Do] closes it. Do retries req only if it is safe to
// repeat; see the package documentation. It panics if ctx or req is nil.
func (c *Client) Do(ctx context.Context, req *http.Request) (*Response, error) {
	c.init()
	mustContext(ctx, "Client.Do")
	if req == nil {
		panic("fetch: Client.Do: nil *http.Request")
	}
	if err := checkURL(req.URL); err != nil {
		closeBody(req)
		return nil, err
	}
	return c.do(ctx, req, true, nil)
}

// DoFunc sends req as [Client.Do] does and hands a 2xx response to f, whose
// resp.Body is the body as it arrives, unbuffered: it is for bodies too large
// to hold in memory, and [WithMaxBodyBytes] does not limit it. DoFunc returns
// what f returns, as it is. A response that is not 2xx is a [*StatusError],
// as for Do, and f is not called; nor is it when no attempt got a response.
//
// f runs while the call holds its slot and within the attempt's timeout: a
// body that trickles is cut off when the timeout ends, and f's reads then
// fail with an error that is a [context.DeadlineExceeded] and a [net.Error]
// whose Timeout is true. When [Client.Close] cancels the call, f's reads
// fail with an error wrapping [ErrClosed]. The Client closes the body once
// f returns, whether f read it to the end, returned early or panicked (the
// panic goes on to DoFunc's caller); f need not close it, and must not keep
// it. Retries happen only before f is called: once f has the response,
// whatever f returns is the outcome. DoFunc blocks until f has returned or
// the call has failed. It panics if ctx, req or f is nil.
func (c *Client) DoFunc(ctx context.Context, req *http.Request, f func(resp *http.Response) error) error {
	c.init()
	mustContext(ctx, "Client.DoFunc")
	if req == nil {
		panic("fetch: Client.DoFunc: nil *http.Request")
	}
	if f == nil {
		panic("fetch: Client.DoFunc: nil func")
	}
	if err := checkURL(req.URL); err != nil {
		closeBody(req)
		return err
	}
	_, err := c.do(ctx, req, true, f)
	return err
}

// Go waits for a slot until ctx ends, then fetches url in a new goroutine
// that calls done with the outcome and releases the slot when done returns.
// Go returns nil if the request was started, in which case done is called
// exactly once, with a Response or an error; otherwise it returns why not
// (an invalid URL, ctx ended first, [ErrClosed]) and never calls done. ctx
// also governs the request, so it must outlive it. The return of done is
// synchronized before the return of any [Client.Close].
//
// Because done runs in the slot, the goroutines a Client starts never
// outnumber MaxInFlight, however slow done is. For the same reason, a done
// that waits for another slot of the same Client (Get, Go, GetAll) may wait
// until its ctx ends; use TryGet or TryGo there. done must not call Close,
// which would wait for done to return. A panic in done is not recovered.
// Go panics if ctx or done is nil.
func (c *Client) Go(ctx context.Context, url string, done func(*Response, error)) error {
	c.init()
	mustContext(ctx, "Client.Go")
	if done == nil {
		panic("fetch: Client.Go: nil done func")
	}
	return c.goGet(ctx, url, done, true, nil)
}

// TryGo is [Client.Go], except that it returns [ErrSaturated] at once,
// starting nothing, when no slot is free. It is the refactor for a loop that
// starts a goroutine per tick: a tick that finds every slot taken is skipped
// rather than piled up. It panics if ctx or done is nil.
func (c *Client) TryGo(ctx context.Context, url string, done func(*Response, error)) error {
	c.init()
	mustContext(ctx, "Client.TryGo")
	if done == nil {
		panic("fetch: Client.TryGo: nil done func")
	}
	return c.goGet(ctx, url, done, false, nil)
}

// GetAll fetches every URL in urls and returns one [Result] per URL, in the
// same order. It starts the requests in order with [Client.Go], so at most
// MaxInFlight run at once and GetAll's goroutines never outnumber them; with
// [WithMaxPerHost], a URL waiting for its host's slot holds back the URLs
// after it. GetAll blocks until every request has ended and its slot is
// free again; every Result is complete when it returns. When ctx ends, the
// requests in flight are cancelled and those not yet started fail at once,
// each with an error wrapping ctx's. It panics if ctx is nil.
func (c *Client) GetAll(ctx context.Context, urls []string) []Result {
	c.init()
	mustContext(ctx, "Client.GetAll")
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
// waiting between retries, done callbacks of Go and TryGo and funcs of
// DoFunc still running. It is a snapshot for metrics and tests.
func (c *Client) InFlight() int {
	c.init()
	return len(c.slots)
}

// Close cancels every request in flight or waiting for a slot, waits until
// every call has returned and every done callback has run, and closes every
// connection the Client's transport dialled, cancelling dials in progress.
// Calls made after Close return [ErrClosed]. Close may be called more than
// once; every call waits. It must not be called from a done callback or a
// DoFunc func, which it would wait for.
//
// When Close returns, the return of every call, done callback and DoFunc
// func of the Client is synchronized before it; every connection the
// Client's transport dialled is closed, and net/http is neither reading nor
// writing any of them, so its goroutines for them wait on nothing and end
// within moments, by themselves: a leak check that retries briefly, as
// [go.uber.org/goleak.VerifyNone] does, finds none of them. With
// [WithHTTPClient] the connections are the http.Client's own: Close calls
// its CloseIdleConnections and does not wait for them; so it is, too, for
// connections made by a DialTLSContext that a program set on
// [http.DefaultTransport], which the Client's transport copies.
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
	if c.conns != nil {
		c.conns.closeAll()
	}
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

// do is Get, TryGet, Do and, with f set, DoFunc.
func (c *Client) do(ctx context.Context, req *http.Request, wait bool, f func(*http.Response) error) (*Response, error) {
	if !c.enter() {
		closeBody(req)
		return nil, ErrClosed
	}
	defer c.calls.Done()
	s, err := c.acquire(ctx, req, wait)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	defer c.release(s)
	return c.fetch(ctx, req, f)
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
	s, err := c.acquire(ctx, req, wait)
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
		resp, err := c.fetch(ctx, req, nil)
		done(resp, err)
	}()
	return nil
}
