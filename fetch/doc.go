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
