package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrSaturated is returned by [Client.TryGet] and [Client.TryGo] when no
	// slot is free.
	ErrSaturated = errors.New("fetch: saturated: no slot free")
	// ErrBodyTooLarge is wrapped by the error for a response body longer
	// than the Client's MaxBodyBytes.
	ErrBodyTooLarge = errors.New("fetch: body too large")
	// ErrClosed is returned by calls made after [Client.Close], and wrapped
	// by the errors of calls that Close cancelled.
	ErrClosed = errors.New("fetch: client closed")
)

// statusBodyBytes is how much of a non-2xx body a StatusError keeps: enough
// for an error message, not enough to pin a large body.
const statusBodyBytes = 1 << 10

// StatusError reports a response whose status is not 2xx.
type StatusError struct {
	StatusCode int
	Method     string // the request's method
	URL        string // the request's URL, password redacted
	// Body is the body's first KiB; empty when the body was not read: a
	// HEAD, 1xx, 204 or 304 response, or a Content-Length over MaxBodyBytes.
	Body []byte
	// RetryAfter is the wait the Retry-After header asked for, zero if it
	// was absent, zero, invalid or a date in the past. A value too large
	// for a Duration is the largest Duration.
	RetryAfter time.Duration
}

// Error reports the request and its status, as
// "fetch: GET http://example.com/: 404 Not Found".
func (e *StatusError) Error() string {
	return "fetch: " + e.Method + " " + e.URL + ": " + e.status()
}

func (e *StatusError) status() string {
	code := strconv.Itoa(e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		return code + " " + text
	}
	return code
}

// requestError is how a request that was made, or waited for its slot,
// fails. One shape for every failure, the request named once and its cause
// once:
//
//	fetch: GET http://x/y: attempt 3 of 3: timed out after 1s
//
// "attempt k of n" appears when the request could be retried; a reason for
// not retrying follows the cause after a semicolon.
type requestError struct {
	msg  string
	errs []error // the failure, then what stopped the retries if an error did
}

func (e *requestError) Error() string   { return e.msg }
func (e *requestError) Unwrap() []error { return e.errs }

// requestErr makes the error of req, which failed with fail on attempt n
// of 1+retries. stop and why say what kept it from trying again, if not
// retries running out or a failure not worth repeating. A plain StatusError
// already reads as the request's error and is returned as it is.
func requestErr(req *http.Request, n, retries int, fail failure, stop error, why string) error {
	if se, ok := fail.err.(*StatusError); ok && retries == 0 && why == "" {
		return se
	}
	var b strings.Builder
	b.WriteString(requestPrefix(req))
	if retries > 0 {
		b.WriteString("attempt ")
		b.WriteString(strconv.Itoa(n))
		b.WriteString(" of ")
		b.WriteString(strconv.FormatUint(uint64(retries)+1, 10)) // retries may be MaxInt
		b.WriteString(": ")
	}
	b.WriteString(fail.msg)
	if why != "" {
		b.WriteString("; ")
		b.WriteString(why)
	}
	errs := []error{fail.err}
	if stop != nil {
		errs = append(errs, stop)
	}
	return &requestError{msg: b.String(), errs: errs}
}

// requestPrefix is "fetch: GET http://x/y: ", the URL's password redacted.
func requestPrefix(req *http.Request) string {
	return "fetch: " + method(req) + " " + req.URL.Redacted() + ": "
}

// method is req's method, where net/http reads "" as GET.
func method(req *http.Request) string {
	if req.Method == "" {
		return http.MethodGet
	}
	return req.Method
}

// causeText is err's text without what the request's error already says: a
// *url.Error's operation and URL, a StatusError's request, this package's
// prefix.
func causeText(err error) string {
	for {
		switch e := err.(type) {
		case *url.Error:
			err = e.Err
			continue
		case *StatusError:
			return e.status()
		}
		return strings.TrimPrefix(err.Error(), "fetch: ")
	}
}

// timeoutError reports an attempt that ran out of its time. Like net/http's
// own timeouts, it is a [net.Error] whose Timeout is true and, for
// [errors.Is], a [context.DeadlineExceeded]. err, if set, is what the
// transport reported when the time ran out.
type timeoutError struct {
	d   time.Duration
	err error
}

func (e *timeoutError) Error() string {
	if e.err == nil {
		return "timed out after " + e.d.String()
	}
	return "timed out after " + e.d.String() + ": " + causeText(e.err)
}

func (e *timeoutError) Unwrap() error        { return e.err }
func (e *timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }
func (e *timeoutError) Timeout() bool        { return true }

// Temporary is true, as it is for net/http's timeouts: net.Error requires
// it, deprecated as it is.
func (e *timeoutError) Temporary() bool { return true }
