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
	"strconv"
	"strings"
	"syscall"
	"time"
)

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
