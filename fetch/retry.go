package fetch

import (
	"context"
	"crypto/tls"
	"errors"
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

// longest is the longest Duration. As a Retry-After it means "longer than
// any Duration" (parseRetryAfter saturates there), which no cap admits.
const longest time.Duration = math.MaxInt64

// fetch makes the attempts of one call, holding its slot throughout. With f
// set, it is DoFunc's: the first attempt that reaches f is the last.
func (c *Client) fetch(ctx context.Context, req *http.Request, f func(*http.Response) error) (*Response, error) {
	retries := 0
	if c.cfg.retries > 0 && replayable(req) {
		retries = c.cfg.retries
	}
	for n := 1; ; n++ {
		resp, fail, ferr := c.attempt(ctx, req, n, f)
		if fail.err == nil {
			return resp, ferr
		}
		if !fail.retry || n > retries {
			return nil, requestErr(req, n, retries, fail, nil, "")
		}
		wait := c.backoff(n)
		if fail.retryAfter >= 0 {
			if fail.retryAfter > c.cfg.backoffMax || fail.retryAfter == longest {
				return nil, requestErr(req, n, retries, fail, nil, retryAfterTooLong(fail.retryAfter, c.cfg.backoffMax))
			}
			wait = fail.retryAfter
		}
		// Sleeping into the deadline only to fail there would waste the
		// caller's remaining time (hashicorp/go-retryablehttp#272). Add
		// saturates, so no wait overflows here.
		if deadline, ok := ctx.Deadline(); ok && !time.Now().Add(wait).Before(deadline) {
			return nil, requestErr(req, n, retries, fail, context.DeadlineExceeded,
				"not retrying: the next attempt, in "+wait.Round(time.Millisecond).String()+", would start past ctx's deadline")
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
			why := c.stopped(ctx)
			return nil, requestErr(req, n, retries, fail, why, "waiting to retry: "+causeText(why))
		}
	}
}

func retryAfterTooLong(d, cap time.Duration) string {
	if d == longest {
		return "not retrying: Retry-After is beyond the " + cap.String() + " cap"
	}
	return "not retrying: Retry-After " + d.String() + " is beyond the " + cap.String() + " cap"
}

// replayable is net/http's rule for a request it may send twice, widened
// to PUT and DELETE.
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
// duration in [0, backoffCeil], so that clients that failed together do not
// retry together.
func (c *Client) backoff(n int) time.Duration {
	ceil := backoffCeil(c.cfg.backoffBase, c.cfg.backoffMax, n)
	if c.jitter != nil {
		return c.jitter(ceil)
	}
	return jitter(ceil)
}

// backoffCeil is min(max, base·2^(n-1)) for 0 < base <= max and n >= 1,
// without overflow for any such values: it doubles only while the double
// stays at or below max.
func backoffCeil(base, max time.Duration, n int) time.Duration {
	ceil := base
	for i := 1; i < n && ceil < max; i++ {
		if ceil > max/2 {
			return max
		}
		ceil *= 2
	}
	return ceil
}

// jitter is a random duration in [0, ceil] for ceil >= 0. In uint64, ceil+1
// cannot overflow even for the longest Duration.
func jitter(ceil time.Duration) time.Duration {
	return time.Duration(rand.Uint64N(uint64(ceil) + 1))
}

// transient reports whether a failed attempt may succeed if repeated: the
// attempt timed out, or the connection failed in a way that can pass. A
// certificate that does not verify, a host that does not exist or a
// malformed response is not worth repeating.
func transient(timedOut bool, err error) bool {
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

// parseRetryAfter reads a Retry-After value (RFC 9110, section 10.2.3):
// delay-seconds, a run of digits, or an HTTP date. ok is false for anything
// else, and for an empty value. A number of seconds or a date too far off
// for a Duration is the longest Duration, so that it exceeds every cap
// rather than reading as no wait at all; a date in the past is zero.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if digits(v) {
		// A run of digits fails to parse only by being out of range.
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(longest/time.Second) {
			return longest, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true // Sub saturates at the longest Duration
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
