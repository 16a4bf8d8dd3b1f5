package fetch

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// hostSlots are one host's slots. refs counts holders and waiters, so that
// the entry can be dropped when nobody uses it: a crawler that visits a
// million hosts must not keep a million entries.
type hostSlots struct {
	ch   chan struct{}
	refs int
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
func (c *Client) acquire(ctx context.Context, req *http.Request, wait bool) (slot, error) {
	// A ready slot must not let a call whose ctx has already ended start.
	if err := c.stopped(ctx); err != nil {
		return slot{}, slotErr(req, err)
	}
	var s slot
	if c.cfg.maxPerHost > 0 {
		s.key = hostKey(req.URL)
		s.host = c.hostRef(s.key)
		if err := c.take(ctx, req, s.host.ch, wait); err != nil {
			c.hostUnref(s.key, s.host)
			return slot{}, err
		}
	}
	if err := c.take(ctx, req, c.slots, wait); err != nil {
		c.releaseHost(s)
		return slot{}, err
	}
	return s, nil
}

func (c *Client) take(ctx context.Context, req *http.Request, ch chan struct{}, wait bool) error {
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
		return slotErr(req, c.stopped(ctx))
	case <-c.life.Done():
		return ErrClosed
	}
}

// slotErr is the error of req, which could not get a slot because of err:
// ErrClosed as it is, ctx's error as the request's.
func slotErr(req *http.Request, err error) error {
	if err == ErrClosed {
		return err
	}
	return &requestError{msg: requestPrefix(req) + "waiting for a slot: " + causeText(err), errs: []error{err}}
}

func (c *Client) release(s slot) {
	<-c.slots
	c.releaseHost(s)
}

// releaseHost frees s's per-host slot, if it has one.
func (c *Client) releaseHost(s slot) {
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
