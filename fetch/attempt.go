package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// failure is why an attempt failed, and whether another may do better.
type failure struct {
	err        error         // nil: the attempt succeeded
	msg        string        // err as the request's error tells it
	retry      bool          // the failure may pass
	retryAfter time.Duration // the wait the response asked for; -1: none
}

// attempt makes attempt n of req, bounded by the Client's timeout. With f
// nil it reads the body into a Response; otherwise it hands a 2xx response
// to f, still within the attempt's time, and returns what f returned as
// ferr.
func (c *Client) attempt(ctx context.Context, req *http.Request, n int, f func(*http.Response) error) (resp *Response, fail failure, ferr error) {
	ctx2, cancel := context.WithTimeoutCause(ctx, c.cfg.timeout, c.timeoutErr)
	defer cancel()
	defer context.AfterFunc(c.life, cancel)() // Close cancels the attempt
	r := req.WithContext(ctx2)
	if n > 1 && req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return nil, failure{err: err, msg: stagedText("replaying the body", err), retryAfter: -1}, nil
		}
		r.Body = body
	}
	hr, err := c.hc.Do(r)
	if err != nil {
		return nil, c.failed(ctx, ctx2, "", err), nil
	}
	// Closing a body that was not read to EOF (over the cap, cut off by
	// the timeout, or left by f) makes net/http close its connection
	// instead of putting it back in the pool, where the next request would
	// read the rest of this body as its response.
	defer hr.Body.Close()
	ok := hr.StatusCode >= 200 && hr.StatusCode < 300
	if ok && f != nil {
		hr.Body = &streamBody{hr.Body, c}
		return nil, failure{}, f(hr)
	}
	// The request that got the response, after redirects. A RoundTripper
	// given through WithHTTPClient may leave it unset.
	final := r
	if hr.Request != nil {
		final = hr.Request
	}
	var body []byte
	if !bodyless(final.Method, hr.StatusCode) {
		body, err = readBody(hr.Body, hr.ContentLength, c.cfg.maxBody)
	}
	switch {
	case err == ErrBodyTooLarge && ok:
		return nil, failure{
			err:        ErrBodyTooLarge,
			msg:        fmt.Sprintf("body too large: over the %d-byte cap", c.cfg.maxBody),
			retryAfter: -1,
		}, nil
	case err == ErrBodyTooLarge:
		// A non-2xx body past the cap still makes a StatusError: its
		// first KiB is all the error keeps anyway.
	case err != nil:
		return nil, c.failed(ctx, ctx2, "reading the body", err), nil
	case ok:
		return &Response{StatusCode: hr.StatusCode, Header: hr.Header, Body: body, URL: final.URL}, failure{}, nil
	}
	se := &StatusError{
		StatusCode: hr.StatusCode,
		Method:     method(req),
		URL:        req.URL.Redacted(),
		// A copy, so the error does not pin a body of up to the cap.
		Body: append([]byte(nil), body[:min(len(body), statusBodyBytes)]...),
	}
	fail = failure{err: se, msg: se.status(), retryAfter: -1}
	if d, ok := parseRetryAfter(hr.Header.Get("Retry-After"), time.Now()); ok {
		se.RetryAfter, fail.retryAfter = d, d
	}
	switch hr.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		fail.retry = true
	}
	return nil, fail, nil
}

// failed describes an attempt that ended in err, in stage ("" while waiting
// for the response). Whatever error the transport chose to report, an
// attempt cut short by Close is ErrClosed, one cut short by the caller is
// ctx's error, and one that ran out of its own time is a timeout.
func (c *Client) failed(ctx, attemptCtx context.Context, stage string, err error) failure {
	if why := c.stopped(ctx); why != nil {
		if !errors.Is(err, why) {
			err = why
		}
		return failure{err: err, msg: stagedText(stage, err), retryAfter: -1}
	}
	timedOut := false
	if context.Cause(attemptCtx) == c.timeoutErr {
		// The attempt's own deadline, not the caller's: when the caller's
		// comes first, the attempt's context takes its cause from ctx.
		timedOut = true
		if !errors.Is(err, c.timeoutErr) {
			err = &timeoutError{d: c.cfg.timeout, err: err}
		}
	}
	return failure{err: err, msg: stagedText(stage, err), retry: transient(timedOut, err), retryAfter: -1}
}

func stagedText(stage string, err error) string {
	if stage == "" {
		return causeText(err)
	}
	return stage + ": " + causeText(err)
}
