// Package fetch makes HTTP requests with every bound a long-running program
// needs: a limit on requests in flight, a timeout on each attempt that
// covers the body, a cap on the body's size, and retries that stop at the
// caller's deadline.
//
// It replaces the goroutine-per-tick loop that calls [http.Get]: the default
// client has no timeout, so when the server is slow every goroutine waits
// forever and their number grows without end. Its cousins leak the same way:
// a resp.Body nobody closes keeps the transport's goroutines alive, and a
// pool that starts a goroutine per request before it takes a slot piles them
// up behind the slot. A [Client] closes every body itself, and [Client.Go]
// and [Client.TryGo] take a slot before they start a goroutine, so the
// goroutines a Client starts never outnumber its slots. net/http's own, two
// per open connection, are bounded too: the Client's transport opens no more
// connections per host than it has slots.
//
// # Slots
//
// Every request holds a slot from first attempt to last, including the waits
// between retries; a request started by Go or TryGo holds it until its done
// callback returns, and one made by [Client.DoFunc] until its func returns. A
// Client has MaxInFlight slots ([WithMaxInFlight]) and, with
// [WithMaxPerHost], at most MaxPerHost of them go to one host (host:port, as
// the URL names it; a redirect to another host counts against the first).
// Get, Do, DoFunc, Go and GetAll wait for a slot until ctx ends; TryGet and
// TryGo return [ErrSaturated] at once instead. A request that never got a
// slot never reaches the server. The bound is on the client side: when an
// attempt times out its slot is free at once, and the server may notice the
// closed connection a moment later.
//
// # Timeouts
//
// [WithTimeout] bounds each attempt as a whole: dialling, the response
// headers and reading the body, including a body that DoFunc's func reads as
// a stream. A server that trickles its body a byte at a time is cut off when
// the timeout ends. ctx bounds the whole call: waiting for a slot, every
// attempt and every wait between them. There is no way to turn the timeout
// off, because no timeout is the bug this package exists for.
//
// # Bodies
//
// Every response body is closed by the Client, on every path. Get, Do and
// the Go family read it into [Response.Body]; a body longer than
// MaxBodyBytes ([WithMaxBodyBytes]) is an error wrapping [ErrBodyTooLarge],
// never a silent truncation, and its connection is closed rather than reused
// half-read. The buffer grows with the bytes that arrive, never from what
// Content-Length announces. Responses that have no body (to HEAD, and 1xx,
// 204 and 304) are not read. DoFunc hands a 2xx body to its func as a
// stream, which the cap does not limit.
//
// # Errors
//
// A status outside 2xx is a [*StatusError]. An invalid URL, a scheme other
// than http or https, a refused connection and a timeout are errors, never
// panics. The error of a request names it once and its cause once, and how
// many attempts it took when it could be retried:
//
//	fetch: GET https://example.com/a: attempt 3 of 3: timed out after 1s
//	fetch: GET https://example.com/b: 404 Not Found
//
// Errors wrap their causes: use [errors.Is] with ErrBodyTooLarge, [ErrClosed],
// [context.DeadlineExceeded] or [syscall.ECONNREFUSED], and [errors.As] with
// *StatusError, also on an error that reports giving up on retries. An
// attempt that ran out of its time is a [net.Error] whose Timeout is true and
// a context.DeadlineExceeded, whether it was waiting for headers or reading
// the body. Programming errors panic with a message naming the function: a
// nil Context, a nil func, a nil request, an option given a value its
// documentation refuses. No value an option accepts makes a call panic.
//
// # Retries
//
// [WithRetries](n) makes up to n more attempts, only for requests that are
// safe to repeat and only after failures that may pass: connection errors,
// timed-out attempts, 429, 502, 503 and 504. A request is safe to repeat when
// it is idempotent, its method GET, HEAD, OPTIONS, TRACE, PUT or DELETE
// (RFC 9110), or it carries an Idempotency-Key or X-Idempotency-Key header;
// and its body, if any, can be replayed through GetBody ([http.NewRequest]
// sets GetBody for in-memory bodies). A POST is never repeated unless its
// caller says it may be: that a body can be replayed does not make sending it
// twice harmless. DoFunc retries only before it calls its func, never after.
//
// Waits grow exponentially with full jitter ([WithBackoff]). A Retry-After
// header replaces the computed wait; one longer than the backoff cap (a
// number too large to represent, or a date centuries away, included) is not
// waited for: the call returns at once with an error that wraps the
// *StatusError (use [errors.As]), its RetryAfter set, so the caller can
// reschedule. A wait that would end after ctx's deadline is
// not started: the call returns at once with an error that wraps both
// context.DeadlineExceeded and the last failure.
//
// # Close
//
// [Client.Close] refuses new calls with ErrClosed, cancels the requests in
// flight and those waiting for a slot (their errors are or wrap ErrClosed),
// waits until every call has returned and every done callback has run, and
// closes every connection the Client's transport dialled. When it returns,
// nothing the Client opened is open, and no goroutine of net/http is left
// waiting on one of its connections: those goroutines end within moments, by
// themselves, so a leak check that retries briefly, as
// [go.uber.org/goleak.VerifyNone] does, finds none of them. To drain instead
// of cancelling, stop starting requests and wait for your own callbacks
// before calling Close.
package fetch
