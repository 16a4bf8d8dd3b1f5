package fetch

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// newTransport clones http.DefaultTransport (proxy settings, dial and TLS
// timeouts, HTTP/2) and matches its connection pool to the slots: with the
// default of 2 idle connections per host, a Client running 16 requests to
// one host would dial and discard connections on every burst. Its dials go
// through conns, so that Close can account for every connection.
func newTransport(cfg config, conns *conns) *http.Transport {
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
	// Every connection, TLS ones included, starts as a DialContext: the
	// transport layers TLS on top. Only a DialTLSContext that a program set
	// on http.DefaultTransport escapes, because the transport must get its
	// *tls.Conn unwrapped to negotiate HTTP/2.
	dial := t.DialContext
	//lint:ignore SA1019 a program may still set the deprecated Dial on http.DefaultTransport
	if d := t.Dial; dial == nil && d != nil {
		dial = func(_ context.Context, network, addr string) (net.Conn, error) { return d(network, addr) }
	}
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	t.DialContext = conns.dialer(dial) // takes priority over Dial
	return t
}

// conns tracks the connections of a Client's own transport, so that Close
// can close them all and return only once net/http has stopped using them.
//
// Closing idle connections is not enough. The transport closes a
// connection it gave up on (a body closed half-read, a request cancelled)
// in its own goroutines, a moment after the call returned; it dials apart
// from the request's context, so that a dial can serve a later request, and
// a TLS handshake with a server that never answers outlives the request that
// started it. So conns counts dials in progress and cancels them when Close
// starts, and wraps each connection to know when it is closed and when its
// last read or write has returned.
type conns struct {
	life context.Context // the Client's

	mu      sync.Mutex
	closing bool
	dials   int
	open    map[*conn]struct{}
	drained chan struct{} // closed once closing, with no dial and no conn left
}

func newConns(life context.Context) *conns {
	return &conns{life: life, open: make(map[*conn]struct{}), drained: make(chan struct{})}
}

type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// dialer wraps dial so that conns knows the dials in progress and the
// connections they make.
func (t *conns) dialer(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		t.mu.Lock()
		if t.closing {
			t.mu.Unlock()
			return nil, ErrClosed
		}
		t.dials++
		t.mu.Unlock()

		ctx, cancel := context.WithCancel(ctx)
		stop := context.AfterFunc(t.life, cancel)
		nc, err := dial(ctx, network, addr)
		stop()
		cancel()

		t.mu.Lock()
		defer t.mu.Unlock()
		t.dials--
		defer t.check()
		if err != nil {
			return nil, err
		}
		if t.closing { // Close started during the dial, and has not seen it
			nc.Close()
			return nil, ErrClosed
		}
		c := &conn{Conn: nc, t: t}
		t.open[c] = struct{}{}
		return c, nil
	}
}

// closeAll closes every connection and returns once no dial is in progress
// and every connection is closed with no read or write under way. Dials end
// soon: Close cancelled the Client's life, which cancels them.
func (t *conns) closeAll() {
	t.mu.Lock()
	t.closing = true
	open := make([]*conn, 0, len(t.open))
	for c := range t.open {
		open = append(open, c)
	}
	t.check()
	t.mu.Unlock()
	// A connection still open here carries no request of the Client's:
	// every call has returned. Closing it ends the transport's read or
	// write on it at once, and the transport then drops it.
	for _, c := range open {
		c.Close()
	}
	<-t.drained
}

func (t *conns) remove(c *conn) {
	t.mu.Lock()
	delete(t.open, c)
	t.check()
	t.mu.Unlock()
}

// check closes drained once there is nothing left to wait for. t.mu is held.
func (t *conns) check() {
	if t.closing && t.dials == 0 && len(t.open) == 0 {
		select {
		case <-t.drained:
		default:
			close(t.drained)
		}
	}
}

// conn is a connection conns tracks. It leaves conns once it is closed and
// no read or write on it is under way: net/http then has no goroutine
// waiting on it.
type conn struct {
	net.Conn
	t *conns
	// state is 2 per read or write under way, plus 1 once closed.
	state atomic.Int64
	gone  atomic.Bool
}

func (c *conn) Read(p []byte) (int, error) {
	c.state.Add(2)
	n, err := c.Conn.Read(p)
	c.done()
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	c.state.Add(2)
	n, err := c.Conn.Write(p)
	c.done()
	return n, err
}

// ReadFrom keeps the sendfile path of a TCP connection, which the transport
// takes for a request body read from a file.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	c.state.Add(2)
	defer c.done()
	return io.Copy(c.Conn, r)
}

func (c *conn) done() {
	if c.state.Add(-2) == 1 {
		c.leave()
	}
}

// Close closes the connection first, which ends any read or write under
// way, and then marks it closed: whichever of Close and the last read or
// write sees it closed with nothing under way lets it leave.
func (c *conn) Close() error {
	err := c.Conn.Close()
	if c.state.Or(1) == 0 {
		c.leave()
	}
	return err
}

func (c *conn) leave() {
	if c.gone.CompareAndSwap(false, true) {
		c.t.remove(c)
	}
}
