package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

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
