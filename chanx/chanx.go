package chanx

import (
	"context"
	"errors"
)

var (
	// ErrNilChannel is returned for a nil channel, which would block forever.
	ErrNilChannel = errors.New("chanx: nil channel")
	// ErrClosed is returned by [Recv] and [TryRecv] for a closed, drained channel.
	ErrClosed = errors.New("chanx: channel closed")
	// ErrWouldBlock is returned by [TrySend] and [TryRecv] when the channel is
	// not ready.
	ErrWouldBlock = errors.New("chanx: would block")
)

// Send sends v on ch, blocking until ch accepts it or ctx ends.
//
// It returns nil once v is sent; [ErrNilChannel] at once if ch is nil; and
// ctx.Err() if ctx ends first, in which case v was not sent. If ctx has
// already ended, Send returns ctx.Err() without sending even when ch has
// room. Send panics if ctx is nil, and, like the built-in send, if ch is
// closed.
func Send[T any](ctx context.Context, ch chan<- T, v T) error {
	if ctx == nil {
		panic("chanx: Send: nil Context")
	}
	if ch == nil {
		return ErrNilChannel
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// A channel that is ready needs no select over ctx: this non-blocking
	// send is the fast path, cheaper than the two-case select below.
	select {
	case ch <- v:
		return nil
	default:
	}
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Recv receives a value from ch, blocking until one arrives, ch is closed
// or ctx ends.
//
// Buffered values are delivered before closure is reported: Recv returns
// [ErrClosed] only once ch is closed and drained. It returns [ErrNilChannel] at
// once if ch is nil, and ctx.Err() if ctx ends first, in which case nothing
// was received. If ctx has already ended, Recv returns ctx.Err() even when a
// value is ready. On any error the value is T's zero value. Recv panics if
// ctx is nil.
func Recv[T any](ctx context.Context, ch <-chan T) (T, error) {
	var zero T
	if ctx == nil {
		panic("chanx: Recv: nil Context")
	}
	if ch == nil {
		return zero, ErrNilChannel
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	select {
	case v, ok := <-ch:
		return v, closedErr(ok)
	default:
	}
	select {
	case v, ok := <-ch:
		return v, closedErr(ok)
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// TrySend sends v on ch only if ch can accept it now; it never blocks.
//
// It returns nil if v was sent, [ErrNilChannel] if ch is nil, and
// [ErrWouldBlock] if ch has no room and no receiver waiting. It is the
// refactor for a send in a select with a default case. TrySend panics, like
// the built-in send, if ch is closed.
func TrySend[T any](ch chan<- T, v T) error {
	if ch == nil {
		return ErrNilChannel
	}
	select {
	case ch <- v:
		return nil
	default:
		return ErrWouldBlock
	}
}

// TryRecv receives a value from ch only if one is ready now; it never blocks.
//
// It returns the value and nil; or [ErrNilChannel] if ch is nil, [ErrClosed] if
// ch is closed and drained, and [ErrWouldBlock] if no value is ready, each
// with T's zero value.
func TryRecv[T any](ch <-chan T) (T, error) {
	if ch == nil {
		var zero T
		return zero, ErrNilChannel
	}
	select {
	case v, ok := <-ch:
		return v, closedErr(ok)
	default:
		var zero T
		return zero, ErrWouldBlock
	}
}

func closedErr(ok bool) error {
	if ok {
		return nil
	}
	return ErrClosed
}
