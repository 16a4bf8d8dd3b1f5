package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

// timeoutError reports an attempt that ran out of its time. It is a
// context.DeadlineExceeded for errors.Is, and a timeout for net.Error.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string        { return fmt.Sprintf("fetch: attempt timed out after %v", e.d) }
func (e *timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }
func (e *timeoutError) Timeout() bool        { return true }

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
